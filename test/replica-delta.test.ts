/**
 * A searcher's replica applies a delta by merging it into each touched shard
 * (never re-sorting the shard) and rehashing with the SHA-256 its runtime
 * wires. The index is a multiset: a fingerprint listed twice is removed one
 * listing at a time, an add and a remove of the same fingerprint in one delta
 * cancel, and a remove of a fingerprint the replica does not hold is the
 * peer's error, never a silent skip. Real SQLite file, heads signed and
 * verified as a peer's would be.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../src/core/bytes.js';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { signJsonEnvelope } from '../src/core/dsse.js';
import { compareBytes, shardOf } from '../src/core/federation/index/fingerprint.js';
import { ReplicaStore } from '../src/core/federation/index/replica.js';
import { emptyGroupHashes, emptyGroupShards, groupHash, indexRoot, shardHash } from '../src/core/federation/index/tree.js';
import type { Peer } from '../src/core/federation/peers.js';
import { portableSha256, silentLogger, systemClock, type Sha256 } from '../src/core/ports.js';
import { ed25519Signer, ed25519Verify, type Ed25519Verify } from '../src/core/signing.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { nodeSha256 } from '../src/node/sha256.js';
import { openSqlite, type SqliteHandle } from '../src/node/sqlite.js';
import { tempDir } from './helpers/cli.js';

const CATEGORY = 'missing_child' as const;
const HEAD_TYPE = 'application/vnd.cairn.index-head+json';
const signer = ed25519Signer(new Uint8Array(32).fill(9));
const peer = { id: 'peer-xa', country: 'XA', signingPublicKey: signer.publicKey } as Peer;

/** Fingerprint with the given shard and tail byte. */
const fp = (shard: number, tail: number) => Uint8Array.of(shard >> 8, shard & 0xff, 0, 0, 0, 0, 0, tail);

/** The root of a multiset of fingerprints, computed from scratch. */
function rootOf(fps: Uint8Array[]): string {
  const sorted = [...fps].sort(compareBytes);
  const byShard = new Map<number, Uint8Array[]>();
  for (const f of sorted) byShard.set(shardOf(f), [...(byShard.get(shardOf(f)) ?? []), f]);
  const groups = new Map<number, Uint8Array>();
  for (const [s, list] of byShard) {
    const packed = new Uint8Array(list.length * 8);
    list.forEach((f, i) => packed.set(f, i * 8));
    const g = groups.get(s >> 8) ?? emptyGroupShards();
    g.set(shardHash(s, packed), (s & 0xff) * 32);
    groups.set(s >> 8, g);
  }
  const all = emptyGroupHashes();
  for (const [g, shards] of groups) all.set(groupHash(g, shards), g * 32);
  return toBase64Url(indexRoot(CATEGORY, sorted.length, all));
}

const head = (version: number, fps: Uint8Array[]) =>
  signJsonEnvelope(signer, HEAD_TYPE, { v: 1, node: peer.id, category: CATEGORY, version, count: fps.length, root: rootOf(fps), floor: 0, issuedAt: '2026-12-01T00:00:00.000Z' });

describe('replica deltas', () => {
  const opened: Array<{ sqlite: SqliteHandle; cleanup: () => void }> = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.sqlite.close();
      o.cleanup();
    }
  });

  async function replica(sha256: Sha256, initial: Uint8Array[]): Promise<ReplicaStore> {
    const tmp = tempDir();
    const sqlite = openSqlite(`${tmp.dir}/db.sqlite`);
    opened.push({ sqlite, cleanup: tmp.cleanup });
    await migrateToLatest(sqlite.db);
    const store = new ReplicaStore({ db: sqlite.db, atomic: sqliteAtomicWriter(sqlite.raw), clock: systemClock, logger: silentLogger, sha256 });
    const id = await store.beginFull(peer.id, CATEGORY);
    const sorted = [...initial].sort(compareBytes);
    const packed = new Uint8Array(sorted.length * 8);
    sorted.forEach((f, i) => packed.set(f, i * 8));
    await store.putPage(id, 0, 65536, packed);
    expect(await store.finishFull(peer, CATEGORY, head(1, initial))).toBe('ready');
    return store;
  }

  it.each([
    ['portable', portableSha256],
    ['OpenSSL', nodeSha256],
  ])('merges adds and removes as a multiset and verifies the root (%s SHA-256)', async (_, sha256) => {
    const a = fp(7, 1);
    const b = fp(7, 5);
    const c = fp(300, 2);
    const store = await replica(sha256, [a, b, b, c]);
    // One listing of b goes, a second a arrives, d is added and removed in the same delta,
    // e lands before everything in its shard, c's shard empties, f opens a new shard.
    const d = fp(7, 3);
    const e = fp(7, 0);
    const f = fp(65535, 255);
    const after = [a, a, b, e, f];
    const delta = { category: CATEGORY, head: head(2, after), fromVersion: 1, toVersion: 2, adds: [a, d, f, e], removes: [d, b, c] };
    expect(await store.applyDelta(peer, delta)).toBe('ready');
    const found = await store.lookup(peer.id, [CATEGORY], [a, b, c, d, e, f]);
    expect(found.hits.map((h) => [toBase64Url(h.fingerprint), h.count])).toEqual([
      [toBase64Url(a), 2],
      [toBase64Url(b), 1],
      [toBase64Url(e), 1],
      [toBase64Url(f), 1],
    ]);
    // The next delta starts from there: the stored shards and group hashes are the ones the root was checked over.
    const next = [a, e, f];
    expect(await store.applyDelta(peer, { category: CATEGORY, head: head(3, next), fromVersion: 2, toVersion: 3, adds: [], removes: [b, a] })).toBe('ready');
    expect((await store.states(peer.id))[0]).toMatchObject({ status: 'ready', version: 3, count: 3 });
  });

  it('refuses a delta that removes a fingerprint the replica does not hold, or one listing too many', async () => {
    const a = fp(7, 1);
    const store = await replica(nodeSha256, [a, fp(9, 9)]);
    const absent = fp(7, 2);
    expect(await store.applyDelta(peer, { category: CATEGORY, head: head(2, [fp(9, 9)]), fromVersion: 1, toVersion: 2, adds: [], removes: [a, absent] })).toBe('error');
    const [state] = await store.states(peer.id);
    expect(state).toMatchObject({ status: 'error', version: 1, count: 2 });
    expect(state!.error).toContain('removes a fingerprint the replica does not hold (shard 7)');

    const again = await replica(nodeSha256, [a]);
    expect(await again.applyDelta(peer, { category: CATEGORY, head: head(2, []), fromVersion: 1, toVersion: 2, adds: [], removes: [a, a] })).toBe('error');
    expect((await again.lookup(peer.id, [CATEGORY], [a])).status[CATEGORY]).toBe('error');
  });

  it('checks a repeated head once, and again under other pinned keys or when a byte changes', async () => {
    const a = fp(7, 1);
    const tmp = tempDir();
    const sqlite = openSqlite(`${tmp.dir}/db.sqlite`);
    opened.push({ sqlite, cleanup: tmp.cleanup });
    await migrateToLatest(sqlite.db);
    let checks = 0;
    const verify: Ed25519Verify = (...args) => {
      checks++;
      return ed25519Verify(...args);
    };
    const store = new ReplicaStore({ db: sqlite.db, atomic: sqliteAtomicWriter(sqlite.raw), clock: systemClock, logger: silentLogger, sha256: nodeSha256, verify });
    const id = await store.beginFull(peer.id, CATEGORY);
    await store.putPage(id, 0, 65536, a);
    const h1 = head(1, [a]);
    expect(await store.finishFull(peer, CATEGORY, h1)).toBe('ready');
    // An in-sync answer: an empty delta with the head we hold, received again and again.
    const empty = (h: unknown) => ({ category: CATEGORY, head: h, fromVersion: 1, toVersion: 1, adds: [], removes: [] }) as never;
    const before = checks;
    for (let i = 0; i < 3; i++) expect(await store.applyDelta(peer, empty(JSON.parse(JSON.stringify(h1))))).toBe('ready');
    expect(checks - before).toBe(1);
    // The same head under keys pinned since (a re-pin by hand): checked again, and refused under the new key.
    const other = { ...peer, signingPublicKey: ed25519Signer(new Uint8Array(32).fill(10)).publicKey } as Peer;
    expect(await store.applyDelta(other, empty(h1))).toBe('error');
    expect((await store.states(peer.id))[0]!.error).toContain('does not verify under its pinned key');
    // A byte of the signature changed: checked, and refused (a fresh store, so the replica was ready).
    const fresh = new ReplicaStore({ db: sqlite.db, atomic: sqliteAtomicWriter(sqlite.raw), clock: systemClock, logger: silentLogger, sha256: nodeSha256, verify });
    await fresh.mark(peer.id, CATEGORY, 'ready');
    expect(await fresh.applyDelta(peer, empty(h1))).toBe('ready');
    const forged = JSON.parse(JSON.stringify(h1)) as { signatures: { sig: string }[] };
    forged.signatures[0]!.sig = (forged.signatures[0]!.sig.startsWith('A') ? 'B' : 'A') + forged.signatures[0]!.sig.slice(1);
    const counted = checks;
    expect(await fresh.applyDelta(peer, empty(forged))).toBe('error');
    expect(checks).toBe(counted + 1);
  });
});
