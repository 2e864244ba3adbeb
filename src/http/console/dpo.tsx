/**
 * DPO pages: the audit overview (verification, flags, charts), the log as a
 * filterable table, and its export. Every one of them reads the audit log,
 * so every one appends an `audit.read` (or `audit.export`) entry saying who
 * read what, before the page is sent.
 */
import type { Hono } from 'hono';
import { AUDIT_EVENT_TYPES, type AuditEventType } from '../../core/audit/entry.js';
import { auditFilterSchema, type AuditEntryView, type AuditFilter } from '../../core/audit/query.js';
import { isCairnError } from '../../core/errors.js';
import { EXPORT_MAX_ENTRIES } from '../../core/services-audit.js';
import type { FieldErrors } from './components.js';
import { ACTIVITY_TYPES, activityOf, findFlags, lastDays, perDay, type ActivityEvent } from './activity.js';
import { CONSOLE } from './constants.js';
import { requireSession, type ConsoleContext, type ConsoleDeps, type ConsoleEnv } from './guard.js';
import { AuditLogPage, LOG_FILTER_FIELDS, type LogFilterValues } from './pages/audit-log.js';
import { AuditOverviewPage, ReconcilePage, type AuditOverview } from './pages/audit.js';
import { StatusPage } from './pages/status.js';
import { statusOf } from '../problem.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Witness alerts shown on the overview. */
const WITNESS_ALERTS = 100;

/** Append the entry that records a DPO's read of the log. */
async function recordRead(cd: ConsoleDeps, userId: string, type: Extract<AuditEventType, 'audit.read' | 'audit.export'>, data: Record<string, unknown>): Promise<void> {
  await cd.app.services.audit.record(type, `user:${userId}`, data);
}

/**
 * The log page's filter from the query string: days become UTC instants
 * (`to` includes its whole day), everything is checked with the audit
 * query's own schema. Attacker-controlled: parsed, never trusted.
 */
export function logFilterFrom(query: Record<string, string>): { values: LogFilterValues; filter?: AuditFilter; errors: FieldErrors } {
  const values: LogFilterValues = {};
  for (const k of LOG_FILTER_FIELDS) {
    const v = query[k]?.trim();
    if (v) values[k] = v;
  }
  const errors: FieldErrors = {};
  const raw: Record<string, unknown> = { limit: CONSOLE.audit.pageSize };
  if (values.from) {
    if (DAY.test(values.from) && !Number.isNaN(Date.parse(values.from))) raw.from = `${values.from}T00:00:00.000Z`;
    else errors.from = 'Enter a day as YYYY-MM-DD';
  }
  if (values.to) {
    const t = Date.parse(values.to);
    if (DAY.test(values.to) && !Number.isNaN(t)) raw.to = new Date(t + 86_400_000).toISOString();
    else errors.to = 'Enter a day as YYYY-MM-DD';
  }
  if (values.type) {
    if ((AUDIT_EVENT_TYPES as readonly string[]).includes(values.type)) raw.type = values.type;
    else errors.type = 'Choose an event type from the list';
  }
  for (const k of ['actor', 'peer', 'purpose', 'caseReference'] as const) if (values[k]) raw[k] = values[k];
  const cursor = query.cursor;
  if (cursor !== undefined && /^\d{1,15}$/.test(cursor)) raw.cursor = Number(cursor);
  const parsed = auditFilterSchema.safeParse(raw);
  if (!parsed.success) for (const i of parsed.error.issues) errors[String(i.path[0] ?? '$')] ??= i.message;
  return Object.keys(errors).length || !parsed.success ? { values, errors } : { values, filter: parsed.data, errors };
}

async function overview(cd: ConsoleDeps, c: ConsoleContext, force: boolean) {
  const { audit, peers: peerService, witness } = cd.app.services;
  const session = c.get('session');
  const now = cd.app.clock.now();
  const cp = await audit.checkpointForPeers();
  const cpAt = await audit.signedAt(cp.size);
  const size = await audit.size();
  const report = force || size <= CONSOLE.audit.autoVerifyMax ? await audit.log.verify() : undefined;

  const peers = await peerService.list();
  const status = await witness.status(WITNESS_ALERTS);

  const days = lastDays(now, CONSOLE.audit.chartDays);
  const rows = await audit.recent(ACTIVITY_TYPES, `${days[0]}T00:00:00.000Z`, CONSOLE.audit.statsMaxRows);
  const events: ActivityEvent[] = [];
  for (const r of rows) {
    let data: Record<string, unknown> | null = null;
    try {
      data = r.entry === null ? null : ((JSON.parse(r.entry) as { data?: Record<string, unknown> }).data ?? null);
    } catch {
      data = null; // an unreadable entry shows up in verification, not here
    }
    const e = activityOf(r.type, r.at, data);
    if (e) events.push(e);
  }
  const today = days[days.length - 1]!;
  const usage = await peerService.usageOn(today);

  await recordRead(cd, session.user.id, 'audit.read', { what: 'console.overview', verified: report ? report.ok : 'skipped', size, activityEntries: rows.length });

  const data: AuditOverview = {
    log: { size, report, checkpoint: { size: cp.size, at: cpAt ?? '' } },
    witness: status.peers.map(({ peer, country, name, status, witnessedSize, lastWitnessedAt, checkpoints, cosignedSize, alerts, alertKinds }) => ({
      id: peer,
      country,
      name,
      status,
      witnessedSize,
      lastWitnessedAt,
      checkpoints,
      cosignedSize,
      alerts,
      alertKinds,
    })),
    alerts: status.alerts,
    flags: findFlags(events),
    days,
    incoming: perDay(events.filter((e) => e.kind === 'match' || e.kind === 'denied'), days, (e) => [e.peer]),
    outgoing: perDay(events.filter((e) => e.kind === 'search'), days, (e) => e.peers),
    denied: perDay(events.filter((e) => e.kind === 'denied'), days, (e) => [e.peer]),
    budget: peers
      .filter((p) => p.status === 'active')
      .map((p) => {
        return { label: `${p.country} · ${p.name}`, used: usage.find((u) => u.peer_id === p.id)?.elements ?? 0, budget: p.policy.dailyElementBudget };
      }),
    labels: await audit.labels(),
  };
  return c.html(<AuditOverviewPage nodeName={cd.nodeName} session={session} data={data} />);
}

/**
 * Why an export over the console's limit was refused, and how to narrow it
 * with the page's own fields (days): `splitAt` is the time of the first
 * entry beyond the limit.
 */
export function tooLargeMessage(splitAt: string, filter: AuditFilter): string {
  const max = CONSOLE.audit.exportMax.toLocaleString('en-US');
  const day = splitAt.slice(0, 10);
  const dayBefore = new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  const from = filter.from?.slice(0, 10);
  const byDay =
    from === undefined || dayBefore >= from
      ? `The first ${max} matching entries run into ${day}: set To to ${dayBefore} or earlier for one export, and From to ${day} for the next.`
      : `More than ${max} matching entries fall on ${day} alone: narrow by event type, actor, peer, purpose or case reference.`;
  return `This export would hold more than ${max} entries, the most the console exports at once, so nothing was exported. ${byDay} The API (GET /v1/audit/export, up to ${EXPORT_MAX_ENTRIES.toLocaleString('en-US')} entries) and \`cairn audit export\` on the node export more.`;
}

/** Register the DPO's routes. */
export function dpoRoutes(r: Hono<ConsoleEnv>, cd: ConsoleDeps): void {
  const dpo = requireSession(cd, 'dpo');

  r.get(CONSOLE.paths.audit, dpo, (c) => overview(cd, c, false));
  r.get(CONSOLE.paths.auditVerify, dpo, (c) => overview(cd, c, true));

  // What `cairn audit reconcile` does, from the witness table: the peer's checkpoint witnessed, each of our searches of it proven.
  r.post(CONSOLE.paths.auditReconcile, dpo, async (c) => {
    const session = c.get('session');
    const selector = c.get('form').get('peer');
    let report;
    try {
      const peer = await cd.app.services.peers.find(selector);
      report = await cd.app.services.witness.reconcile(peer);
      await recordRead(cd, session.user.id, 'audit.read', { what: 'console.reconcile', peer: peer.id, checked: report.checked, proven: report.proven, witness: report.witness });
      const view = { ...report, peer: `${peer.country} · ${peer.name}` };
      return c.html(<ReconcilePage nodeName={cd.nodeName} session={session} report={view} />);
    } catch (e) {
      if (!isCairnError(e) || e.code === 'internal') throw e;
      return c.html(<StatusPage nodeName={cd.nodeName} session={session} title="Reconcile failed" message={e.message} />, statusOf(e.code) >= 500 ? 502 : 422);
    }
  });

  r.get(CONSOLE.paths.auditLog, dpo, async (c) => {
    const session = c.get('session');
    const { values, filter, errors } = logFilterFrom(c.req.query());
    let entries: AuditEntryView[] = [];
    let next: number | null = null;
    if (filter) {
      ({ entries, next } = await cd.app.services.audit.entries(filter, 'newest'));
      await recordRead(cd, session.user.id, 'audit.read', { what: 'console.entries', filter, shown: entries.length });
    }
    return c.html(
      <AuditLogPage nodeName={cd.nodeName} session={session} filter={values} errors={errors} entries={entries} cursor={filter?.cursor} next={next} labels={await cd.app.services.audit.labels()} />,
      filter ? 200 : 400,
    );
  });

  r.get(CONSOLE.paths.auditExport, dpo, async (c) => {
    const session = c.get('session');
    const format = c.req.query('format') ?? 'csv';
    const { filter, errors } = logFilterFrom(c.req.query());
    if (!filter || (format !== 'csv' && format !== 'json')) {
      const why = format !== 'csv' && format !== 'json' ? 'The export format must be CSV or JSON.' : `The filter is not valid: ${Object.values(errors).join('; ')}`;
      return c.html(<StatusPage nodeName={cd.nodeName} session={session} title="Export refused" message={why} />, 400);
    }
    let all: AuditEntryView[];
    try {
      all = await cd.app.services.audit.exportEntries(filter, CONSOLE.audit.exportMax);
    } catch (e) {
      const splitAt = isCairnError(e, 'invalid_request') ? e.details?.splitAt : undefined;
      if (typeof splitAt !== 'string') throw e;
      return c.html(<StatusPage nodeName={cd.nodeName} session={session} title="Export refused" message={tooLargeMessage(splitAt, filter)} />, 400);
    }
    const { limit: _limit, ...exported } = filter;
    await recordRead(cd, session.user.id, 'audit.export', { what: 'console.export', filter: { ...exported, format }, entries: all.length });
    const name = `cairn-audit-${cd.app.services.config.node.country}-${cd.app.clock.now().toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      return c.body(cd.app.services.audit.toCsv(all), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` });
    }
    const body = { node: cd.app.services.config.node.id, country: cd.app.services.config.node.country, exportedAt: cd.app.clock.now().toISOString(), filter: exported, entries: all };
    return c.body(JSON.stringify(body, null, 2), 200, { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${name}.json"` });
  });
}
