/**
 * The DPO's overview: whether our log and each peer's witnessed log verify
 * (any inconsistency first, in red), flags for unusual patterns, and charts
 * of federation traffic.
 */
import type { FC } from 'hono/jsx';
import type { VerifyReport } from '../../../core/audit/log.js';
import type { ReconcileReport } from '../../../core/federation/reconcile.js';
import type { WitnessAlertView } from '../../../core/services-federation.js';
import type { Flag, Series } from '../activity.js';
import { BarChart, BudgetChart, type BudgetRow } from '../charts.js';
import { CONSOLE, FLAG_RULES } from '../constants.js';
import { CsrfField, Layout, When, orDash } from '../components.js';
import type { Session } from '../../../core/users/sessions.js';

export interface WitnessRow {
  id: string;
  country: string;
  name: string;
  status: string;
  witnessedSize: number | null;
  lastWitnessedAt: string | null;
  checkpoints: number;
  /** The largest size of our log this peer cosigned (PROTOCOL.md §45). */
  cosignedSize: number | null;
  alerts: number;
  /** Its alerts' kinds, newest first. */
  alertKinds: readonly string[];
}

/** One witness alert as the core's witness status gives it. */
export type AlertRow = WitnessAlertView;

export interface AuditOverview {
  log: { size: number; report?: VerifyReport | undefined; checkpoint?: { size: number; at: string } | undefined };
  witness: readonly WitnessRow[];
  alerts: readonly AlertRow[];
  flags: readonly Flag[];
  days: readonly string[];
  incoming: readonly Series[];
  outgoing: readonly Series[];
  denied: readonly Series[];
  budget: readonly BudgetRow[];
  /** Display names: peer id → "XB · name", user id → user name. */
  labels: Record<string, string>;
}

const minutes = (ms: number) => Math.round(ms / 60_000);

/** A link to the log page filtered to a flag's subject and window. */
function flagHref(f: Flag): string {
  const q = new URLSearchParams({ from: f.from.slice(0, 10), to: f.to.slice(0, 10) });
  if (f.rule.startsWith('user')) {
    q.set('actor', `user:${f.subject}`);
    q.set('type', 'search.outgoing');
  } else q.set('peer', f.subject);
  return `${CONSOLE.paths.auditLog}?${q}`;
}

const LogStatus: FC<{ log: AuditOverview['log'] }> = ({ log }) => {
  const r = log.report;
  if (!r) {
    return (
      <div class="warn">
        <p>
          Our log has {log.size} entries: too many to re-verify on every visit. <a href={CONSOLE.paths.auditVerify}>Verify the whole log now</a> (this may take a while).
        </p>
      </div>
    );
  }
  if (!r.ok) {
    return (
      <div class="alert">
        <h3>Our audit log does NOT verify</h3>
        <p>{r.problem?.message ?? 'verification failed'}</p>
        <p>
          Checked {r.size} entries{r.problem?.index !== undefined ? `; first bad entry: #${r.problem.index}` : ''}. Keep a copy of the database as evidence and tell the
          operator.
        </p>
      </div>
    );
  }
  return (
    <div class="ok">
      <p>
        <strong>Our audit log verifies.</strong> {r.size} entries recomputed into the Merkle tree; {r.checkpoints} signed checkpoint{r.checkpoints === 1 ? ' matches' : 's match'} it
        {r.pruned ? `; ${r.pruned} entries past retention hold only their hash` : ''}.
        {log.checkpoint && (
          <>
            {' '}
            Latest checkpoint: size {log.checkpoint.size}, signed <When at={log.checkpoint.at} />.
          </>
        )}
      </p>
    </div>
  );
};

export const AuditOverviewPage: FC<{ nodeName: string; session: Session; data: AuditOverview }> = ({ nodeName, session, data }) => {
  const label = (id: string) => data.labels[id] ?? id;
  const badLog = data.log.report && !data.log.report.ok;
  return (
    <Layout title="Audit overview" session={session} current={CONSOLE.paths.audit} nodeName={nodeName}>
      <h1>Audit overview</h1>
      {(badLog || data.alerts.length > 0) && (
        <div class="alert" role="alert">
          <h2>Inconsistency detected</h2>
          <ul>
            {badLog && <li>Our own audit log does not verify: {data.log.report?.problem?.message}</li>}
            {data.alerts.map((a) => (
              <li>
                <strong>{label(a.peer)}</strong> — {a.kind.replace(/_/g, ' ')}: {a.detail} (<When at={a.at} />
                {a.seen > 1 && (
                  <>
                    ; found again by {a.seen - 1} later check{a.seen === 2 ? '' : 's'}, last <When at={a.lastSeenAt} />
                  </>
                )}
                )
              </li>
            ))}
          </ul>
          {badLog && (
            <p>
              Our log failing means the database was changed outside Cairn, or restored: keep a copy of the database file as it is now, before anything else writes to it, and compare it with the last backup and with what peers witnessed (<code>cairn audit reconcile</code>).
            </p>
          )}
          {data.alerts.length > 0 && (
            <p>The evidence (the checkpoints the peer signed, and the proof or its refusal) is kept in the witness alerts, one per event; a peer's log that goes back, forks or rewrites history must not be trusted until explained. Searches of that peer go on as before (witnessing never changes a search's result); revoking the peer is the operator's decision.</p>
          )}
        </div>
      )}

      <h2>Verification</h2>
      <LogStatus log={data.log} />
      <table>
        <caption>Peers' logs as we witnessed them (their checkpoints, verified with their pinned keys and checked to extend what we saw before)</caption>
        <thead>
          <tr>
            <th scope="col">Peer</th>
            <th scope="col" class="num">Largest witnessed size</th>
            <th scope="col">Last witnessed</th>
            <th scope="col" class="num">Checkpoints stored</th>
            <th scope="col" class="num">Our log cosigned up to</th>
            <th scope="col">Status</th>
            <th scope="col">Our searches in its log</th>
          </tr>
        </thead>
        <tbody>
          {data.witness.map((w) => (
            <tr>
              <td>
                {w.country} · <bdi>{w.name}</bdi>
                {w.status !== 'active' ? ` (${w.status})` : ''}
              </td>
              <td class="num">{orDash(w.witnessedSize)}</td>
              <td>{w.lastWitnessedAt ? <When at={w.lastWitnessedAt} /> : '—'}</td>
              <td class="num">{w.checkpoints}</td>
              <td class="num">{orDash(w.cosignedSize)}</td>
              <td>
                {w.alerts > 0 ? (
                  <strong class="error-text">
                    {w.alerts} alert{w.alerts === 1 ? '' : 's'}: {w.alertKinds.map((k) => k.replace(/_/g, ' ')).join(', ')}
                  </strong>
                ) : w.checkpoints > 0 ? (
                  'consistent'
                ) : (
                  'nothing witnessed yet'
                )}
              </td>
              <td>
                <form method="post" action={CONSOLE.paths.auditReconcile}>
                  <CsrfField session={session} />
                  <input type="hidden" name="peer" value={w.id} />
                  <button type="submit">Reconcile</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Unusual patterns</h2>
      {data.flags.length === 0 ? (
        <div class="ok">
          <p>No flags in the last {data.days.length} days.</p>
        </div>
      ) : (
        <div class="warn" role="status">
          <ul>
            {data.flags.map((f) => (
              <li>
                <strong>{f.rule.startsWith('user') ? `User ${label(f.subject)}` : `Peer ${label(f.subject)}`}</strong>: {f.message} (<When at={f.from} /> – <When at={f.to} />
                ). <a href={flagHref(f)}>See these entries</a>
              </li>
            ))}
          </ul>
        </div>
      )}
      <details>
        <summary>The rules behind the flags</summary>
        <ul>
          <li>
            A user makes {FLAG_RULES.userBurst.count} or more searches within {minutes(FLAG_RULES.userBurst.windowMs)} minutes.
          </li>
          <li>
            A peer sends {FLAG_RULES.peerBurst.count} or more match requests within {minutes(FLAG_RULES.peerBurst.windowMs)} minutes.
          </li>
          <li>A user makes {FLAG_RULES.userNoHitsPerDay.count} or more searches in one day that find nothing anywhere.</li>
          <li>A peer sends {FLAG_RULES.peerNoHitsPerDay.count} or more match requests in one day without a confirmed hit.</li>
        </ul>
      </details>

      <h2>Activity, last {data.days.length} days</h2>
      <div class="charts">
        <BarChart
          id="chart-incoming"
          title="Match requests from each peer, per day"
          description="Match requests peers sent to this node (answered or refused), per day and peer."
          days={data.days}
          series={data.incoming}
          labelOf={label}
          unit="requests"
        />
        <BarChart
          id="chart-outgoing"
          title="Our searches sent to each peer, per day"
          description="Searches by this node's analysts, per day and peer asked."
          days={data.days}
          series={data.outgoing}
          labelOf={label}
          unit="searches"
        />
        <BarChart id="chart-denied" title="Refused match requests, per day" description="Match requests this node refused (policy, rate or budget), per day and peer." days={data.days} series={data.denied} labelOf={label} unit="refusals" />
        <BudgetChart id="chart-budget" title="Daily element budget used today, per peer" rows={data.budget} />
      </div>
      <p>
        <a href={CONSOLE.paths.auditLog}>Read the audit log entries</a>
      </p>
    </Layout>
  );
};

/** What reconciling with one peer found (the report of `cairn audit reconcile`), the peer named for reading. */
export type ReconcileView = Omit<ReconcileReport, 'peer'> & { peer: string };

export const ReconcilePage: FC<{ nodeName: string; session: Session; report: ReconcileView }> = ({ nodeName, session, report }) => {
  const ok = report.missing.length === 0 && report.witness !== 'alert';
  return (
    <Layout title={`Reconcile with ${report.peer}`} session={session} current={CONSOLE.paths.audit} nodeName={nodeName}>
      <h1>
        Reconcile with <bdi>{report.peer}</bdi>
      </h1>
      <div class={ok ? 'notice' : 'alert'} role={ok ? 'status' : 'alert'}>
        <p>
          {report.proven} of {report.checked} of our searches of this peer are proven in its log (inclusion proofs against its checkpoint of size {report.checkpointSize}, signed with its pinned key).
        </p>
        {report.alert && (
          <p>
            Its checkpoint raised a witness alert ({report.alert.kind.replace(/_/g, ' ')}): <bdi>{report.alert.detail}</bdi>
          </p>
        )}
        {report.unchecked && (
          <p>
            Its checkpoint could not be checked against what we witnessed before: <bdi>{report.unchecked}</bdi>
          </p>
        )}
      </div>
      {report.missing.length > 0 && (
        <table>
          <caption>Searches not proven in its log</caption>
          <thead>
            <tr>
              <th scope="col">Search</th>
              <th scope="col" class="num">Index in its log</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {report.missing.map((m) => (
              <tr>
                <td>
                  <code>{m.searchId}</code>
                </td>
                <td class="num">{m.index ?? '—'}</td>
                <td>
                  <bdi>{m.reason}</bdi>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p>
        <a href={CONSOLE.paths.audit}>Back to the audit overview</a>
      </p>
    </Layout>
  );
};
