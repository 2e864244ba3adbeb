/**
 * The owner brings its shard hashes up to date by reading only the dirty
 * shards: runs of them, or a whole block of 1,024 shards where that costs
 * less than a search per run (a small index, a first import). Whatever the mix, the head it signs must be the root of the
 * tokens as they are, computed here from scratch over all 65,536 shards, and
 * every read must stay within D1's 100 bound parameters per statement.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterEach, describe, expect, it } from 'vitest';
import { checkChanges } from '../src/core/federation/index/chain.js';
import { INDEX, MERKLE } from '../src/core/constants.js';
import { toBase64Url, utf8 } from '../src/core/bytes.js';
import type { Database } from '../src/core/db/schema.js';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { CHANGE_OP } from '../src/core/federation/index/changes.js';
import { compareBytes, shardOf } from '../src/core/federation/index/fingerprint.js';
import { dirtyRanges, IndexOwner } from '../src/core/federation/index/owner.js';
import { groupHash, indexRoot, shardHash } from '../src/core/federation/index/tree.js';
import { isResync } from '../src/core/federation/index/types.js';
import { silentLogger } from '../src/core/ports.js';
import { ed25519Signer } from '../src/core/signing.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { openSqlite } from '../src/node/sqlite.js';
import { D1_LIMITS, testClock } from './helpers/index-nodes.js';
import { tempDir } from './helpers/cli.js';

const CATEGORY = 'missing_child';
const FP = INDEX.fingerprintBytes;

/** Deterministic fingerprints: SHA-256 of a label and a counter, optionally forced into shard `shard`. */
const fingerprint = (label: string, i: number, shard?: number): Uint8Array => {
  const fp = sha256(utf8(`${label}-${i}`)).slice(0, FP);
  if (shard !== undefined) fp.set([shard >> 8, shard & 0xff]);
  return fp;
};

/** The root of the category's tokens, from scratch: every shard hashed, every group, the root. */
function rootFromScratch(raw: BetterSqlite3.Database): { root: string; count: number } {
  const fps = (raw.prepare('select fingerprint from tokens where category = ?').all(CATEGORY) as { fingerprint: Buffer }[]).map((r) => new Uint8Array(r.fingerprint)).sort(compareBytes);
  const byShard = new Map<number, Uint8Array[]>();
  for (const f of fps) byShard.set(shardOf(f), [...(byShard.get(shardOf(f)) ?? []), f]);
  const groups = new Uint8Array(INDEX.groupCount * MERKLE.hashSize);
  for (let g = 0; g < INDEX.groupCount; g++) {
    const shards = new Uint8Array(INDEX.groupSize * MERKLE.hashSize);
    for (let i = 0; i < INDEX.groupSize; i++) {
      const s = g * INDEX.groupSize + i;
      const list = byShard.get(s) ?? [];
      const packed = new Uint8Array(list.length * FP);
      list.forEach((f, k) => packed.set(f, k * FP));
      shards.set(shardHash(s, packed), i * MERKLE.hashSize);
    }
    groups.set(groupHash(g, shards), g * MERKLE.hashSize);
  }
  return { root: toBase64Url(indexRoot(CATEGORY, fps.length, groups)), count: fps.length };
}

describe('dirtyRanges', () => {
  it('reads runs of dirty shards, and a block whole only where that costs less than a search per run', () => {
    expect(dirtyRanges([], 20)).toEqual([]);
    // A large index (20 fingerprints a shard): runs, the last one open-ended.
    expect(dirtyRanges([0, 1, 2, 7, 1023, 1024, 65535], 20)).toEqual([[0, 3], [7, 8], [1023, 1024], [1024, 1025], [65535, 65536]]);
    const half = Array.from({ length: 512 }, (_, i) => 2048 + 2 * i);
    expect(dirtyRanges(half, 20)).toHaveLength(512);
    // A small index (1 a shard): half a block dirty is read whole, a tenth of it is not.
    expect(dirtyRanges(half, 1)).toEqual([[2048, 3072]]);
    expect(dirtyRanges(half.slice(0, 100), 1)).toHaveLength(100);
    // An empty index (a first import): every dirty block whole.
    expect(dirtyRanges([5, 65000], 0)).toEqual([[0, 1024], [64512, 65536]]);
  });

  it('caps the range queries (D1 allows a Worker 1,000 queries a request): past 100 queries of 33, the blocks with most runs are read whole', () => {
    // A large index, 100 isolated dirty shards in every block (6,400 runs), and 300 in block 7.
    const shards = Array.from({ length: 64 }, (_, b) => Array.from({ length: b === 7 ? 300 : 100 }, (_, k) => b * 1024 + 3 * k)).flat();
    const ranges = dirtyRanges(shards, 20);
    expect(ranges.length).toBeLessThanOrEqual(100 * 33);
    expect(ranges).toContainEqual([7 * 1024, 8 * 1024]);
    // Ascending, apart, and covering every dirty shard.
    for (let k = 1; k < ranges.length; k++) expect(ranges[k]![0]).toBeGreaterThanOrEqual(ranges[k - 1]![1]);
    let r = 0;
    for (const s of shards) {
      while (ranges[r]![1] <= s) r++;
      expect(ranges[r]![0]).toBeLessThanOrEqual(s);
    }
    // Under the cap, runs as before.
    expect(dirtyRanges(shards.slice(0, 3000), 20)).toHaveLength(3000);
  });
});

describe('index owner head refresh', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('signs the root of the tokens as they are after a delta over every block, reading within D1 limits', async () => {
    const tmp = tempDir('cairn-owner-refresh-');
    cleanup = tmp.cleanup;
    const sqlite = openSqlite(join(tmp.dir, 'cairn.db'));
    await migrateToLatest(sqlite.db);
    const raw = sqlite.raw;
    raw.prepare(`insert into records (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at)
      values ('R-1', ?, 'U', 'c@x.example', '2026-01-01', '2036-01-01', x'00', '2026-01-01T00:00:00Z')`).run(CATEGORY);
    const insertToken = raw.prepare("insert into tokens (record_id, key_type, category, confirm, fingerprint) values (1, 'email', ?, x'0000000000000000', ?)");
    const deleteToken = raw.prepare('delete from tokens where rowid = (select rowid from tokens where category = ? and fingerprint = ? limit 1)');
    const log = raw.prepare('insert into index_changes (category, fingerprint, op, at) values (?, ?, ?, 0)');
    // Tokens and their change log, written together like an import writes them.
    const add = raw.transaction((fps: Uint8Array[]) => {
      for (const f of fps) {
        insertToken.run(CATEGORY, f);
        log.run(CATEGORY, f, CHANGE_OP.add);
      }
    });
    const remove = raw.transaction((fps: Uint8Array[]) => {
      for (const f of fps) {
        log.run(CATEGORY, f, CHANGE_OP.remove);
        expect(deleteToken.run(CATEGORY, f).changes).toBe(1);
      }
    });

    // Every read of the owner goes through this connection, which refuses statements D1 would.
    const counted = { statements: 0, maxParams: 0 };
    const readConn = new BetterSqlite3(join(tmp.dir, 'cairn.db'));
    const guarded = new Proxy(readConn, {
      get(target, prop) {
        if (prop === 'prepare') {
          return (text: string) => {
            const params = (text.match(/\?/g) ?? []).length;
            if (params > D1_LIMITS.params) throw new Error(`${params} bound parameters: ${text.slice(0, 80)}`);
            counted.statements++;
            counted.maxParams = Math.max(counted.maxParams, params);
            return target.prepare(text);
          };
        }
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: guarded }) });
    const owner = () => new IndexOwner({ db, atomic: sqliteAtomicWriter(raw), clock: testClock(), signer: ed25519Signer(new Uint8Array(32).fill(9)), logger: silentLogger, nodeId: 'node-xa' });

    // A first import: 20,000 tokens, under half of most blocks' shards (runs), and one block
    // (shards 3072..4095) filled densely enough to be read whole; the first and last shard too.
    const first = Array.from({ length: 20_000 }, (_, i) => fingerprint('first', i));
    const dense = Array.from({ length: 900 }, (_, i) => fingerprint('dense', i, 3072 + i));
    add([...first, ...dense, fingerprint('edge', 0, 0), fingerprint('edge', 1, 65535), fingerprint('edge', 2, 65535)]);
    const v0 = await owner().head(CATEGORY);
    expect(v0.head).toMatchObject(rootFromScratch(raw));

    // A delta over every block: 2,000 tokens removed, 2,000 added (one twice), another block made
    // dense. About 60 dirty shards a block of an index this small: blocks are read whole.
    remove(first.filter((_, i) => i % 10 === 3));
    const later = Array.from({ length: 2_000 }, (_, i) => fingerprint('later', i));
    add([...later, later[0]!, ...Array.from({ length: 600 }, (_, i) => fingerprint('dense2', i, 40_000 + i))]);
    const fresh = owner();
    const changes = await fresh.changesSince(CATEGORY, v0.head.version);
    if (isResync(changes)) throw new Error('unexpected resync');
    expect(checkChanges(changes.changes)).toEqual({ adds: 2_601, removes: 2_000 });
    const v1 = await fresh.head(CATEGORY);
    expect(v1.head).toMatchObject(rootFromScratch(raw));
    expect(v1.head.version).toBe(changes.toVersion);

    // A small delta: one or two dirty shards a block, read as runs, the open-ended last shard emptied.
    remove([...first.filter((_, i) => i % 500 === 7), fingerprint('edge', 1, 65535), fingerprint('edge', 2, 65535)]);
    add(Array.from({ length: 40 }, (_, i) => fingerprint('small', i)));
    counted.statements = 0;
    const small = await owner().changesSince(CATEGORY, v1.head.version);
    if (isResync(small)) throw new Error('unexpected resync');
    expect(checkChanges(small.changes)).toEqual({ adds: 40, removes: 42 });
    const v2 = await owner().head(CATEGORY);
    expect(v2.head).toMatchObject(rootFromScratch(raw));
    // About 80 runs, many to a statement: a few statements, never one per dirty shard.
    expect(counted.statements).toBeLessThan(30);
    expect(counted.maxParams).toBeLessThanOrEqual(D1_LIMITS.params);
    expect(counted.maxParams).toBeGreaterThan(60);

    await db.destroy();
    await sqlite.close();
  });
});
