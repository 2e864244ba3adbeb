/**
 * DPO pages: the audit overview (verification, flags, charts), the log as a
 * filterable table, and its export. Every one of them reads the audit log,
 * so every one appends an `audit.read` (or `audit.export`) entry saying who
 * read what, before the page is sent.
 */
import type { Hono } from 'hono';
import { AUDIT_EVENT_TYPES, appendStatement, type AuditEventType } from '../../core/audit/entry.js';
import { latestCheckpoint, verifyLog } from '../../core/audit/log.js';
import { newestCosignedSizes } from '../../core/audit/cosignatures.js';
import { auditFilterSchema, entriesToCsv, listEntries, type AuditEntryView, type AuditFilter } from '../../core/audit/query.js';
import type { CanonicalValue } from '../../core/canonical-json.js';
import { peerPolicySchema } from '../../../schemas/federation.js';
import type { FieldErrors } from './components.js';
import { ACTIVITY_TYPES, activityOf, findFlags, lastDays, perDay, type ActivityEvent } from './activity.js';
import { CONSOLE } from './constants.js';
import { requireSession, type ConsoleContext, type ConsoleDeps, type ConsoleEnv } from './guard.js';
import { AuditLogPage, LOG_FILTER_FIELDS, type LogFilterValues } from './pages/audit-log.js';
import { AuditOverviewPage, type AuditOverview } from './pages/audit.js';
import { StatusPage } from './pages/status.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** Pages of 1,000 read for one export (larger exports: `cairn audit export`). */
const EXPORT_PAGES = 100;

/** Append the entry that records a DPO's read of the log. */
async function recordRead(cd: ConsoleDeps, userId: string, type: Extract<AuditEventType, 'audit.read' | 'audit.export'>, data: Record<string, unknown>): Promise<void> {
  const clean = JSON.parse(JSON.stringify(data)) as { [k: string]: CanonicalValue };
  await cd.deps.atomic.run([appendStatement(cd.deps.db, { type, actor: `user:${userId}`, data: clean }, cd.deps.clock.now())]);
}

/** Display names for peers and users, for tables, charts and flags. */
async function labels(cd: ConsoleDeps): Promise<Record<string, string>> {
  const peers = await cd.deps.db.selectFrom('peers').select(['id', 'country', 'name']).execute();
  const users = await cd.deps.db.selectFrom('users').select(['id', 'name']).execute();
  return Object.fromEntries([...peers.map((p) => [p.id, `${p.country} · ${p.name}`]), ...users.map((u) => [u.id, u.name])]);
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
  const { db } = cd.deps;
  const session = c.get('session');
  const now = cd.deps.clock.now();
  const cp = await latestCheckpoint(cd.deps.log, cd.deps.config.audit.checkpointIntervalMs);
  const cpAt = await db.selectFrom('audit_checkpoints').select('at').where('size', '=', cp.size).executeTakeFirst();
  const size = Number((await db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const report = force || size <= CONSOLE.audit.autoVerifyMax ? await verifyLog(cd.deps.log) : undefined;

  const peers = await db.selectFrom('peers').select(['id', 'country', 'name', 'status', 'policy']).orderBy('country').execute();
  const witnessed = await db
    .selectFrom('witnessed_checkpoints')
    .select(['peer_id', (eb) => eb.fn.max('size').as('size'), (eb) => eb.fn.max('at').as('at'), (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('peer_id')
    .execute();
  const cosigned = await newestCosignedSizes(db);
  const alerts = await db.selectFrom('witness_alerts').select(['id', 'at', 'peer_id', 'kind', 'detail']).orderBy('at', 'desc').limit(100).execute();

  const days = lastDays(now, CONSOLE.audit.chartDays);
  const rows = await db
    .selectFrom('audit_entries')
    .select(['at', 'type', 'entry'])
    .where('type', 'in', [...ACTIVITY_TYPES])
    .where('at', '>=', `${days[0]}T00:00:00.000Z`)
    .orderBy('idx', 'desc')
    .limit(CONSOLE.audit.statsMaxRows)
    .execute();
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
  const usage = await db.selectFrom('peer_usage').selectAll().where('day', '=', today).execute();

  await recordRead(cd, session.user.id, 'audit.read', { what: 'console.overview', verified: report ? report.ok : 'skipped', size, activityEntries: rows.length });

  const data: AuditOverview = {
    log: { size, report, checkpoint: { size: cp.size, at: cpAt?.at ?? '' } },
    witness: peers.map((p) => {
      const w = witnessed.find((x) => x.peer_id === p.id);
      return {
        id: p.id,
        country: p.country,
        name: p.name,
        status: p.status,
        witnessedSize: w?.size === undefined || w.size === null ? null : Number(w.size),
        lastWitnessedAt: (w?.at as string | null | undefined) ?? null,
        checkpoints: Number(w?.count ?? 0),
        cosignedSize: cosigned.find((x) => x.peerId === p.id)?.size ?? null,
        alerts: alerts.filter((a) => a.peer_id === p.id).length,
      };
    }),
    alerts: alerts.map((a) => ({ id: a.id, at: a.at, peer: a.peer_id, kind: a.kind, detail: a.detail })),
    flags: findFlags(events),
    days,
    incoming: perDay(events.filter((e) => e.kind === 'match' || e.kind === 'denied'), days, (e) => [e.peer]),
    outgoing: perDay(events.filter((e) => e.kind === 'search'), days, (e) => e.peers),
    denied: perDay(events.filter((e) => e.kind === 'denied'), days, (e) => [e.peer]),
    budget: peers
      .filter((p) => p.status === 'active')
      .map((p) => {
        const policy = peerPolicySchema.safeParse(JSON.parse(p.policy));
        return { label: `${p.country} · ${p.name}`, used: usage.find((u) => u.peer_id === p.id)?.elements ?? 0, budget: policy.success ? policy.data.dailyElementBudget : 0 };
      }),
    labels: await labels(cd),
  };
  return c.html(<AuditOverviewPage nodeName={cd.nodeName} session={session} data={data} />);
}

/** Register the DPO's routes. */
export function dpoRoutes(r: Hono<ConsoleEnv>, cd: ConsoleDeps): void {
  const dpo = requireSession(cd, 'dpo');

  r.get(CONSOLE.paths.audit, dpo, (c) => overview(cd, c, false));
  r.get(CONSOLE.paths.auditVerify, dpo, (c) => overview(cd, c, true));

  r.get(CONSOLE.paths.auditLog, dpo, async (c) => {
    const session = c.get('session');
    const { values, filter, errors } = logFilterFrom(c.req.query());
    let entries: AuditEntryView[] = [];
    let next: number | null = null;
    if (filter) {
      ({ entries, next } = await listEntries(cd.deps.db, filter));
      await recordRead(cd, session.user.id, 'audit.read', { what: 'console.entries', filter, shown: entries.length });
    }
    return c.html(
      <AuditLogPage nodeName={cd.nodeName} session={session} filter={values} errors={errors} entries={entries} cursor={filter?.cursor} next={next} labels={await labels(cd)} />,
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
    const all: AuditEntryView[] = [];
    let cursor = filter.cursor;
    for (let i = 0; i < EXPORT_PAGES; i++) {
      const page = await listEntries(cd.deps.db, { ...filter, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      all.push(...page.entries);
      if (page.next === null) break;
      cursor = page.next;
    }
    const { limit: _limit, ...exported } = filter;
    await recordRead(cd, session.user.id, 'audit.export', { what: 'console.export', filter: { ...exported, format }, entries: all.length });
    const name = `cairn-audit-${cd.deps.config.node.country}-${cd.deps.clock.now().toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      return c.body(entriesToCsv(all), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` });
    }
    const body = { node: cd.deps.config.node.id, country: cd.deps.config.node.country, exportedAt: cd.deps.clock.now().toISOString(), filter: exported, entries: all };
    return c.body(JSON.stringify(body, null, 2), 200, { 'content-type': 'application/json; charset=utf-8', 'content-disposition': `attachment; filename="${name}.json"` });
  });
}
