/**
 * The audit log as a table: filter (GET, so a filtered view is a link),
 * page forward by entry index, export what the filter selects.
 */
import type { FC } from 'hono/jsx';
import { PURPOSES } from '../../../../schemas/federation.js';
import { AUDIT_EVENT_TYPES } from '../../../core/audit/entry.js';
import type { AuditEntryView } from '../../../core/audit/query.js';
import { CONSOLE } from '../constants.js';
import { ErrorSummary, Layout, SelectField, TextField, When, orDash, words, type FieldErrors } from '../components.js';
import type { Session } from '../../../core/users/sessions.js';

/** The filter fields of the page, as typed (dates as YYYY-MM-DD). */
export const LOG_FILTER_FIELDS = ['from', 'to', 'type', 'actor', 'peer', 'purpose', 'caseReference'] as const;
export type LogFilterValues = Partial<Record<(typeof LOG_FILTER_FIELDS)[number], string>>;

export interface AuditLogProps {
  nodeName: string;
  session: Session;
  filter: LogFilterValues;
  errors: FieldErrors;
  entries: readonly AuditEntryView[];
  cursor?: number | undefined;
  next: number | null;
  /** user id → name, peer id → "XB · name". */
  labels: Record<string, string>;
}

const query = (f: LogFilterValues, extra: Record<string, string> = {}) => {
  const q = new URLSearchParams();
  for (const k of LOG_FILTER_FIELDS) if (f[k]) q.set(k, f[k]!);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

const TYPE_OPTIONS = [['', 'any'] as const, ...AUDIT_EVENT_TYPES.map((t) => [t, t] as const)];
const PURPOSE_OPTIONS = [['', 'any'] as const, ...PURPOSES.map((p) => [p, words(p)] as const)];

/** The data fields worth a column; the rest stay in "details". */
const summary = (d: Record<string, unknown> | null, key: string): string | undefined => {
  const v = d?.[key];
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
};

export const AuditLogPage: FC<AuditLogProps> = ({ nodeName, session, filter, errors, entries, cursor, next, labels }) => {
  const actorLabel = (actor: string) => {
    const m = /^user:(.+)$/.exec(actor);
    return m && labels[m[1]!] ? `${labels[m[1]!]} (${actor})` : actor;
  };
  return (
    <Layout title="Audit log" session={session} current={CONSOLE.paths.auditLog} nodeName={nodeName}>
      <h1>Audit log</h1>
      <ErrorSummary errors={errors} labels={{ from: 'From', to: 'To', caseReference: 'Case reference' }} />
      <form method="get" action={CONSOLE.paths.auditLog}>
        <fieldset>
          <legend>Filter</legend>
          <div class="row">
            <TextField name="from" label="From (UTC day)" type="date" value={filter.from} errors={errors} />
            <TextField name="to" label="To (UTC day, included)" type="date" value={filter.to} errors={errors} />
            <SelectField name="type" label="Event type" options={TYPE_OPTIONS} value={filter.type} errors={errors} />
            <SelectField name="purpose" label="Purpose" options={PURPOSE_OPTIONS} value={filter.purpose} errors={errors} />
          </div>
          <div class="row">
            <TextField name="actor" label="Actor" hint="e.g. user:u_… or peer:XB:…" value={filter.actor} errors={errors} />
            <TextField name="peer" label="Peer" hint="Node id or country code" value={filter.peer} errors={errors} />
            <TextField name="caseReference" label="Case reference" value={filter.caseReference} errors={errors} />
          </div>
          <p>
            <button type="submit">Apply filter</button> <a href={CONSOLE.paths.auditLog}>Clear</a>
          </p>
        </fieldset>
      </form>
      <p>
        Export the entries this filter selects:{' '}
        {/* No download attribute: the file comes as an attachment, and a refused export shows its reason as a page. */}
        <a class="button secondary" href={`${CONSOLE.paths.auditExport}${query(filter, { format: 'csv' })}`}>
          CSV
        </a>{' '}
        <a class="button secondary" href={`${CONSOLE.paths.auditExport}${query(filter, { format: 'json' })}`}>
          JSON
        </a>{' '}
        <span class="muted">
          An export holds at most {CONSOLE.audit.exportMax.toLocaleString('en-US')} entries; a larger one is refused with how to narrow it. Each view and export is itself recorded in the log.
        </span>
      </p>
      {entries.length === 0 ? (
        <p>No entries{Object.keys(errors).length ? '' : ' match this filter'}.</p>
      ) : (
        <div class="table-wrap">
        <table>
          <caption>
            Entries {entries[0]!.idx} to {entries[entries.length - 1]!.idx}, oldest first
          </caption>
          <thead>
            <tr>
              <th scope="col" class="num">
                #
              </th>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">Actor</th>
              <th scope="col">Peer</th>
              <th scope="col">Purpose</th>
              <th scope="col">Case reference</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => {
              const peer = summary(e.data, 'peer');
              // A search names the peers it asked in a list.
              const asked = Array.isArray(e.data?.peers)
                ? (e.data.peers as unknown[]).map((p) => (typeof p === 'object' && p !== null ? String((p as { country?: unknown }).country ?? '?') : '?')).join(', ')
                : undefined;
              return (
                <tr>
                  <td class="num">{e.idx}</td>
                  <td>
                    <When at={e.at} />
                  </td>
                  <td>
                    <code class="nowrap">{e.type}</code>
                  </td>
                  <td>{actorLabel(e.actor)}</td>
                  <td>{orDash(peer ? (labels[peer] ?? peer) : (summary(e.data, 'country') ?? asked))}</td>
                  <td>{orDash(summary(e.data, 'purpose') && words(summary(e.data, 'purpose')!))}</td>
                  <td class="free">{orDash(summary(e.data, 'caseReference'))}</td>
                  <td>
                    {e.data === null ? (
                      <em>pruned (past retention; its hash remains in the tree)</em>
                    ) : (
                      <details>
                        <summary>data</summary>
                        <pre class="mono wrap">{JSON.stringify(e.data, null, 1)}</pre>
                      </details>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        {cursor !== undefined && <a href={`${CONSOLE.paths.auditLog}${query(filter)}`}>First page</a>}
        {next !== null && <a href={`${CONSOLE.paths.auditLog}${query(filter, { cursor: String(next) })}`}>Next page</a>}
      </nav>
    </Layout>
  );
};
