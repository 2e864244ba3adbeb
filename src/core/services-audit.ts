/**
 * The audit log as a service: its Merkle log (one instance per node, see
 * audit/log.ts), the DPO's reads of it (each recorded as an entry of its
 * own), appending entries for acts delivery performs (console sign-in), and
 * the read queries the DPO's and operator's views share.
 */
import type { AtomicWriter } from './atomic.js';
import { appendStatement, type AuditEventType } from './audit/entry.js';
import { acceptCosignature, type Cosigner } from './audit/cosignatures.js';
import { Checkpointer, type AuditLog, type SignedCheckpoint } from './audit/log.js';
import { entriesToCsv, listEntries, type AuditEntryView, type AuditFilter } from './audit/query.js';
import type { CanonicalValue } from './canonical-json.js';
import { failureLog } from './failure-log.js';
import type { Config } from './config.js';
import { CairnError } from './errors.js';
import type { Db } from './db/schema.js';
import type { Clock, Logger } from './ports.js';
import type { Ed25519Verify, Signer } from './signing.js';

/** The most entries one export over HTTP holds (more: narrow the filter, or `cairn audit export`, which has no limit). */
export const EXPORT_MAX_ENTRIES = 100_000;
const EXPORT_PAGE_SIZE = 1000;

/** The node's audit log and the reads of it. */
export interface AuditService {
  /** The Merkle log: checkpoints, proofs, verification, pruning. */
  log: AuditLog;
  /**
   * The background checkpointer (PROTOCOL.md §40): the runtime pokes it (a
   * timer on Node, `waitUntil` after each request on Workers) and a
   * checkpoint follows within audit.checkpointIntervalMs of any entry.
   */
  checkpointer: Checkpointer;
  /** Verify and keep a peer's cosignature on one of our checkpoints (PROTOCOL.md §45). */
  acceptCosignature(peer: Cosigner, note: string): Promise<{ size: number }>;
  /** The latest checkpoint, re-signed at most every audit.checkpointIntervalMs (what peers see). */
  checkpointForPeers(): Promise<SignedCheckpoint>;
  /** Append one entry for an act (console sign-in, a DPO's read). */
  record(type: AuditEventType, actor: string, data: Record<string, unknown>): Promise<void>;
  /** Entries matching `filter`, one page: oldest first, or newest first (the console's log). */
  entries(filter: AuditFilter, order?: 'oldest' | 'newest'): Promise<{ entries: AuditEntryView[]; next: number | null }>;
  /**
   * Every entry matching `filter` from its cursor, for a download, when
   * there are at most `max` (default EXPORT_MAX_ENTRIES). More are refused
   * whole, never cut short: an `invalid_request` whose details give the
   * limit and `splitAt`, the time of the first entry beyond it (`to` at
   * that time keeps an export within the limit, `from` continues there).
   */
  exportEntries(filter: AuditFilter, max?: number): Promise<AuditEntryView[]>;
  /** Entries as CSV (RFC 4180). */
  toCsv(entries: readonly AuditEntryView[]): string;
  /** Entries appended so far (integrated or not). */
  size(): Promise<number>;
  /** The newest stored checkpoint's size and signing time, if any. */
  latestStored(): Promise<{ size: number; at: string } | undefined>;
  /** When the checkpoint at `size` was signed, if it is stored. */
  signedAt(size: number): Promise<string | undefined>;
  /** Recent entries of `types` since `fromIso`, newest first, at most `limit`, for the DPO's charts. */
  recent(types: readonly string[], fromIso: string, limit: number): Promise<{ at: string; type: string; entry: string | null }[]>;
  /** Display names of peers and users by id, for tables and charts. */
  labels(): Promise<Record<string, string>>;
}

/** Build the audit service. */
export function createAuditService(deps: {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  log: AuditLog;
  config: Config;
  signer: Signer;
  logger: Logger;
  /** How the checkpointer waits before signing (default: not at all; the caller's timer paces it). */
  sleep?: (ms: number) => Promise<void>;
  /** Cairn's Ed25519 rule for peers' cosignatures (default: portable). */
  verify?: Ed25519Verify;
}): AuditService {
  const { db } = deps;
  // Poked about every half second: a lasting failure (a full disk) is logged once a minute, not at every poke.
  const failures = failureLog(deps.logger, 'background checkpoint', deps.clock);
  const checkpointer = new Checkpointer(deps.log, {
    intervalMs: deps.config.audit.checkpointIntervalMs,
    sleep: deps.sleep ?? (async () => {}),
    onError: (e) => failures.failed(e),
    onSigned: () => failures.succeeded(),
  });
  return {
    log: deps.log,
    checkpointer,
    acceptCosignature: (peer, note) => acceptCosignature({ db, atomic: deps.atomic, clock: deps.clock, signer: deps.signer, baseUrl: deps.config.node.url, ...(deps.verify ? { verify: deps.verify } : {}) }, peer, note),
    checkpointForPeers: () => deps.log.latestCheckpoint(deps.config.audit.checkpointIntervalMs),
    async record(type, actor, data) {
      // Through JSON once: drops undefined members, which canonical JSON refuses.
      const clean = JSON.parse(JSON.stringify(data)) as { [k: string]: CanonicalValue };
      await deps.atomic.run([appendStatement(db, { type, actor, data: clean }, deps.clock.now())]);
    },
    entries: (filter, order) => listEntries(db, filter, order),
    async exportEntries(filter, max = EXPORT_MAX_ENTRIES) {
      const all: AuditEntryView[] = [];
      let cursor = filter.cursor;
      for (;;) {
        const page = await listEntries(db, { ...filter, limit: EXPORT_PAGE_SIZE, ...(cursor !== undefined ? { cursor } : {}) });
        all.push(...page.entries);
        if (all.length > max) {
          const splitAt = all[max]!.at;
          throw new CairnError(
            'invalid_request',
            `more than ${max.toLocaleString('en-US')} entries match, the most one export holds; nothing was exported. Narrow the filter: to=${splitAt} keeps the first ${max.toLocaleString('en-US')} at most, and from=${splitAt} continues after them (or filter by type, actor, peer, purpose or caseReference). \`cairn audit export\` on the node exports any number`,
            { details: { limit: max, splitAt } },
          );
        }
        if (page.next === null) return all;
        cursor = page.next;
      }
    },
    toCsv: entriesToCsv,
    async size() {
      const r = await db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    latestStored: () => db.selectFrom('audit_checkpoints').select(['size', 'at']).orderBy('size', 'desc').limit(1).executeTakeFirst(),
    signedAt: async (size) => (await db.selectFrom('audit_checkpoints').select('at').where('size', '=', size).executeTakeFirst())?.at,
    recent: (types, fromIso, limit) =>
      db.selectFrom('audit_entries').select(['at', 'type', 'entry']).where('type', 'in', [...types]).where('at', '>=', fromIso).orderBy('idx', 'desc').limit(limit).execute(),
    async labels() {
      const peers = await db.selectFrom('peers').select(['id', 'country', 'name']).execute();
      const users = await db.selectFrom('users').select(['id', 'name']).execute();
      return Object.fromEntries([...peers.map((p) => [p.id, `${p.country} · ${p.name}`]), ...users.map((u) => [u.id, u.name])]);
    },
  };
}
