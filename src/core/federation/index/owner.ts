/**
 * The owner side of the token index (protocol/37-token-index.md): what this
 * node publishes to the peers its policy allows. Shard hashes are brought up
 * to date lazily, for the shards the change log marks dirty, when a head is
 * asked for; each new head is signed and written to the audit log in the
 * same atomic unit as the hashes it commits to.
 */
import { sql } from 'kysely';
import type { RecordCategory } from '../../../../schemas/records.js';
import type { IndexHead } from '../../../../schemas/index.js';
import type { AtomicWriter } from '../../atomic.js';
import { appendStatement } from '../../audit/entry.js';
import { asBytes, fromBase64Url, toBase64Url } from '../../bytes.js';
import { INDEX, MERKLE } from '../../constants.js';
import type { Db } from '../../db/schema.js';
import { signJsonEnvelope, type DsseEnvelope } from '../../dsse.js';
import { CairnError } from '../../errors.js';
import type { Clock, Logger, Sha256 } from '../../ports.js';
import type { Signer } from '../../signing.js';
import { chainStep, EMPTY_CHAIN, packChanges } from './chain.js';
import { CHANGE_OP } from './changes.js';
import { compareBytes, shardOf, shardPrefix } from './fingerprint.js';
import { emptyGroupHashes, emptyGroupShards, groupHash, indexRoot, shardHash } from './tree.js';
import { storedHead, type IndexChanges } from './types.js';

const FP = INDEX.fingerprintBytes;
const HASH = MERKLE.hashSize;
const NO_CHANGES = new Uint8Array(0);
/**
 * Shards per block when bringing hashes up to date. A block is read whole,
 * in one ordered range, when that costs less than searching each run of its
 * dirty shards (a first import, a large one, a small index); otherwise only
 * the runs are read. A delta of a few thousand tokens dirties a few thousand
 * of 65,536 shards spread over every block: reading whole blocks then read
 * the entire index of the category (about 1.3 million rows at a million
 * records, seconds on a disk) to hash a few percent of it.
 */
const SCAN_BLOCK = 1024;
/** What one index search costs, in rows read in order: the cost model behind reading a block whole. */
const SEARCH_ROWS = 8;
/**
 * Shard ranges per query (a UNION ALL of one index range search each):
 * 3 bound parameters each, under D1's 100 bound parameters per statement.
 * SQLite plans an OR of ranges as a scan of the whole category, so the
 * ranges are separate searches.
 */
const RANGES_PER_QUERY = 33;
/** Most range queries one head refresh makes for runs of shards (see dirtyRanges); whole blocks add at most 64. */
const MAX_RANGE_QUERIES = 100;
/** Change-log rows read per query when bringing hashes up to date. */
const CHANGE_PAGE = 50_000;
/** Tries to compute a head while imports keep committing, before giving up. */
const REFRESH_ATTEMPTS = 8;

export interface IndexOwnerDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  signer: Signer;
  logger: Logger;
  nodeId: string;
  /** Change-log window (defaults: INDEX.logWindowDays, INDEX.maxLogChanges). */
  window?: { days: number; maxChanges: number };
  /** The active OPRF key epoch, which every head names (default: 1, unnamed). */
  epoch?: () => Promise<number>;
  /** SHA-256 for shard, group and root hashes (default: the portable one; Node passes OpenSSL's). */
  sha256?: Sha256;
}

/** A signed head with its parsed payload. */
export interface SignedHead {
  envelope: DsseEnvelope;
  head: IndexHead;
}

interface State {
  floor: number;
  rootedVersion: number;
  count: number;
  groupHashes: Uint8Array;
  compactedAt: number;
  /** The change chain at rootedVersion. */
  chain: Uint8Array;
}

/** Upper bound (exclusive) of shard range [.., to) as a fingerprint prefix; undefined for the end. */
const rangeEnd = (to: number): Uint8Array | undefined => (to >= INDEX.shardCount ? undefined : shardPrefix(to));

/** Packs sorted fingerprints into one byte string. */
function pack(fps: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(fps.length * FP);
  fps.forEach((f, i) => out.set(f, i * FP));
  return out;
}

/** The owner's index service: versions, heads, deltas, snapshot pages, compaction. */
export class IndexOwner {
  readonly #deps: IndexOwnerDeps;
  readonly #refreshing = new Map<string, Promise<SignedHead>>();
  /**
   * The head this instance last signed or read per category. Every answer
   * asks for the changes since the searcher's replica version, which is
   * nearly always our current one: then the delta is empty and this head is
   * the one to send, and the version query alone shows it is still current.
   */
  readonly #current = new Map<string, SignedHead>();

  constructor(deps: IndexOwnerDeps) {
    this.#deps = deps;
  }

  async #state(category: string): Promise<State | undefined> {
    const r = await this.#deps.db.selectFrom('index_state').selectAll().where('category', '=', category).executeTakeFirst();
    if (!r) return undefined;
    return { floor: r.floor, rootedVersion: r.rooted_version, count: r.count, groupHashes: new Uint8Array(r.group_hashes), compactedAt: r.compacted_at, chain: r.chain ? new Uint8Array(r.chain) : EMPTY_CHAIN };
  }

  /** The version of `category`'s index: the sequence number of its last change (0 if none). */
  async version(category: string): Promise<number> {
    return (await this.#versions([category])).get(category) ?? 0;
  }

  /**
   * The versions of several categories in one statement: an answer reads
   * every category its purpose may match. One scalar subquery per category
   * and table, so each is an index lookup (max(seq) on (category, seq)),
   * never a scan of a category's change log.
   */
  async #versions(categories: readonly string[]): Promise<Map<string, number>> {
    if (categories.length === 0) return new Map();
    const rows = categories.map(
      (c) => sql`select ${c} as category, (select max(seq) from index_changes where category = ${c}) as v, (select rooted_version from index_state where category = ${c}) as r`,
    );
    const r = await sql<{ category: string; v: number | null; r: number | null }>`${sql.join(rows, sql` union all `)}`.execute(this.#deps.db);
    return new Map(r.rows.map((row) => [row.category, Math.max(Number(row.v ?? 0), Number(row.r ?? 0))]));
  }

  /** Current version per category (for categories the peer's policy allows). */
  async currentVersions(categories: readonly RecordCategory[]): Promise<Partial<Record<RecordCategory, number>>> {
    return Object.fromEntries(await this.#versions(categories)) as Partial<Record<RecordCategory, number>>;
  }

  /** The signed head of `category` at its current version, computing and signing it if needed. */
  async head(category: RecordCategory): Promise<SignedHead> {
    const running = this.#refreshing.get(category);
    if (running) return running;
    const p = this.#refresh(category).finally(() => this.#refreshing.delete(category));
    this.#refreshing.set(category, p);
    return p;
  }

  async #latestHead(category: string): Promise<SignedHead | undefined> {
    const r = await this.#deps.db.selectFrom('index_heads').select('envelope').where('category', '=', category).orderBy('version', 'desc').limit(1).executeTakeFirst();
    if (!r) return undefined;
    const envelope = JSON.parse(r.envelope) as DsseEnvelope;
    return { envelope, head: storedHead(envelope) };
  }

  /**
   * A head signed before a signing-key rotation is signed again, unchanged,
   * by the current key: peers that re-pinned the new key accept only its
   * signatures (protocol/32-key-rotation.md).
   */
  async #signedByCurrentKey(category: RecordCategory, latest: SignedHead): Promise<SignedHead> {
    if (latest.envelope.signatures.some((s) => s.keyid === this.#deps.signer.keyId)) return latest;
    const envelope = signJsonEnvelope(this.#deps.signer, INDEX.headPayloadType, latest.head);
    await this.#deps.atomic.run([
      this.#deps.db.updateTable('index_heads').set({ envelope: JSON.stringify(envelope) }).where('category', '=', category).where('version', '=', latest.head.version).compile(),
    ]);
    return { envelope, head: latest.head };
  }

  async #refresh(category: RecordCategory): Promise<SignedHead> {
    const { db } = this.#deps;
    const epochNow = async () => (this.#deps.epoch ? await this.#deps.epoch() : 1);
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
      const epoch = await epochNow();
      const version = await this.version(category);
      const state = await this.#state(category);
      const latest = await this.#latestHead(category);
      if (latest && latest.head.version === version && (latest.head.epoch ?? 1) === epoch && state?.rootedVersion === version) {
        const signed = await this.#signedByCurrentKey(category, latest);
        this.#current.set(category, signed);
        return signed;
      }

      const rooted = state?.rootedVersion ?? 0;
      let count = state?.count ?? 0;
      let chain = state?.chain ?? EMPTY_CHAIN;
      const dirty = new Set<number>();
      // In pages by sequence number: after a large import there are millions.
      for (let after = rooted; after < version; ) {
        const changes = await db
          .selectFrom('index_changes')
          .select(['seq', 'fingerprint', 'op'])
          .where('category', '=', category)
          .where('seq', '>', after)
          .where('seq', '<=', version)
          .orderBy('seq')
          .limit(CHANGE_PAGE)
          .execute();
        if (changes.length === 0) break;
        for (const c of changes) {
          dirty.add(shardOf(c.fingerprint));
          count += c.op === CHANGE_OP.add ? 1 : -1;
          chain = chainStep(chain, c.op, asBytes(c.fingerprint), this.#deps.sha256);
        }
        after = changes[changes.length - 1]!.seq;
      }
      const groupHashes = state?.groupHashes ?? emptyGroupHashes();
      const groups = new Map<number, Uint8Array>();
      const dirtyGroups = [...new Set([...dirty].map((s) => Math.floor(s / INDEX.groupSize)))].sort((a, b) => a - b);
      for (let i = 0; i < dirtyGroups.length; i += 90) {
        const chunk = dirtyGroups.slice(i, i + 90);
        const rows = await db.selectFrom('index_groups').select(['grp', 'shard_hashes']).where('category', '=', category).where('grp', 'in', chunk).execute();
        for (const r of rows) groups.set(r.grp, new Uint8Array(r.shard_hashes));
      }
      for (const g of dirtyGroups) if (!groups.has(g)) groups.set(g, emptyGroupShards());
      for (const [s, packed] of await this.#shardContents(category, [...dirty].sort((a, b) => a - b), count / INDEX.shardCount)) {
        groups.get(Math.floor(s / INDEX.groupSize))!.set(shardHash(s, packed, this.#deps.sha256), (s % INDEX.groupSize) * HASH);
      }
      for (const g of dirtyGroups) groupHashes.set(groupHash(g, groups.get(g)!, this.#deps.sha256), g * HASH);
      // Anything committed meanwhile would make the hashes describe a later state: start again.
      // An activation meanwhile (protocol/38-key-epochs.md) replaced the whole index: start again in the new epoch.
      if ((await this.version(category)) !== version || (await epochNow()) !== epoch) continue;

      const root = indexRoot(category, count, groupHashes, this.#deps.sha256);
      const now = this.#deps.clock.now();
      const head: IndexHead = {
        v: INDEX.headVersion,
        node: this.#deps.nodeId,
        category,
        version,
        count,
        root: toBase64Url(root),
        chain: toBase64Url(chain),
        floor: state?.floor ?? 0,
        ...(epoch > 1 ? { epoch } : {}),
        issuedAt: now.toISOString(),
      };
      const envelope = signJsonEnvelope(this.#deps.signer, INDEX.headPayloadType, head);
      const statements = [...groups].map(([g, hashes]) =>
        sql`insert into index_groups (category, grp, shard_hashes) values (${category}, ${g}, ${hashes})
          on conflict (category, grp) do update set shard_hashes = excluded.shard_hashes`.compile(db),
      );
      statements.push(
        sql`insert into index_state (category, floor, rooted_version, count, group_hashes, compacted_at, chain)
          values (${category}, ${head.floor}, ${version}, ${count}, ${groupHashes}, ${state?.compactedAt ?? Math.floor(now.getTime() / 1000)}, ${chain})
          on conflict (category) do update set rooted_version = excluded.rooted_version, count = excluded.count, group_hashes = excluded.group_hashes, chain = excluded.chain`.compile(db),
        sql`insert or ignore into index_heads (category, version, envelope, at) values (${category}, ${version}, ${JSON.stringify(envelope)}, ${now.toISOString()})`.compile(db),
        appendStatement(db, { type: 'index.head', actor: 'system', data: { category, version, count, root: head.root, chain: head.chain, floor: head.floor, ...(epoch > 1 ? { epoch } : {}) } }, now),
      );
      await this.#deps.atomic.run(statements);
      this.#current.set(category, { envelope, head });
      return { envelope, head };
    }
    throw new CairnError('internal', `the index of ${category} kept changing while its head was computed; try again`);
  }

  /** Current packed contents of the given shards (sorted ascending), as [shard, packed] pairs. */
  async #shardContents(category: string, shards: readonly number[], rowsPerShard: number): Promise<Array<[number, Uint8Array]>> {
    const ranges = dirtyRanges(shards, rowsPerShard);
    const out: Array<[number, Uint8Array]> = [];
    let next = 0;
    for (let i = 0; i < ranges.length; ) {
      // One statement: up to RANGES_PER_QUERY ranges over at most SCAN_BLOCK shards (a whole
      // block alone), so no more than a block's rows are held at once, as packed bytes after.
      let j = i + 1;
      let span = ranges[i]![1] - ranges[i]![0];
      while (j < ranges.length && j - i < RANGES_PER_QUERY && span + ranges[j]![1] - ranges[j]![0] <= SCAN_BLOCK) {
        span += ranges[j]![1] - ranges[j]![0];
        j++;
      }
      const byShard = new Map<number, Uint8Array[]>();
      for (const fp of await this.#ranges(category, ranges.slice(i, j))) {
        const s = shardOf(fp);
        const list = byShard.get(s);
        if (list) list.push(fp);
        else byShard.set(s, [fp]);
      }
      const end = ranges[j - 1]![1];
      for (; next < shards.length && shards[next]! < end; next++) {
        const s = shards[next]!;
        const fps = byShard.get(s) ?? [];
        // Each range comes back in index order, but SQL promises no order for a
        // compound select without ORDER BY: sort what is out of order (nothing, in practice).
        for (let k = 1; k < fps.length; k++) {
          if (compareBytes(fps[k - 1]!, fps[k]!) > 0) {
            fps.sort(compareBytes);
            break;
          }
        }
        out.push([s, pack(fps)]);
      }
      i = j;
    }
    return out;
  }

  /** Fingerprints of the shard ranges [from, to), each an index range search, in one statement. */
  async #ranges(category: string, ranges: ReadonlyArray<readonly [number, number]>): Promise<Uint8Array[]> {
    const arms = ranges.map(([from, to]) => {
      const end = rangeEnd(to);
      return end
        ? sql`select fingerprint from tokens where category = ${category} and fingerprint >= ${shardPrefix(from)} and fingerprint < ${end}`
        : sql`select fingerprint from tokens where category = ${category} and fingerprint >= ${shardPrefix(from)}`;
    });
    const rows = await sql<{ fingerprint: Uint8Array }>`${sql.join(arms, sql` union all `)}`.execute(this.#deps.db);
    return rows.rows.map((r) => new Uint8Array(r.fingerprint));
  }

  /** Fingerprints of shards [from, to), sorted, packed. */
  async #range(category: string, from: number, to: number): Promise<Uint8Array> {
    const end = rangeEnd(to);
    let q = this.#deps.db.selectFrom('tokens').select('fingerprint').where('category', '=', category).where('fingerprint', '>=', shardPrefix(from));
    if (end) q = q.where('fingerprint', '<', end);
    const rows = await q.orderBy('fingerprint').execute();
    const out = new Uint8Array(rows.length * FP);
    rows.forEach((r, i) => out.set(r.fingerprint!, i * FP));
    return out;
  }

  /**
   * Changes of our index of `category` since `sinceVersion`, at most `max`
   * entries; `resync` when the window no longer reaches back that far.
   * `version`: the category's current version, when the caller has just read it.
   */
  async changesSince(category: RecordCategory, sinceVersion: number, max: number = INDEX.maxDeltaChanges, version?: number): Promise<IndexChanges> {
    // In step (the common case of an answer): nothing changed since the head we hold for that version.
    // Its floor is at most its version, so no resync either. One version query instead of the full path,
    // none when the caller read the versions of all its categories at once (`version`).
    // A head signed before a signing-key rotation goes the full path, which signs it again with the current key.
    const current = this.#current.get(category);
    if (current !== undefined && current.head.version === sinceVersion && current.envelope.signatures.some((s) => s.keyid === this.#deps.signer.keyId) && (version ?? (await this.version(category))) === sinceVersion) {
      return { category, head: current.envelope, fromVersion: sinceVersion, toVersion: sinceVersion, changes: NO_CHANGES };
    }
    const signed = await this.head(category);
    const { head } = signed;
    const floor = (await this.#state(category))?.floor ?? 0;
    if (sinceVersion < floor || sinceVersion > head.version) return { category, head: signed.envelope, resync: true };
    const rows = await this.#deps.db
      .selectFrom('index_changes')
      .select(['seq', 'fingerprint', 'op'])
      .where('category', '=', category)
      .where('seq', '>', sinceVersion)
      .where('seq', '<=', head.version)
      .orderBy('seq')
      .limit(max + 1)
      .execute();
    const truncated = rows.length > max;
    const used = truncated ? rows.slice(0, max) : rows;
    const toVersion = truncated ? used[used.length - 1]!.seq : head.version;
    // Every change, in order: the replica extends the head's change chain over exactly these.
    return { category, head: signed.envelope, fromVersion: sinceVersion, toVersion, changes: packChanges(used) };
  }

  /**
   * The fingerprints of shards [fromShard, toShard) as of `version` (a
   * version between the floor and now), sorted and packed: the current
   * tokens with later changes undone, so every page of one snapshot
   * describes the same version however long the transfer takes.
   */
  async snapshotPage(category: RecordCategory, version: number, fromShard: number, toShard: number): Promise<{ count: number; packed: Uint8Array; toShard: number }> {
    // Whole blocks of shards until the page holds enough fingerprints: one page for a small index.
    const parts: Uint8Array[] = [];
    let count = 0;
    let at = fromShard;
    const end = Math.min(toShard, INDEX.shardCount);
    while (at < end && count < INDEX.maxSnapshotFingerprints) {
      const to = Math.min(end, at + INDEX.maxSnapshotShards);
      const block = await this.#blockAt(category, version, at, to);
      parts.push(block);
      count += block.length / FP;
      at = to;
    }
    const packed = new Uint8Array(count * FP);
    let off = 0;
    for (const p of parts) {
      packed.set(p, off);
      off += p.length;
    }
    return { count, packed, toShard: at };
  }

  /** The fingerprints of shards [fromShard, to) as of `version`, sorted, packed. */
  async #blockAt(category: RecordCategory, version: number, fromShard: number, to: number): Promise<Uint8Array> {
    for (let attempt = 0; attempt < REFRESH_ATTEMPTS; attempt++) {
      const current = await this.version(category);
      const floor = (await this.#state(category))?.floor ?? 0;
      if (version > current) throw new CairnError('invalid_request', `the index of ${category} has no version ${version} yet (it is at ${current})`, { location: { field: 'version' } });
      if (version < floor) throw new CairnError('index_resync', `the index of ${category} no longer reaches back to version ${version}; fetch the head again`, { location: { field: 'version' } });
      const packed = await this.#range(category, fromShard, to);
      let later: { fingerprint: Uint8Array; op: number }[] = [];
      if (current > version) {
        const end = rangeEnd(to);
        let q = this.#deps.db
          .selectFrom('index_changes')
          .select(['fingerprint', 'op'])
          .where('category', '=', category)
          .where('seq', '>', version)
          .where('seq', '<=', current)
          .where('fingerprint', '>=', shardPrefix(fromShard));
        if (end) q = q.where('fingerprint', '<', end);
        later = await q.execute();
      }
      if ((await this.version(category)) !== current) continue;
      if (later.length === 0) return packed;
      // Undo the later changes: take back what was added, put back what was removed.
      const undo = new Map<string, number>();
      const putBack: Uint8Array[] = [];
      for (const c of later) {
        const fp = new Uint8Array(c.fingerprint);
        const key = toBase64Url(fp);
        undo.set(key, (undo.get(key) ?? 0) + (c.op === CHANGE_OP.add ? 1 : -1));
      }
      const kept: Uint8Array[] = [];
      for (let off = 0; off < packed.length; off += FP) {
        const fp = packed.subarray(off, off + FP);
        const key = toBase64Url(fp);
        const n = undo.get(key) ?? 0;
        if (n > 0) undo.set(key, n - 1);
        else kept.push(fp);
      }
      for (const [key, n] of undo) {
        if (n >= 0) continue;
        const fp = fromBase64Url(key);
        for (let i = 0; i < -n; i++) putBack.push(fp);
      }
      const all = [...kept, ...putBack].sort(compareBytes);
      return pack(all);
    }
    throw new CairnError('internal', `the index of ${category} kept changing while a snapshot page was read; try again`);
  }

  /**
   * Drop changes older than the window (days, or more than the maximum count
   * per category), never past the version the hashes describe. Deltas from
   * before the new floor are answered with `resync`.
   */
  async compact(category: RecordCategory): Promise<{ floor: number; removed: number }> {
    await this.head(category);
    const state = (await this.#state(category))!;
    const { db } = this.#deps;
    const window = this.#deps.window ?? { days: INDEX.logWindowDays, maxChanges: INDEX.maxLogChanges };
    const nowS = Math.floor(this.#deps.clock.now().getTime() / 1000);
    const cutoff = nowS - window.days * 86_400;
    const byAge = await sql<{ s: number | null }>`select max(seq) as s from index_changes where category = ${category} and at < ${cutoff} and seq <= ${state.rootedVersion}`.execute(db);
    let floor = Math.max(state.floor, Number(byAge.rows[0]?.s ?? 0));
    const kept = await sql<{ s: number }>`select seq as s from index_changes where category = ${category} and seq > ${floor} order by seq desc limit 1 offset ${window.maxChanges}`.execute(db);
    const byCount = kept.rows[0]?.s;
    if (byCount !== undefined) floor = Math.max(floor, Math.min(Number(byCount), state.rootedVersion));
    const before = await sql<{ n: number }>`select count(*) as n from index_changes where category = ${category} and seq <= ${floor}`.execute(db);
    await this.#deps.atomic.run([
      sql`delete from index_changes where category = ${category} and seq <= ${floor}`.compile(db),
      sql`delete from index_heads where category = ${category} and version < ${floor}`.compile(db),
      sql`update index_state set floor = ${floor}, compacted_at = ${nowS} where category = ${category}`.compile(db),
    ]);
    return { floor, removed: Number(before.rows[0]?.n ?? 0) };
  }
}

/**
 * The shard ranges [from, to) to read for the given dirty shards (sorted
 * ascending, distinct) of an index of about `rowsPerShard` fingerprints a
 * shard: a whole block of SCAN_BLOCK shards where reading its clean shards
 * too costs less than one index search per dirty shard, else each run of
 * consecutive dirty shards. Runs are capped at MAX_RANGE_QUERIES queries (a
 * Worker may make 1,000 D1 queries per request): past that, the blocks with
 * the most runs are read whole.
 */
export function dirtyRanges(shards: readonly number[], rowsPerShard: number): Array<[number, number]> {
  const blocks: Array<{ block: number; runs: Array<[number, number]>; whole: boolean }> = [];
  let i = 0;
  while (i < shards.length) {
    const block = Math.floor(shards[i]! / SCAN_BLOCK) * SCAN_BLOCK;
    let j = i;
    while (j < shards.length && shards[j]! < block + SCAN_BLOCK) j++;
    const runs: Array<[number, number]> = [];
    for (let k = i; k < j; ) {
      let e = k + 1;
      while (e < j && shards[e] === shards[e - 1]! + 1) e++;
      runs.push([shards[k]!, shards[e - 1]! + 1]);
      k = e;
    }
    blocks.push({ block, runs, whole: (j - i) * (rowsPerShard + SEARCH_ROWS) > SCAN_BLOCK * rowsPerShard });
    i = j;
  }
  let ranges = blocks.reduce((n, b) => n + (b.whole ? 1 : b.runs.length), 0);
  for (const b of [...blocks].filter((b) => !b.whole).sort((x, y) => y.runs.length - x.runs.length)) {
    if (ranges <= MAX_RANGE_QUERIES * RANGES_PER_QUERY) break;
    b.whole = true;
    ranges -= b.runs.length - 1;
  }
  return blocks.flatMap((b): Array<[number, number]> => (b.whole ? [[b.block, b.block + SCAN_BLOCK]] : b.runs));
}

/** Split packed, sorted fingerprints of shards [from, to) into one packed string per non-empty shard. */
export function splitByShard(packed: Uint8Array, from: number, to: number): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  let start = 0;
  while (start < packed.length) {
    const s = shardOf(packed.subarray(start, start + 2));
    if (s < from || s >= to) throw new CairnError('index_invalid', `fingerprint of shard ${s} outside the page's shards ${from}..${to - 1}`);
    let end = start + FP;
    while (end < packed.length && shardOf(packed.subarray(end, end + 2)) === s) end += FP;
    out.set(s, packed.subarray(start, end));
    start = end;
  }
  return out;
}
