/**
 * Deleting records, purging those past retention, and counting what is held.
 * Each deletion or purge lands atomically with its audit entry.
 *
 * Retention holds everywhere: a record past its `retention_until` is purged
 * by the scheduled job of each runtime (`runRetention`: hourly on Node, a
 * Cron Trigger on Workers), and until then it neither matches nor confirms
 * (`expiredSince` + `notExpired` in the answering queries).
 */
import { sql, type Expression, type SqlBool } from 'kysely';
import type { AuditLog } from '../audit/log.js';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import type { Db } from '../db/schema.js';
import { CairnError } from '../errors.js';
import { logPurgeRemovals, logRecordIdRemovals } from '../federation/index/changes.js';
import type { Clock } from '../ports.js';

export interface ManageDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
}

/** Remove a record and its tokens at once. */
export async function deleteRecord(deps: ManageDeps, ref: string, actor: string, reason?: string): Promise<{ ref: string; tokens: number }> {
  const row = await deps.db.selectFrom('records').select(['id', 'category']).where('ref', '=', ref).executeTakeFirst();
  if (!row) throw new CairnError('not_found', `no record with reference ${JSON.stringify(ref)}`, { location: { field: 'ref' } });
  const count = await deps.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('record_id', '=', row.id).executeTakeFirstOrThrow();
  const now = deps.clock.now();
  await deps.atomic.run([
    logRecordIdRemovals(deps.db, row.id, now),
    deps.db.deleteFrom('tokens').where('record_id', '=', row.id).compile(),
    deps.db.deleteFrom('records').where('id', '=', row.id).compile(),
    // Its copy in a pending OPRF epoch goes too, or activation would bring it back.
    deps.db.deleteFrom('pending_tokens').where('ref', '=', ref).compile(),
    deps.db.deleteFrom('pending_records').where('ref', '=', ref).compile(),
    appendStatement(deps.db, { type: 'records.delete', actor, data: { ref, category: row.category, tokens: Number(count.n), reason } }, now),
  ]);
  return { ref, tokens: Number(count.n) };
}

/** Today's date in UTC as YYYY-MM-DD. */
export const utcDate = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Purge every record whose retention date has passed, in batches, each with
 * its audit entry naming the references. Returns how many were purged.
 */
export async function purgeExpired(deps: ManageDeps, actor = 'system', batchSize = 500): Promise<number> {
  const today = utcDate(deps.clock.now());
  let purged = 0;
  for (;;) {
    const rows = await deps.db.selectFrom('records').select(['id', 'ref']).where('retention_until', '<', today).orderBy('id').limit(batchSize).execute();
    if (rows.length === 0) return purged;
    const ids = rows.map((r) => r.id);
    const now = deps.clock.now();
    const lo = ids[0]!;
    const hi = ids[ids.length - 1]!;
    // Range plus the date condition re-selects exactly these rows, without binding every id (D1's 100-parameter cap).
    await deps.atomic.run([
      logPurgeRemovals(deps.db, lo, hi, today, now),
      sql`delete from tokens where record_id in (select id from records where id between ${lo} and ${hi} and retention_until < ${today})`.compile(deps.db),
      sql`delete from records where id between ${lo} and ${hi} and retention_until < ${today}`.compile(deps.db),
      // Copies in a pending OPRF epoch past retention go too.
      sql`delete from pending_tokens where ref in (select ref from pending_records where retention_until < ${today})`.compile(deps.db),
      sql`delete from pending_records where retention_until < ${today}`.compile(deps.db),
      appendStatement(deps.db, { type: 'records.purge', actor, data: { retentionBefore: today, count: rows.length, refs: rows.map((r) => r.ref) } }, now),
    ]);
    purged += rows.length;
  }
}

/**
 * The cutoff to apply to token queries now: today's date when some record is
 * already past retention (not yet purged), else undefined. One probe of the
 * records_retention index, so answering stays on its covering index on
 * every day the purge has kept up.
 */
export async function expiredSince(db: Db, now: Date): Promise<string | undefined> {
  const today = utcDate(now);
  const row = await db.selectFrom('records').select('id').where('retention_until', '<', today).limit(1).executeTakeFirst();
  return row ? today : undefined;
}

/**
 * `expiredSince` for an answer: once a probe finds nothing past retention,
 * that holds for the rest of the UTC day while no other connection has
 * written (`dataVersion`, Ports.dataVersion) and this process has not
 * activated an OPRF epoch (`changed()`). Otherwise this process cannot make
 * a record expire within the day: records are stored only with a retention
 * date not in the past (parse.ts), and purges only remove. An activation
 * can: it serves records imported into the pending epoch days before.
 * Another process may (a changed retention date, a restored backup): its
 * commit changes the data version. Without `dataVersion` every call probes.
 */
export class RetentionProbe {
  readonly #db: Db;
  readonly #dataVersion: (() => number) | undefined;
  #clear: { day: string; version: number } | undefined;
  #changes = 0;

  constructor(db: Db, dataVersion?: () => number) {
    this.#db = db;
    this.#dataVersion = dataVersion;
  }

  /** Records of another epoch are served now: probe again. */
  changed(): void {
    this.#changes++;
    this.#clear = undefined;
  }

  async expired(now: Date): Promise<string | undefined> {
    const version = this.#dataVersion?.();
    const day = utcDate(now);
    if (version !== undefined && this.#clear?.day === day && this.#clear.version === version) return undefined;
    const changes = this.#changes;
    const cutoff = await expiredSince(this.#db, now);
    // Kept under the version read before the probe (a write that raced it
    // shows as a change next time), and not when an activation overtook it.
    if (cutoff === undefined && version !== undefined && changes === this.#changes) this.#clear = { day, version };
    else if (cutoff !== undefined) this.#clear = undefined;
    return cutoff;
  }
}

/** A `where` for queries over `tokens`: the token's record is not past `cutoff` (from `expiredSince`). */
export function notExpired(cutoff: string): Expression<SqlBool> {
  return sql<SqlBool>`not exists (select 1 from records r where r.id = tokens.record_id and r.retention_until < ${cutoff})`;
}

export interface RetentionDeps extends ManageDeps {
  /** audit.retentionDays: entry payloads older than this are pruned (leaf hashes stay). */
  auditRetentionDays: number;
  /** The node's audit log: it signs what it prunes (log.ts pruneEntries). */
  audit: Pick<AuditLog, 'prune'>;
}

/**
 * The retention job both runtimes schedule: purge records past retention,
 * then prune audit payloads older than the audit retention.
 */
export async function runRetention(deps: RetentionDeps, actor = 'system'): Promise<{ purged: number; pruned: number }> {
  const purged = await purgeExpired(deps, actor);
  const before = new Date(deps.clock.now().getTime() - deps.auditRetentionDays * 86_400_000);
  const pruned = await deps.audit.prune(before, actor);
  return { purged, pruned };
}

/** Counts per category and per match-key type; no identifiers. */
export async function recordStats(db: Db): Promise<{ records: number; tokens: number; byCategory: Record<string, number>; byMatchKeyType: Record<string, number> }> {
  const cats = await db.selectFrom('records').select(['category', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('category').execute();
  const types = await db.selectFrom('tokens').select(['key_type', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('key_type').execute();
  const byCategory = Object.fromEntries(cats.map((r) => [r.category, Number(r.n)]));
  const byMatchKeyType = Object.fromEntries(types.map((r) => [r.key_type, Number(r.n)]));
  return {
    records: Object.values(byCategory).reduce((a, b) => a + b, 0),
    tokens: Object.values(byMatchKeyType).reduce((a, b) => a + b, 0),
    byCategory,
    byMatchKeyType,
  };
}
