/**
 * The searcher side of the token index (protocol/37-token-index.md): our
 * replicas of peers' indexes. Each shard's fingerprints are stored sorted and
 * packed in one blob, each group's 256 shard hashes in another, so a replica
 * costs little more than 8 bytes per token and a lookup reads one blob per
 * fingerprint. A delta is checked against the peer's change chain and kept
 * beside the shards as net changes per fingerprint, at a cost proportional
 * to the delta; a merge later folds them into the shards it touches and
 * compares the root with the peer's signed head.
 *
 * Heads and deltas come from peers: attacker-controlled. A head counts only
 * when it verifies under the peer's pinned signing key and names that peer.
 */
import { CompiledQuery, sql, type Selectable } from 'kysely';
import { indexHeadSchema, type IndexHead, type ReplicaState } from '../../../../schemas/index.js';
import type { RecordCategory } from '../../../../schemas/records.js';
import type { AtomicWriter } from '../../atomic.js';
import { appendStatement } from '../../audit/entry.js';
import { asBytes, equalBytes, fromBase64Url, toHex } from '../../bytes.js';
import { INDEX, MERKLE } from '../../constants.js';
import type { Db, ReplicasTable } from '../../db/schema.js';
import { verifyJsonEnvelope, type DsseEnvelope } from '../../dsse.js';
import { CairnError, isCairnError } from '../../errors.js';
import { inFlight, whileMoving, type InFlight } from '../../in-flight.js';
import { portableSha256, type Clock, type Logger, type Sha256 } from '../../ports.js';
import type { Ed25519Verify } from '../../signing.js';
import { exchangeKeys, type Peer } from '../peers.js';
import { withAnyKey } from '../../keys/history.js';
import { compareBytes, shardOf } from './fingerprint.js';
import { splitByShard } from './owner.js';
import { emptyGroupHashes, emptyGroupShards, groupHash, indexRoot, shardHash } from './tree.js';
import { CHANGE_BYTES, changeFingerprint, checkChanges, EMPTY_CHAIN, extendChain } from './chain.js';
import { CHANGE_OP } from './changes.js';
import { isResync, storedHead, type IndexChanges, type IndexDelta, type ReplicaStatus } from './types.js';

const FP = INDEX.fingerprintBytes;
const HASH = MERKLE.hashSize;
/** Rows per multi-row upsert: 3 parameters each, under D1's 100 bound parameters ... */
const ROWS_PER_UPSERT = 33;
/** ... and with a merge's 3 guard parameters. */
const ROWS_PER_GUARDED_UPSERT = 32;
/** Unmerged changes per insert: 4 parameters each and 2 for the guard. */
const CHANGES_PER_INSERT = 24;
/** Values per IN list, under D1's 100 bound parameters. */
const IN_CHUNK = 90;

/**
 * Most statements that storing a snapshot page of at most one block (4,096
 * shards, 17 groups at most) issues, for `nonEmpty` non-empty shards: their
 * upserts, the groups read and written, the replica row.
 */
export function pageStatements(nonEmpty: number): number {
  return Math.ceil(nonEmpty / ROWS_PER_UPSERT) + 3;
}

/** The most non-empty shards whose page (of at most one block) fits `statements` statements. */
export const pageShardsWithin = (statements: number): number => Math.max(0, (statements - 3) * ROWS_PER_UPSERT);

/** Most statements that starting a full transfer issues (the replica emptied, then read back). */
export const BEGIN_STATEMENTS = 5;

/** Most statements that giving up a full transfer issues (abandonFull): the replica row, its shards, groups and changes. */
export const ABANDON_STATEMENTS = 4;

/** Most statements that finishing a full transfer issues: the replica row and all its groups read, the row updated and the audit entry appended. */
export const FINISH_STATEMENTS = 3 + Math.ceil(INDEX.groupCount / IN_CHUNK) + 2;

/** Most statements that applying a delta of `changes` changes issues: its inserts, the replica row read and updated, the head check. */
export function deltaStatements(changes: number): number {
  return Math.ceil(changes / CHANGES_PER_INSERT) + 3;
}

/**
 * Most statements that merging `pending` unmerged changes issues: the rows
 * read, the shards they touch read and written (or deleted when emptied),
 * their groups read and written, the replica row, the rows deleted.
 */
export function mergeStatements(pending: number): number {
  const groups = Math.min(pending, INDEX.groupCount);
  return 3 + 2 * Math.ceil(pending / IN_CHUNK) + Math.ceil(pending / ROWS_PER_GUARDED_UPSERT) + Math.ceil(groups / IN_CHUNK) + Math.ceil(groups / ROWS_PER_GUARDED_UPSERT) + 2;
}

export interface ReplicaDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  logger: Logger;
  /** Cairn's Ed25519 rule (default: portable); heads ride on every answer, so Node passes its fast path. */
  verify?: Ed25519Verify;
  /** SHA-256 for shard, group and root hashes (default: the portable one; Node passes OpenSSL's). */
  sha256?: Sha256;
  /** A holder of a replica's lock that has held it this long was cut off by the runtime (Workers; in-flight.ts). None: wait. */
  abandonAfterMs?: number;
  /** Most fingerprints one replica may hold (default INDEX.maxReplicaCount): a head claiming more puts the replica in `error`. */
  maxReplicaCount?: number;
}

/** Verify a peer's signed index head: its pinned key, its own node id, the expected category. */
export function verifyHead(peer: Peer, envelope: unknown, category?: RecordCategory, verify?: Ed25519Verify): IndexHead {
  let payload: unknown;
  try {
    payload = withAnyKey(exchangeKeys(peer), (key) => verifyJsonEnvelope(envelope, INDEX.headPayloadType, key, verify));
  } catch (cause) {
    throw new CairnError('index_invalid', `${peer.country}: index head does not verify under its pinned key: ${isCairnError(cause) ? cause.message : String(cause)}`, { cause });
  }
  const parsed = indexHeadSchema.safeParse(payload);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CairnError('index_invalid', `${peer.country}: index head field ${i?.path.join('.')}: ${i?.message}`);
  }
  if (parsed.data.node !== peer.id) throw new CairnError('index_invalid', `${peer.country}: index head names node ${parsed.data.node.slice(0, 64)}, not ${peer.id}`);
  if (category !== undefined && parsed.data.category !== category) throw new CairnError('index_invalid', `${peer.country}: index head is for ${parsed.data.category}, not ${category}`);
  return parsed.data;
}

/** Index of `fp` in packed sorted fingerprints, or -1. */
/** How many times `fp` is listed in a packed shard (the index is a multiset: one entry per record holding the token). */
function countOf(packed: Uint8Array, fp: Uint8Array): number {
  const at = find(packed, fp);
  if (at < 0) return 0;
  const equal = (i: number) => compareBytes(packed.subarray(i * FP, i * FP + FP), fp) === 0;
  let lo = at;
  let hi = at;
  while (lo > 0 && equal(lo - 1)) lo--;
  while ((hi + 1) * FP < packed.length && equal(hi + 1)) hi++;
  return hi - lo + 1;
}

function find(packed: Uint8Array, fp: Uint8Array): number {
  let lo = 0;
  let hi = packed.length / FP - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(packed.subarray(mid * FP, mid * FP + FP), fp);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Order of the fingerprints at `ai` in `a` and at `bi` in `b` (byte offsets), without views. */
function compareAt(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  for (let k = 0; k < FP; k++) if (a[ai + k] !== b[bi + k]) return a[ai + k]! - b[bi + k]!;
  return 0;
}

/**
 * Apply adds and removes (multiset) to a packed sorted shard; undefined when
 * a removed fingerprint is not held. One merge of the shard with the sorted
 * adds, dropping one listed entry per remove, so the shard is never re-sorted.
 */
function applyToShard(packed: Uint8Array, adds: Uint8Array[], removes: Uint8Array[]): Uint8Array | undefined {
  const add = [...adds].sort(compareBytes);
  const rem = [...removes].sort(compareBytes);
  const size = packed.length + (add.length - rem.length) * FP;
  if (size < 0) return undefined;
  const out = new Uint8Array(size);
  let o = 0;
  let r = 0;
  let ai = 0;
  let pi = 0;
  while (pi < packed.length || ai < add.length) {
    // The smaller of the shard's next entry and the next add (the shard's first on ties: equal bytes either way).
    const fromShard = ai >= add.length || (pi < packed.length && compareAt(packed, pi, add[ai]!, 0) <= 0);
    const src = fromShard ? packed : add[ai]!;
    const at = fromShard ? pi : 0;
    if (r < rem.length) {
      const c = compareAt(rem[r]!, 0, src, at);
      if (c < 0) return undefined; // a remove sorts before everything left: it is not held
      if (c === 0) {
        r++;
        if (fromShard) pi += FP;
        else ai++;
        continue;
      }
    }
    if (o + FP > out.length) return undefined;
    for (let k = 0; k < FP; k++) out[o + k] = src[at + k]!;
    o += FP;
    if (fromShard) pi += FP;
    else ai++;
  }
  return r === rem.length && o === out.length ? out : undefined;
}

/** A merge's guard: the replica, the version merged up to, and how many unmerged rows up to it were read. */
type MergeGuard = readonly [replicaId: number, version: number, rows: number];
const MERGE_GUARD = 'where (select count(*) from replica_changes where replica_id = ? and version <= ?) = ?';

const upsertTexts = new Map<string, string>();
/**
 * Text of a multi-row upsert into a replica table keyed by (replica_id, key),
 * guarded (a merge) or not: built once per shape and row count, since a
 * large merge issues hundreds of these and building each through the query
 * builder cost more than running it.
 */
function upsertText(table: 'replica_shards' | 'replica_groups', key: 'shard' | 'grp', value: 'fingerprints' | 'shard_hashes', rows: number, guarded: boolean): string {
  const id = `${table}/${rows}/${guarded}`;
  let text = upsertTexts.get(id);
  if (!text) {
    const values = Array.from({ length: rows }, () => '(?, ?, ?)').join(', ');
    // An INSERT ... SELECT needs its WHERE before ON CONFLICT; the unguarded form says `where true`.
    text = `insert into ${table} (replica_id, ${key}, ${value}) select column1, column2, column3 from (values ${values}) ${guarded ? MERGE_GUARD : 'where true'}
      on conflict (replica_id, ${key}) do update set ${value} = excluded.${value}`;
    upsertTexts.set(id, text);
  }
  return text;
}

const changesInsertTexts = new Map<number, string>();
/** Text of a multi-row insert of unmerged changes, landing only while the replica is still at the version the delta starts from. */
function changesInsertText(rows: number): string {
  let text = changesInsertTexts.get(rows);
  if (!text) {
    text = `insert into replica_changes (replica_id, fingerprint, version, n) select column1, column2, column3, column4
      from (values ${Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ')}) where (select version from replicas where id = ?) = ?`;
    changesInsertTexts.set(rows, text);
  }
  return text;
}

const shardsInTexts = new Map<number, string>();
/** Text of a read of `n` shards of one replica; built once per `n`, like the upserts' (a large delta reads thousands). */
function shardsInText(n: number): string {
  let text = shardsInTexts.get(n);
  if (!text) {
    text = `select shard, fingerprints from replica_shards where replica_id = ? and shard in (${Array.from({ length: n }, () => '?').join(', ')})`;
    shardsInTexts.set(n, text);
  }
  return text;
}

/** Our replicas of peers' token indexes. */
export class ReplicaStore {
  readonly #deps: ReplicaDeps;
  readonly #hash: Sha256;
  /** One writer per replica at a time in this process: the last to take each lock. */
  readonly #locks = new Map<string, InFlight<unknown>>();
  /**
   * The last head verified per peer and category, with the keys it was
   * verified under. Every answer carries a head per category, and an
   * in-sync searcher mostly gets the one it verified last: the same
   * envelope under the same pinned keys verifies the same way, so it costs
   * no signature checks the second time (six per answer otherwise).
   */
  readonly #heads = new Map<string, { keys: string; envelope: string; head: IndexHead }>();

  constructor(deps: ReplicaDeps) {
    this.#deps = deps;
    this.#hash = deps.sha256 ?? portableSha256;
  }

  /** verifyHead, remembering the last head that verified for this peer and category. */
  #verifiedHead(peer: Peer, envelope: unknown, category: RecordCategory): IndexHead {
    const id = `${peer.id}/${category}`;
    const keys = exchangeKeys(peer).map(toHex).join(',');
    const text = JSON.stringify(envelope);
    const last = this.#heads.get(id);
    if (last !== undefined && last.keys === keys && last.envelope === text) return last.head;
    const head = verifyHead(peer, envelope, category, this.#deps.verify);
    this.#heads.set(id, { keys, envelope: text, head });
    return head;
  }

  async #locked<T>(key: string, f: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key);
    const limit = this.#deps.abandonAfterMs;
    // The holder before us, if it moved within the limit; one the runtime cut off is not waited for.
    const turn = async (): Promise<void> => {
      if (prev === undefined) return;
      if ((await whileMoving(prev, limit)) === 'abandoned') this.#deps.logger.warn({ replica: key }, 'replica lock holder abandoned by the runtime; going on without it');
    };
    let mine: InFlight<unknown> | undefined;
    const run = turn().then(() => {
      if (mine !== undefined) mine.moved = Date.now(); // our turn: the limit counts from here
      return f();
    });
    mine = inFlight(run.catch(() => undefined));
    this.#locks.set(key, mine);
    try {
      return await run;
    } finally {
      if (this.#locks.get(key) === mine) this.#locks.delete(key);
    }
  }

  async #row(peerId: string, category: string): Promise<Selectable<ReplicasTable> | undefined> {
    return this.#deps.db.selectFrom('replicas').selectAll().where('peer_id', '=', peerId).where('category', '=', category).executeTakeFirst();
  }

  /** Our replica versions of a peer's indexes (what the match request carries): ready replicas only. */
  async replicaVersions(peerId: string): Promise<Partial<Record<RecordCategory, number>>> {
    const rows = await this.#deps.db.selectFrom('replicas').select(['category', 'version']).where('peer_id', '=', peerId).where('status', '=', 'ready').execute();
    return Object.fromEntries(rows.map((r) => [r.category, r.version])) as Partial<Record<RecordCategory, number>>;
  }

  /** Replica states, of one peer or of all, for operators. */
  async states(peerId?: string): Promise<ReplicaState[]> {
    let q = this.#deps.db.selectFrom('replicas').select(['peer_id', 'category', 'status', 'version', 'count', 'shards_done', 'error', 'updated_at']);
    if (peerId !== undefined) q = q.where('peer_id', '=', peerId);
    const rows = await q.orderBy('peer_id').orderBy('category').execute();
    return rows.map((r) => ({
      peer: r.peer_id,
      category: r.category as RecordCategory,
      status: r.status,
      version: r.version,
      count: r.count,
      shardsDone: r.shards_done,
      error: r.error,
      updatedAt: r.updated_at,
    }));
  }

  /** The OPRF epoch of a replica's head, if the replica exists. */
  async epochOf(peerId: string, category: RecordCategory): Promise<number | undefined> {
    return (await this.#row(peerId, category))?.epoch;
  }

  /** Status of one replica; a missing replica is `stale` (it needs a full sync). */
  async status(peerId: string, category: RecordCategory): Promise<ReplicaStatus> {
    return (await this.#row(peerId, category))?.status ?? 'stale';
  }

  /** Mark a replica (creating its row if needed) with a status and an error text. */
  async mark(peerId: string, category: RecordCategory, status: ReplicaStatus, error: string | null = null): Promise<void> {
    const now = this.#deps.clock.now().toISOString();
    await this.#deps.atomic.run([
      sql`insert into replicas (peer_id, category, status, version, count, head, group_hashes, shards_done, error, updated_at)
        values (${peerId}, ${category}, ${status}, 0, 0, null, null, 0, ${error}, ${now})
        on conflict (peer_id, category) do update set status = excluded.status, error = excluded.error, updated_at = excluded.updated_at`.compile(this.#deps.db),
    ]);
  }

  /** Forget replicas of `peerId` (all, or those of categories not in `keep`). */
  async drop(peerId: string, keep: readonly string[] = []): Promise<void> {
    const { db } = this.#deps;
    const rows = await db.selectFrom('replicas').select(['id', 'category']).where('peer_id', '=', peerId).execute();
    for (const r of rows) {
      if (keep.includes(r.category)) continue;
      await this.#deps.atomic.run([
        sql`delete from replica_shards where replica_id = ${r.id}`.compile(db),
        sql`delete from replica_groups where replica_id = ${r.id}`.compile(db),
        sql`delete from replica_changes where replica_id = ${r.id}`.compile(db),
        sql`delete from replicas where id = ${r.id}`.compile(db),
      ]);
    }
  }

  /**
   * Which of these fingerprints the replica of `peerId` lists, per category,
   * and how many times (one entry per record holding the token), with each
   * category's status: its shards' listings plus its verified changes not
   * yet merged. Only `ready` replicas are looked in; a caller reports any
   * other status as index_syncing or error, never no_hit.
   */
  async lookup(
    peerId: string,
    categories: readonly RecordCategory[],
    fingerprints: readonly Uint8Array[],
    epoch?: number,
  ): Promise<{ status: Partial<Record<RecordCategory, ReplicaStatus>>; hits: Array<{ category: RecordCategory; fingerprint: Uint8Array; count: number }> }> {
    const { db } = this.#deps;
    const status: Partial<Record<RecordCategory, ReplicaStatus>> = {};
    const hits: Array<{ category: RecordCategory; fingerprint: Uint8Array; count: number }> = [];
    if (categories.length === 0) return { status, hits };
    const rows = await db.selectFrom('replicas').select(['id', 'category', 'status', 'epoch', 'pending']).where('peer_id', '=', peerId).where('category', 'in', [...categories]).execute();
    const byCategory = new Map(rows.map((r) => [r.category, r]));
    const shards = [...new Set(fingerprints.map(shardOf))];
    const ready: Array<{ category: RecordCategory; id: number; pending: number }> = [];
    for (const c of categories) {
      const r = byCategory.get(c);
      // A replica of another OPRF epoch holds fingerprints of another key: never compared, it needs a full sync.
      status[c] = r && epoch !== undefined && r.epoch !== epoch ? 'stale' : (r?.status ?? 'stale');
      if (r && status[c] === 'ready') ready.push({ category: c, id: r.id, pending: r.pending });
    }
    if (ready.length === 0 || fingerprints.length === 0) return { status, hits };
    const pending = await this.#pendingCounts(ready.filter((r) => r.pending > 0).map((r) => r.id), fingerprints);
    // The shards of every ready category in one read (a few per search, not one per category).
    const ids = ready.map((r) => r.id);
    const blobs = new Map<string, Uint8Array>();
    const per = Math.max(1, IN_CHUNK - ids.length);
    for (let i = 0; i < shards.length; i += per) {
      const got = await db.selectFrom('replica_shards').select(['replica_id', 'shard', 'fingerprints']).where('replica_id', 'in', ids).where('shard', 'in', shards.slice(i, i + per)).execute();
      for (const g of got) blobs.set(`${g.replica_id}/${g.shard}`, new Uint8Array(g.fingerprints));
    }
    for (const { category, id } of ready) {
      for (const fp of fingerprints) {
        const packed = blobs.get(`${id}/${shardOf(fp)}`);
        const count = (packed ? countOf(packed, fp) : 0) + (pending.get(`${id}/${toHex(fp)}`) ?? 0);
        if (count > 0) hits.push({ category, fingerprint: fp, count });
      }
    }
    return { status, hits };
  }

  /** Net listings that unmerged changes bring to these fingerprints, keyed `replicaId/hex`. */
  async #pendingCounts(replicaIds: readonly number[], fingerprints: readonly Uint8Array[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (replicaIds.length === 0 || fingerprints.length === 0) return out;
    const distinct = [...new Map(fingerprints.map((f) => [toHex(f), f])).values()];
    const per = Math.max(1, IN_CHUNK - replicaIds.length);
    for (let i = 0; i < distinct.length; i += per) {
      const rows = await this.#deps.db
        .selectFrom('replica_changes')
        .select(['replica_id', 'fingerprint', (eb) => eb.fn.sum<number>('n').as('n')])
        .where('replica_id', 'in', [...replicaIds])
        .where('fingerprint', 'in', distinct.slice(i, i + per))
        .groupBy(['replica_id', 'fingerprint'])
        .execute();
      for (const r of rows) out.set(`${r.replica_id}/${toHex(new Uint8Array(r.fingerprint))}`, Number(r.n));
    }
    return out;
  }

  /**
   * Apply changes that came with an answer or were asked for: verify the
   * head under the peer's pinned key, extend our change chain over the
   * changes, and compare chain and count with the head when the delta
   * reaches it. The changes are stored beside the shards (merged later, see
   * `merge`), so applying costs in proportion to the delta. Returns the
   * replica's status afterwards: `ready` (verified), `syncing` (applied,
   * more changes follow), `stale` (it needs a full sync) or `error` (the
   * peer's data failed a check).
   */
  async applyDelta(peer: Peer, changes: IndexChanges): Promise<ReplicaStatus> {
    return this.#locked(`${peer.id}/${changes.category}`, () => this.#apply(peer, changes));
  }

  /**
   * applyDelta for each of an answer's deltas, in order, with the same
   * results. An in-sync searcher gets an empty delta per category with
   * every answer; those are settled from one read of the peer's replica
   * rows (ready, of the head's epoch, at the head's version), not one read
   * each. A delta that changes anything, a head that fails its check and a
   * replica another task of ours is writing take applyDelta's path; one
   * that throws there is reported `error`, and the others are still applied.
   */
  async applyDeltas(peer: Peer, list: readonly IndexChanges[]): Promise<ReplicaStatus[]> {
    const atHead = (c: IndexChanges): c is IndexDelta => !isResync(c) && c.changes.length === 0 && c.fromVersion === c.toVersion;
    const rows = list.some(atHead)
      ? await this.#deps.db.selectFrom('replicas').select(['category', 'status', 'version', 'epoch']).where('peer_id', '=', peer.id).execute()
      : [];
    const byCategory = new Map(rows.map((r) => [r.category, r]));
    const out: ReplicaStatus[] = [];
    for (const changes of list) {
      const row = byCategory.get(changes.category);
      if (atHead(changes) && row?.status === 'ready' && !this.#locks.has(`${peer.id}/${changes.category}`)) {
        let head: IndexHead | undefined;
        try {
          head = this.#verifiedHead(peer, changes.head, changes.category);
        } catch {
          // Refused: applyDelta marks the replica and logs it.
        }
        if (head !== undefined && row.epoch === (head.epoch ?? 1) && row.version === head.version && changes.toVersion === head.version) {
          out.push('ready');
          continue;
        }
      }
      try {
        out.push(await this.applyDelta(peer, changes));
      } catch (e) {
        // A replica we could not write is in error for this answer, never silently behind; the next answer tries again.
        this.#deps.logger.warn({ peer: peer.id, category: changes.category, code: isCairnError(e) ? e.code : 'internal' }, 'replica delta could not be applied');
        out.push('error');
      }
    }
    return out;
  }

  async #apply(peer: Peer, changes: IndexChanges): Promise<ReplicaStatus> {
    const { category } = changes;
    let head: IndexHead;
    try {
      head = this.#verifiedHead(peer, changes.head, category);
    } catch (e) {
      const message = isCairnError(e) ? e.message : String(e);
      this.#deps.logger.warn({ peer: peer.id, category, code: 'index_invalid' }, 'index head refused');
      const row = await this.#row(peer.id, category);
      if (row) await this.mark(peer.id, category, 'error', message);
      return 'error';
    }
    const row = await this.#deps.db
      .selectFrom('replicas')
      .select(['id', 'status', 'version', 'epoch', 'count', 'chain', 'shards_done', 'pending'])
      .where('peer_id', '=', peer.id)
      .where('category', '=', category)
      .executeTakeFirst();
    if (row && row.status !== 'syncing' && row.epoch !== (head.epoch ?? 1)) {
      // The peer activated another OPRF key: no delta bridges two epochs.
      await this.mark(peer.id, category, 'stale', `the peer's index is now of OPRF epoch ${head.epoch ?? 1}, the replica of epoch ${row.epoch}`);
      return 'stale';
    }
    // A replica between two pages of one delta is `syncing` with its chain kept; one being transferred whole has none yet.
    const midDelta = row?.status === 'syncing' && row.chain !== null && row.shards_done === INDEX.shardCount;
    if (isResync(changes)) {
      // A syncing replica is left to its sync (an answer says resync for every category we did not list as ready).
      if (row && row.status !== 'syncing') await this.mark(peer.id, category, 'stale', `the peer's change log no longer reaches back to version ${row.version}`);
      return row?.status === 'syncing' ? 'syncing' : 'stale';
    }
    if (!row) return 'stale';
    if (row.status !== 'ready' && !midDelta) return row.status;
    const n = changes.changes.length / CHANGE_BYTES;
    if (row.version === head.version && changes.toVersion === head.version && n === 0) return row.status === 'ready' ? 'ready' : 'syncing';
    if (row.version !== changes.fromVersion || changes.toVersion > head.version || changes.toVersion < changes.fromVersion) {
      // Not a delta from where we are (an older or newer answer): leave the replica, let a sync catch up.
      return row.status === 'ready' && row.version >= head.version ? 'ready' : 'stale';
    }

    // Attacker-controlled sizes: one delta is at most what we asked for (the default `max`), one change
    // per sequence number between its versions, towards an index no larger than a replica may be.
    const cap = this.#deps.maxReplicaCount ?? INDEX.maxReplicaCount;
    const oversized =
      n > INDEX.maxDeltaChanges ? `carries ${n} changes, more than the ${INDEX.maxDeltaChanges} a delta may`
      : n > changes.toVersion - changes.fromVersion ? `carries ${n} changes, more than the ${changes.toVersion - changes.fromVersion} versions it spans`
      : head.count > cap ? `leads to an index of ${head.count} fingerprints, more than the ${cap} a replica may hold`
      : undefined;
    if (oversized !== undefined) {
      await this.mark(peer.id, category, 'error', `${peer.country}: delta ${changes.fromVersion}..${changes.toVersion} of ${category} ${oversized}`);
      this.#deps.logger.warn({ peer: peer.id, category, changes: n, count: head.count }, 'replica delta refused: too large');
      return 'error';
    }
    let counted: { adds: number; removes: number };
    try {
      counted = checkChanges(changes.changes);
    } catch (e) {
      await this.mark(peer.id, category, 'error', isCairnError(e) ? e.message : String(e));
      return 'error';
    }
    const chain = extendChain(row.chain ? new Uint8Array(row.chain) : EMPTY_CHAIN, changes.changes, this.#hash);
    const count = row.count + counted.adds - counted.removes;
    const complete = changes.toVersion === head.version;
    if (count < 0 || (complete && (count !== head.count || !equalBytes(chain, fromBase64Url(head.chain, 'head.chain'))))) {
      const what = count < 0 ? `removes ${-count} more listing${count === -1 ? '' : 's'} than the replica holds` : `the replica's change chain does not match the signed head (count ${count}, head ${head.count})`;
      await this.mark(peer.id, category, 'error', `after delta ${changes.fromVersion}..${changes.toVersion} ${what}`);
      this.#deps.logger.warn({ peer: peer.id, category, version: head.version }, 'replica chain mismatch');
      return 'error';
    }
    // Net listings per fingerprint: an add and a remove of one fingerprint in one delta cancel.
    const net = new Map<string, { fp: Uint8Array; n: number }>();
    for (let i = 0; i < n; i++) {
      const fp = changeFingerprint(changes.changes, i);
      const key = toHex(fp);
      const e = net.get(key) ?? { fp, n: 0 };
      e.n += changes.changes[i * CHANGE_BYTES] === CHANGE_OP.add ? 1 : -1;
      net.set(key, e);
    }
    const rows = [...net.values()].filter((e) => e.n !== 0);
    // Unmerged changes beyond the head's count: a full transfer of that count costs less than keeping
    // them, and a catch-up that never reaches its head (unverified: chain and count are checked only
    // there) cannot grow the replica without bound. The replica is transferred anew.
    const room = Math.min(head.count, cap) + INDEX.maxUnmergedBeyondCount;
    if (row.pending + rows.length > room) {
      await this.mark(peer.id, category, 'stale', `${peer.country}: delta ${changes.fromVersion}..${changes.toVersion} of ${category} would leave ${row.pending + rows.length} unmerged changes${complete ? '' : ' (not yet verified by a head)'}, more than the head's count ${head.count} plus ${INDEX.maxUnmergedBeyondCount}; transferred anew`);
      this.#deps.logger.warn({ peer: peer.id, category, pending: row.pending + rows.length, count: head.count }, 'replica catch-up outgrew its head; it resyncs');
      return 'stale';
    }
    const status: ReplicaStatus = complete ? 'ready' : 'syncing';
    const { db } = this.#deps;
    const writes: CompiledQuery[] = [];
    // Every statement is guarded by the version we extended: a delta another process applied meanwhile leaves this one unapplied.
    for (let i = 0; i < rows.length; i += CHANGES_PER_INSERT) {
      const part = rows.slice(i, i + CHANGES_PER_INSERT);
      writes.push(CompiledQuery.raw(changesInsertText(part.length), [...part.flatMap((e) => [row.id, e.fp, changes.toVersion, e.n]), row.id, row.version]));
    }
    writes.push(
      sql`update replicas set version = ${changes.toVersion}, count = ${count}, chain = ${chain}, head = ${JSON.stringify(changes.head)}, pending = pending + ${rows.length},
        status = ${status}, error = null, updated_at = ${this.#deps.clock.now().toISOString()} where id = ${row.id} and version = ${row.version}`.compile(db),
    );
    await this.#deps.atomic.run(writes);
    return status;
  }

  /**
   * Merge a replica's verified changes into its shards and check the
   * result against the root of the signed head it holds: the check of the
   * shards themselves, at a cost proportional to the shards touched. Runs
   * in the background (a large delta, the hourly job), never in a search.
   * A replica whose merged shards miss the root is in `error`, and the next
   * sync transfers it whole. Returns the status, or undefined when there was
   * nothing to merge.
   */
  async merge(peerId: string, category: RecordCategory): Promise<ReplicaStatus | undefined> {
    return this.#locked(`${peerId}/${category}`, () => this.#merge(peerId, category));
  }

  async #merge(peerId: string, category: RecordCategory): Promise<ReplicaStatus | undefined> {
    const { db } = this.#deps;
    const row = await this.#row(peerId, category);
    if (!row || row.status !== 'ready' || row.pending === 0 || row.head === null) return undefined;
    const version = row.version;
    const pending = await db
      .selectFrom('replica_changes')
      .select(['fingerprint', 'n'])
      .where('replica_id', '=', row.id)
      .where('version', '<=', version)
      .execute();
    if (pending.length === 0) return undefined;
    const byShard = new Map<number, { adds: Uint8Array[]; removes: Uint8Array[] }>();
    for (const p of pending) {
      const fp = new Uint8Array(p.fingerprint);
      const s = shardOf(fp);
      const slot = byShard.get(s) ?? (byShard.set(s, { adds: [], removes: [] }), byShard.get(s)!);
      for (let i = 0; i < p.n; i++) slot.adds.push(fp);
      for (let i = 0; i < -p.n; i++) slot.removes.push(fp);
    }
    const shards = [...byShard.keys()].sort((a, b) => a - b);
    const current = new Map<number, Uint8Array>();
    for (let i = 0; i < shards.length; i += IN_CHUNK) {
      const chunk = shards.slice(i, i + IN_CHUNK);
      const got = await db.executeQuery<{ shard: number; fingerprints: Uint8Array }>(CompiledQuery.raw(shardsInText(chunk.length), [row.id, ...chunk]));
      for (const g of got.rows) current.set(g.shard, asBytes(g.fingerprints));
    }
    const updated = new Map<number, Uint8Array>();
    for (const s of shards) {
      const { adds, removes } = byShard.get(s)!;
      const next = applyToShard(current.get(s) ?? new Uint8Array(0), adds, removes);
      if (!next) {
        await this.mark(peerId, category, 'error', `merging the changes up to version ${version}: a change removes a fingerprint the replica does not hold (shard ${s})`);
        return 'error';
      }
      updated.set(s, next);
    }
    const groups = await this.#groups(row.id, [...new Set(shards.map((s) => Math.floor(s / INDEX.groupSize)))]);
    for (const [s, packed] of updated) groups.get(Math.floor(s / INDEX.groupSize))!.set(shardHash(s, packed, this.#hash), (s % INDEX.groupSize) * HASH);
    const groupHashes = row.group_hashes ? new Uint8Array(row.group_hashes) : emptyGroupHashes();
    for (const [g, hashes] of groups) groupHashes.set(groupHash(g, hashes, this.#hash), g * HASH);
    const head = storedHead(JSON.parse(row.head) as DsseEnvelope);
    const root = indexRoot(category, row.count, groupHashes, this.#hash);
    if (head.version !== version || !equalBytes(root, fromBase64Url(head.root, 'head.root'))) {
      await this.mark(peerId, category, 'error', `merging the changes up to version ${version}: the replica's root does not match the signed head (count ${row.count}, head ${head.count})`);
      this.#deps.logger.warn({ peer: peerId, category, version }, 'replica root mismatch');
      return 'error';
    }
    // Guarded by the rows read: a merge another process ran meanwhile deleted them, and then nothing here lands.
    const guard = [row.id, version, pending.length] as const;
    await this.#deps.atomic.run([
      ...this.#shardWrites(row.id, updated, guard),
      ...this.#groupWrites(row.id, groups, guard),
      sql`update replicas set group_hashes = ${groupHashes}, pending = pending - ${pending.length}, updated_at = ${this.#deps.clock.now().toISOString()}
        where id = ${row.id} and (select count(*) from replica_changes where replica_id = ${row.id} and version <= ${version}) = ${pending.length}`.compile(db),
      sql`delete from replica_changes where replica_id = ${row.id} and version <= ${version}
        and (select count(*) from replica_changes where replica_id = ${row.id} and version <= ${version}) = ${pending.length}`.compile(db),
    ]);
    return 'ready';
  }

  /** Replicas with at least `atLeast` unmerged changes (of one peer, or of all), with how many. */
  async unmerged(atLeast: number, peerId?: string): Promise<Array<{ peer: string; category: RecordCategory; pending: number }>> {
    let q = this.#deps.db.selectFrom('replicas').select(['peer_id', 'category', 'pending']).where('status', '=', 'ready').where('pending', '>=', Math.max(1, atLeast));
    if (peerId !== undefined) q = q.where('peer_id', '=', peerId);
    return (await q.execute()).map((r) => ({ peer: r.peer_id, category: r.category as RecordCategory, pending: r.pending }));
  }

  /** Groups' shard hashes, as our own copies (the caller writes into them); an absent group is an empty one. */
  async #groups(replicaId: number, groupIds: number[]): Promise<Map<number, Uint8Array>> {
    const out = new Map<number, Uint8Array>();
    const { db } = this.#deps;
    if (groupIds.length > IN_CHUNK) {
      // Most of the replica's groups (a large delta, a full sync's end): one scan of its rows beats IN lists.
      const wanted = new Set(groupIds);
      const got = await db.selectFrom('replica_groups').select(['grp', 'shard_hashes']).where('replica_id', '=', replicaId).execute();
      for (const g of got) if (wanted.has(g.grp)) out.set(g.grp, asBytes(g.shard_hashes));
    } else if (groupIds.length > 0) {
      const got = await db.selectFrom('replica_groups').select(['grp', 'shard_hashes']).where('replica_id', '=', replicaId).where('grp', 'in', groupIds).execute();
      for (const g of got) out.set(g.grp, asBytes(g.shard_hashes));
    }
    for (const g of groupIds) if (!out.has(g)) out.set(g, emptyGroupShards());
    return out;
  }

  /**
   * Upserts of non-empty shards and deletes of emptied ones, in multi-row
   * statements; with a merge's guard (replica id, version, rows), each lands
   * only while those unmerged rows are still there.
   */
  #shardWrites(replicaId: number, shards: Map<number, Uint8Array>, guard?: MergeGuard) {
    const { db } = this.#deps;
    const full = [...shards].filter(([, p]) => p.length > 0);
    const empty = [...shards].filter(([, p]) => p.length === 0).map(([s]) => s);
    const per = guard ? ROWS_PER_GUARDED_UPSERT : ROWS_PER_UPSERT;
    const out: CompiledQuery[] = [];
    for (let i = 0; i < full.length; i += per) {
      const rows = full.slice(i, i + per);
      out.push(CompiledQuery.raw(upsertText('replica_shards', 'shard', 'fingerprints', rows.length, guard !== undefined), [...rows.flatMap(([s, p]) => [replicaId, s, p]), ...(guard ?? [])]));
    }
    for (let i = 0; i < empty.length; i += IN_CHUNK) {
      let q = db.deleteFrom('replica_shards').where('replica_id', '=', replicaId).where('shard', 'in', empty.slice(i, i + IN_CHUNK));
      if (guard) q = q.where(sql<number>`(select count(*) from replica_changes where replica_id = ${guard[0]} and version <= ${guard[1]})`, '=', guard[2]);
      out.push(q.compile());
    }
    return out;
  }

  #groupWrites(replicaId: number, groups: Map<number, Uint8Array>, guard?: MergeGuard) {
    const all = [...groups];
    const per = guard ? ROWS_PER_GUARDED_UPSERT : ROWS_PER_UPSERT;
    const out: CompiledQuery[] = [];
    for (let i = 0; i < all.length; i += per) {
      const rows = all.slice(i, i + per);
      out.push(CompiledQuery.raw(upsertText('replica_groups', 'grp', 'shard_hashes', rows.length, guard !== undefined), [...rows.flatMap(([g, h]) => [replicaId, g, h]), ...(guard ?? [])]));
    }
    return out;
  }

  /**
   * Start a full sync of a replica towards the signed head `target`: it is
   * emptied and marked syncing, in one unit, and keeps `target` so that a
   * sync stopped between pages resumes it (`resumePoint`). Returns its id.
   */
  async beginFull(peerId: string, category: RecordCategory, target: DsseEnvelope): Promise<number> {
    const { db } = this.#deps;
    const now = this.#deps.clock.now().toISOString();
    const id = sql`(select id from replicas where peer_id = ${peerId} and category = ${category})`;
    const head = JSON.stringify(target);
    await this.#deps.atomic.run([
      sql`insert into replicas (peer_id, category, status, version, count, head, group_hashes, shards_done, error, updated_at)
        values (${peerId}, ${category}, 'syncing', 0, 0, ${head}, null, 0, null, ${now})
        on conflict (peer_id, category) do update set status = 'syncing', version = 0, count = 0, head = ${head}, group_hashes = null, chain = null, pending = 0,
          shards_done = 0, error = null, updated_at = excluded.updated_at`.compile(db),
      sql`delete from replica_shards where replica_id = ${id}`.compile(db),
      sql`delete from replica_groups where replica_id = ${id}`.compile(db),
      sql`delete from replica_changes where replica_id = ${id}`.compile(db),
    ]);
    return (await this.#row(peerId, category))!.id;
  }

  /**
   * Where a sync that stopped part-way (a statement budget ran out, or the
   * process died) goes on: a full transfer stopped between pages or before
   * its root check (`snapshot`: its id, the next shard and the signed head
   * it transfers, verified again under the peer's pinned keys), or a
   * catch-up stopped between deltas (`delta`: the version reached and its
   * epoch). Undefined for any other replica, and for a stored target that
   * no longer verifies (the full sync then starts anew).
   */
  async resumePoint(
    peer: Peer,
    category: RecordCategory,
  ): Promise<{ kind: 'snapshot'; replicaId: number; fromShard: number; received: number; envelope: DsseEnvelope; head: IndexHead } | { kind: 'delta'; version: number; epoch: number } | undefined> {
    const row = await this.#row(peer.id, category);
    if (row?.status !== 'syncing') return undefined;
    if (row.chain !== null) return row.shards_done === INDEX.shardCount ? { kind: 'delta', version: row.version, epoch: row.epoch } : undefined;
    if (row.head === null) return undefined;
    try {
      const envelope = JSON.parse(row.head) as DsseEnvelope;
      return { kind: 'snapshot', replicaId: row.id, fromShard: row.shards_done, received: row.count, envelope, head: verifyHead(peer, envelope, category, this.#deps.verify) };
    } catch {
      return undefined;
    }
  }

  /**
   * Give up a full transfer the peer's pages broke (they hold more than its
   * head counts): the replica's rows are deleted, so what a hostile peer
   * sent does not stay on disk, and it is in `error` with `message`.
   */
  async abandonFull(peerId: string, category: RecordCategory, message: string): Promise<void> {
    const { db } = this.#deps;
    const now = this.#deps.clock.now().toISOString();
    const id = sql`(select id from replicas where peer_id = ${peerId} and category = ${category})`;
    await this.#deps.atomic.run([
      sql`insert into replicas (peer_id, category, status, version, count, head, group_hashes, shards_done, error, updated_at)
        values (${peerId}, ${category}, 'error', 0, 0, null, null, 0, ${message}, ${now})
        on conflict (peer_id, category) do update set status = 'error', version = 0, count = 0, group_hashes = null, chain = null, pending = 0,
          shards_done = 0, error = excluded.error, updated_at = excluded.updated_at`.compile(db),
      sql`delete from replica_shards where replica_id = ${id}`.compile(db),
      sql`delete from replica_groups where replica_id = ${id}`.compile(db),
      sql`delete from replica_changes where replica_id = ${id}`.compile(db),
    ]);
  }

  /** Store one snapshot page of a full sync: shards [fromShard, toShard), sorted packed fingerprints. */
  async putPage(replicaId: number, fromShard: number, toShard: number, packed: Uint8Array): Promise<void> {
    if (packed.length % FP !== 0) throw new CairnError('index_invalid', `snapshot page of shards ${fromShard}..${toShard - 1} is not a whole number of fingerprints`);
    for (let off = FP; off < packed.length; off += FP) {
      if (compareBytes(packed.subarray(off - FP, off), packed.subarray(off, off + FP)) > 0) throw new CairnError('index_invalid', `snapshot page of shards ${fromShard}..${toShard - 1} is not sorted`);
    }
    const split = splitByShard(packed, fromShard, toShard);
    // Only groups holding a non-empty shard are written: an absent group is an empty one.
    const groupIds = [...new Set([...split.keys()].map((s) => Math.floor(s / INDEX.groupSize)))];
    const groups = await this.#groups(replicaId, groupIds);
    for (const [s, p] of split) groups.get(Math.floor(s / INDEX.groupSize))!.set(shardHash(s, p, this.#hash), (s % INDEX.groupSize) * HASH);
    await this.#deps.atomic.run([
      ...this.#shardWrites(replicaId, split),
      ...this.#groupWrites(replicaId, groups),
      sql`update replicas set shards_done = ${toShard}, count = count + ${packed.length / FP}, updated_at = ${this.#deps.clock.now().toISOString()} where id = ${replicaId}`.compile(this.#deps.db),
    ]);
  }

  /** Finish a full sync: compare the root with the signed head; ready on success, error otherwise. */
  async finishFull(peer: Peer, category: RecordCategory, envelope: DsseEnvelope): Promise<ReplicaStatus> {
    const { db } = this.#deps;
    const head = verifyHead(peer, envelope, category, this.#deps.verify);
    const row = (await this.#row(peer.id, category))!;
    const groups = await this.#groups(row.id, Array.from({ length: INDEX.groupCount }, (_, g) => g));
    const groupHashes = new Uint8Array(INDEX.groupCount * HASH);
    for (const [g, h] of groups) groupHashes.set(groupHash(g, h, this.#hash), g * HASH);
    const root = indexRoot(category, row.count, groupHashes, this.#hash);
    if (row.count !== head.count || !equalBytes(root, fromBase64Url(head.root, 'head.root'))) {
      await this.mark(peer.id, category, 'error', `full sync of version ${head.version}: the replica's root does not match the signed head (count ${row.count}, head ${head.count})`);
      return 'error';
    }
    const now = this.#deps.clock.now();
    await this.#deps.atomic.run([
      sql`update replicas set status = 'ready', version = ${head.version}, epoch = ${head.epoch ?? 1}, head = ${JSON.stringify(envelope)}, group_hashes = ${groupHashes},
        chain = ${fromBase64Url(head.chain, 'head.chain')}, pending = 0, shards_done = ${INDEX.shardCount}, error = null, updated_at = ${now.toISOString()} where id = ${row.id}`.compile(db),
      appendStatement(db, { type: 'index.sync', actor: 'system', data: { peer: peer.id, country: peer.country, category, version: head.version, count: head.count, root: head.root, chain: head.chain, ...(head.epoch ? { epoch: head.epoch } : {}) } }, now),
    ]);
    return 'ready';
  }
}
