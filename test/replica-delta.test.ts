/**
 * A searcher's replica applies a delta by extending its change chain over
 * the delta's changes and comparing chain and count with the peer's signed
 * head, then stores the net changes beside its shards; a merge later folds
 * them into the shards (never re-sorting one) and checks the shards' root
 * against the same head. The index is a multiset: a fingerprint listed twice
 * is removed one listing at a time, an add and a remove of one fingerprint
 * cancel, and a remove of a fingerprint the replica does not hold is the
 * peer's error, never a silent skip. Real SQLite files, two connections where
 * two processes would race, heads signed and verified as a peer's would be.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toBase64Url } from '../src/core/bytes.js';
import { INDEX } from '../src/core/constants.js';
import type { AtomicWriter } from '../src/core/atomic.js';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { signJsonEnvelope } from '../src/core/dsse.js';
import { CHANGE_BYTES, chainStep, EMPTY_CHAIN, packChanges } from '../src/core/federation/index/chain.js';
import { CHANGE_OP } from '../src/core/federation/index/changes.js';
import { compareBytes, shardOf } from '../src/core/federation/index/fingerprint.js';
import { ReplicaStore } from '../src/core/federation/index/replica.js';
import { emptyGroupHashes, emptyGroupShards, groupHash, indexRoot, shardHash } from '../src/core/federation/index/tree.js';
import type { IndexDelta } from '../src/core/federation/index/types.js';
import type { Peer } from '../src/core/federation/peers.js';
import { portableSha256, silentLogger, systemClock, type Sha256 } from '../src/core/ports.js';
import { ed25519Signer, ed25519Verify, type Ed25519Verify, type Signer } from '../src/core/signing.js';
import type { RecordCategory } from '../schemas/records.js';
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
function rootOf(fps: Uint8Array[], category: RecordCategory = CATEGORY): string {
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
  return toBase64Url(indexRoot(category, sorted.length, all));
}

/** The peer's index as a model: its listings, change log and chain, signed heads and deltas. */
class PeerIndex {
  fps: Uint8Array[] = [];
  version = 0;
  chain = EMPTY_CHAIN;
  readonly log: Array<{ version: number; op: number; fingerprint: Uint8Array }> = [];

  constructor(
    initial: Uint8Array[] = [],
    readonly category: RecordCategory = CATEGORY,
  ) {
    for (const f of initial) this.add(f);
  }
  add(f: Uint8Array): this {
    this.fps.push(f);
    return this.#logged(CHANGE_OP.add, f);
  }
  remove(f: Uint8Array): this {
    const at = this.fps.findIndex((x) => compareBytes(x, f) === 0);
    if (at >= 0) this.fps.splice(at, 1);
    return this.#logged(CHANGE_OP.remove, f);
  }
  #logged(op: number, f: Uint8Array): this {
    this.version++;
    this.log.push({ version: this.version, op, fingerprint: f });
    this.chain = chainStep(this.chain, op, f);
    return this;
  }
  head(over: { root?: string; count?: number; by?: Signer } = {}) {
    return signJsonEnvelope(over.by ?? signer, HEAD_TYPE, {
      v: 1,
      node: peer.id,
      category: this.category,
      version: this.version,
      count: over.count ?? this.fps.length,
      root: over.root ?? rootOf(this.fps, this.category),
      chain: toBase64Url(this.chain),
      floor: 0,
      issuedAt: '2026-12-01T00:00:00.000Z',
    });
  }
  changes(from: number, to = this.version): Uint8Array {
    return packChanges(this.log.filter((c) => c.version > from && c.version <= to));
  }
  delta(from: number, to = this.version): IndexDelta {
    return { category: this.category, head: this.head(), fromVersion: from, toVersion: to, changes: this.changes(from, to) };
  }
}

const listings = async (store: ReplicaStore, fps: Uint8Array[]) =>
  (await store.lookup(peer.id, [CATEGORY], fps)).hits.map((h) => [toBase64Url(h.fingerprint), h.count]);

describe('replica deltas', () => {
  const opened: Array<{ sqlite: SqliteHandle; cleanup: () => void }> = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.sqlite.close();
      o.cleanup();
    }
  });

  function open(path?: string, sha256: Sha256 = nodeSha256, wrap?: (a: AtomicWriter) => AtomicWriter, verify?: Ed25519Verify) {
    let file = path;
    if (!file) {
      const tmp = tempDir();
      file = `${tmp.dir}/db.sqlite`;
      opened.push({ sqlite: openSqlite(file), cleanup: tmp.cleanup });
    }
    const sqlite = path ? openSqlite(file) : opened[opened.length - 1]!.sqlite;
    if (path) opened.push({ sqlite, cleanup: () => undefined });
    const atomic = sqliteAtomicWriter(sqlite.raw);
    const store = new ReplicaStore({ db: sqlite.db, atomic: wrap ? wrap(atomic) : atomic, clock: systemClock, logger: silentLogger, sha256, ...(verify ? { verify } : {}) });
    return { store, sqlite, file };
  }

  /** A replica of `index` as a full sync leaves it. */
  async function replica(index: PeerIndex, sha256: Sha256 = nodeSha256) {
    const r = open(undefined, sha256);
    await migrateToLatest(r.sqlite.db);
    const id = await r.store.beginFull(peer.id, CATEGORY, index.head());
    const sorted = [...index.fps].sort(compareBytes);
    const packed = new Uint8Array(sorted.length * 8);
    sorted.forEach((f, i) => packed.set(f, i * 8));
    await r.store.putPage(id, 0, 65536, packed);
    expect(await r.store.finishFull(peer, CATEGORY, index.head())).toBe('ready');
    return r;
  }

  const unmerged = (sqlite: SqliteHandle) => (sqlite.raw.prepare('select count(*) as n from replica_changes').get() as { n: number }).n;

  it.each([
    ['portable', portableSha256],
    ['OpenSSL', nodeSha256],
  ])('applies changes as a multiset against the chain, then merges them and checks the root (%s SHA-256)', async (_, sha256) => {
    const a = fp(7, 1);
    const b = fp(7, 5);
    const c = fp(300, 2);
    const d = fp(7, 3);
    const e = fp(7, 0);
    const f = fp(65535, 255);
    const index = new PeerIndex([a, b, b, c]);
    const { store, sqlite } = await replica(index, sha256);
    const v1 = index.version;
    // One listing of b goes, a second a arrives, d is added and removed, e lands before everything
    // in its shard, c's shard empties, f opens a new shard.
    index.add(a).add(d).remove(b).add(f).remove(d).remove(c).add(e);
    expect(await store.applyDelta(peer, index.delta(v1))).toBe('ready');
    // Applied beside the shards: d cancelled out, so five fingerprints carry a net change.
    expect(unmerged(sqlite)).toBe(5);
    const expected = [
      [toBase64Url(a), 2],
      [toBase64Url(b), 1],
      [toBase64Url(e), 1],
      [toBase64Url(f), 1],
    ];
    expect(await listings(store, [a, b, c, d, e, f])).toEqual(expected);
    expect(await store.merge(peer.id, CATEGORY)).toBe('ready');
    expect(unmerged(sqlite)).toBe(0);
    expect(await listings(store, [a, b, c, d, e, f])).toEqual(expected);
    expect(await store.merge(peer.id, CATEGORY)).toBeUndefined();

    // The next delta starts from there: chain and shards are the ones just checked.
    const v2 = index.version;
    index.remove(b).remove(a);
    expect(await store.applyDelta(peer, index.delta(v2))).toBe('ready');
    expect((await store.states(peer.id))[0]).toMatchObject({ status: 'ready', version: v2 + 2, count: 3 });
    expect(await listings(store, [a, b, e, f])).toEqual([
      [toBase64Url(a), 1],
      [toBase64Url(e), 1],
      [toBase64Url(f), 1],
    ]);
    expect(await store.merge(peer.id, CATEGORY)).toBe('ready');
  });

  it("settles an answer's empty deltas from one read of the replica rows, with applyDelta's results", async () => {
    const r = open();
    await migrateToLatest(r.sqlite.db);
    const indexes = (['missing_child', 'suspect', 'identified_victim'] as const).map((c, i) => new PeerIndex([fp(10 + i, 1)], c));
    for (const index of indexes) {
      const id = await r.store.beginFull(peer.id, index.category, index.head());
      await r.store.putPage(id, 0, 65536, index.fps[0]!);
      expect(await r.store.finishFull(peer, index.category, index.head())).toBe('ready');
    }
    // The same store, counting the reads it issues.
    let reads = 0;
    const db = r.sqlite.db.withPlugin({
      transformQuery: (a) => {
        if (a.node.kind === 'SelectQueryNode') reads++;
        return a.node;
      },
      transformResult: async (a) => a.result,
    });
    const store = new ReplicaStore({ db, atomic: sqliteAtomicWriter(r.sqlite.raw), clock: systemClock, logger: silentLogger, sha256: nodeSha256 });
    const atHead = (index: PeerIndex) => index.delta(index.version);
    expect(await store.applyDeltas(peer, indexes.map(atHead))).toEqual(['ready', 'ready', 'ready']);
    expect(reads).toBe(1);
    // One lookup reads the shards of every category at once, and keeps each hit to its own category.
    const all = ['missing_child', 'suspect', 'identified_victim'] as const;
    reads = 0;
    const found = await store.lookup(peer.id, all, [fp(10, 1), fp(11, 1), fp(12, 1), fp(12, 2)]);
    expect(reads).toBe(2);
    expect(found.status).toEqual({ missing_child: 'ready', suspect: 'ready', identified_victim: 'ready' });
    expect(found.hits.map((h) => [h.category, toBase64Url(h.fingerprint), h.count])).toEqual([
      ['missing_child', toBase64Url(fp(10, 1)), 1],
      ['suspect', toBase64Url(fp(11, 1)), 1],
      ['identified_victim', toBase64Url(fp(12, 1)), 1],
    ]);

    // Anything else takes applyDelta's own path: a delta with changes, a head that fails its
    // signature check (the replica is marked), an empty delta short of its head.
    const [changed, forged, behind] = indexes as [PeerIndex, PeerIndex, PeerIndex];
    changed.add(fp(50, 1));
    behind.add(fp(51, 1));
    const intruder = ed25519Signer(new Uint8Array(32).fill(3));
    const batch = [changed.delta(1), { ...atHead(forged), head: forged.head({ by: intruder }) }, behind.delta(1, 1)];
    reads = 0;
    expect(await store.applyDeltas(peer, batch)).toEqual(['ready', 'error', 'syncing']);
    expect(reads).toBeGreaterThan(1);
    const states = Object.fromEntries((await store.states(peer.id)).map((s) => [s.category, s]));
    expect(states.missing_child).toMatchObject({ status: 'ready', version: 2 });
    expect(states.suspect).toMatchObject({ status: 'error' });
    expect(states.identified_victim).toMatchObject({ status: 'syncing', version: 1 });
    // A replica in error stays so, though its next delta is empty and at a good head.
    expect(await store.applyDeltas(peer, [atHead(forged)])).toEqual(['error']);
    expect(await listings(store, [fp(50, 1)])).toEqual([[toBase64Url(fp(50, 1)), 1]]);
  });

  it('refuses changes that do not extend to the signed chain: one dropped, two swapped, an op flipped, a wrong count', async () => {
    const a = fp(7, 1);
    const b = fp(8, 1);
    const index = new PeerIndex([a]);
    const { store } = await replica(index);
    const v1 = index.version;
    index.add(b).remove(a).add(a);
    const good = index.delta(v1);
    const n = good.changes.length / CHANGE_BYTES;
    expect(n).toBe(3);
    const swapped = new Uint8Array(good.changes);
    swapped.set(good.changes.subarray(CHANGE_BYTES, 2 * CHANGE_BYTES), 0);
    swapped.set(good.changes.subarray(0, CHANGE_BYTES), CHANGE_BYTES);
    const flipped = new Uint8Array(good.changes);
    flipped[2 * CHANGE_BYTES] = CHANGE_OP.remove;
    const cases: Array<[string, IndexDelta]> = [
      ['dropped', { ...good, changes: good.changes.slice(CHANGE_BYTES) }],
      ['swapped', { ...good, changes: swapped }],
      ['flipped', { ...good, changes: flipped }],
      ['count', { ...good, head: index.head({ count: 3 }) }],
    ];
    for (const [what, bad] of cases) {
      expect(await store.applyDelta(peer, bad), what).toBe('error');
      const [state] = await store.states(peer.id);
      expect(state, what).toMatchObject({ status: 'error', version: v1, count: 1 });
      expect(state!.error, what).toMatch(/change chain does not match the signed head/);
      expect((await store.lookup(peer.id, [CATEGORY], [a, b])).hits, what).toHaveLength(0);
      await store.mark(peer.id, CATEGORY, 'ready');
    }
    // An op other than add or remove is refused by name.
    const junk = new Uint8Array(good.changes);
    junk[CHANGE_BYTES] = 7;
    expect(await store.applyDelta(peer, { ...good, changes: junk })).toBe('error');
    expect((await store.states(peer.id))[0]!.error).toBe('changes: change 1 has op 7; 0 (remove) or 1 (add) expected');
    await store.mark(peer.id, CATEGORY, 'ready');
    expect(await store.applyDelta(peer, good)).toBe('ready');
    expect(await listings(store, [a, b])).toEqual([
      [toBase64Url(a), 1],
      [toBase64Url(b), 1],
    ]);
  });

  it('finds at merge what a signed chain cannot: a remove of a fingerprint not held, a root the shards do not reach', async () => {
    const a = fp(7, 1);
    const absent = fp(7, 2);
    // The peer signs a chain over a remove of a fingerprint it never listed: the count stays whole, so the apply passes.
    const lying = new PeerIndex([a, fp(9, 9)]);
    const first = await replica(lying);
    const v1 = lying.version;
    lying.remove(absent).add(fp(9, 10));
    expect(await first.store.applyDelta(peer, { ...lying.delta(v1), head: lying.head({ count: 2 }) })).toBe('ready');
    expect(await first.store.merge(peer.id, CATEGORY)).toBe('error');
    expect((await first.store.states(peer.id))[0]!.error).toContain('removes a fingerprint the replica does not hold (shard 7)');
    expect((await first.store.lookup(peer.id, [CATEGORY], [a])).status[CATEGORY]).toBe('error');

    // A remove of more listings than held drives the count below zero: refused at apply.
    const once = new PeerIndex([a]);
    const second = await replica(once);
    once.remove(a).remove(a);
    expect(await second.store.applyDelta(peer, once.delta(1))).toBe('error');
    expect((await second.store.states(peer.id))[0]!.error).toBe('after delta 1..3 removes 1 more listing than the replica holds');

    // A head whose root is not the listings' own: the chain holds, the merge finds the shards off the root.
    const wrong = new PeerIndex([a]);
    const third = await replica(wrong);
    wrong.add(absent);
    const delta = { ...wrong.delta(1), head: wrong.head({ root: rootOf([a, a]) }) };
    expect(await third.store.applyDelta(peer, delta)).toBe('ready');
    expect(await third.store.merge(peer.id, CATEGORY)).toBe('error');
    const [state] = await third.store.states(peer.id);
    expect(state).toMatchObject({ status: 'error' });
    expect(state!.error).toMatch(/root does not match the signed head/);
  });

  it('continues a delta over several pages without a full transfer', async () => {
    const a = fp(7, 1);
    const index = new PeerIndex([a]);
    const { store } = await replica(index);
    for (let i = 0; i < 5; i++) index.add(fp(100 + i, i));
    expect(await store.applyDelta(peer, index.delta(1, 3))).toBe('syncing');
    expect((await store.lookup(peer.id, [CATEGORY], [a])).status[CATEGORY]).toBe('syncing');
    // An answer meanwhile says resync (a syncing replica is not listed as ready in a request): left to the sync.
    expect(await store.applyDelta(peer, { category: CATEGORY, head: index.head(), resync: true })).toBe('syncing');
    expect(await store.applyDelta(peer, index.delta(3, 5))).toBe('syncing');
    expect(await store.applyDelta(peer, index.delta(5))).toBe('ready');
    expect(await listings(store, [a, fp(104, 4)])).toEqual([
      [toBase64Url(a), 1],
      [toBase64Url(fp(104, 4)), 1],
    ]);
    expect(await store.merge(peer.id, CATEGORY)).toBe('ready');
    // A page that does not start where the replica is leaves it as it is.
    index.add(fp(200, 1));
    expect(await store.applyDelta(peer, index.delta(7))).toBe('stale');
    expect((await store.states(peer.id))[0]).toMatchObject({ status: 'ready', version: 6 });
  });

  it('refuses a delta larger than a delta may be or than the versions it spans, and resyncs a catch-up that outgrows its head', async () => {
    const a = fp(7, 1);
    // More changes than the default `max` the searcher asks for: refused whole, by size.
    const big = new PeerIndex([a]);
    const first = await replica(big);
    for (let i = 0; i <= INDEX.maxDeltaChanges; i++) big.add(fp(100 + (i % 1000), i >> 10));
    expect(await first.store.applyDelta(peer, big.delta(1))).toBe('error');
    expect((await first.store.states(peer.id))[0]!.error).toBe(`XA: delta 1..${big.version} of missing_child carries ${INDEX.maxDeltaChanges + 1} changes, more than the ${INDEX.maxDeltaChanges} a delta may`);

    // Each change has its own sequence number: five changes cannot fit between versions 1 and 3.
    const index = new PeerIndex([a]);
    const second = await replica(index);
    for (let i = 0; i < 5; i++) index.add(fp(200 + i, 1));
    expect(await second.store.applyDelta(peer, { ...index.delta(1, 6), toVersion: 3 })).toBe('error');
    expect((await second.store.states(peer.id))[0]!.error).toBe('XA: delta 1..3 of missing_child carries 5 changes, more than the 2 versions it spans');

    // A catch-up whose unverified changes pass the head's count by more than the margin: stale, for a full transfer.
    const churn = new PeerIndex([a]);
    const third = await replica(churn);
    const page = INDEX.maxDeltaChanges;
    for (let i = 0; i < 2 * page; i++) churn.add(fp(300 + (i % 4000), Math.floor(i / 4000)));
    for (let i = 0; i < 2 * page; i++) churn.remove(fp(300 + (i % 4000), Math.floor(i / 4000)));
    expect(await third.store.applyDelta(peer, churn.delta(1, 1 + page))).toBe('syncing');
    expect(await third.store.applyDelta(peer, churn.delta(1 + page, 1 + 2 * page))).toBe('stale');
    const [state] = await third.store.states(peer.id);
    expect(state).toMatchObject({ status: 'stale', version: 1 + page });
    expect(state!.error).toBe(`XA: delta ${1 + page}..${1 + 2 * page} of missing_child would leave ${2 * page} unmerged changes (not yet verified by a head), more than the head's count 1 plus ${INDEX.maxUnmergedBeyondCount}; transferred anew`);
    expect(unmerged(third.sqlite)).toBe(page);
  });

  it('lands nothing of an apply or a merge that another connection overtook', async () => {
    const a = fp(7, 1);
    const b = fp(8, 1);
    const c = fp(9, 1);
    const index = new PeerIndex([a]);
    const first = await replica(index);
    // A second process on the same file, whose writes run only after the first process's.
    let before: (() => Promise<unknown>) | undefined;
    const second = open(first.file, nodeSha256, (atomic) => ({
      run: async (statements) => {
        const hook = before;
        before = undefined;
        if (hook) await hook();
        return atomic.run(statements);
      },
    }));
    index.add(b);
    const d1 = index.delta(1);
    // Both read version 1; the first lands its delta while the second is about to write the same one.
    before = () => first.store.applyDelta(peer, d1);
    expect(await second.store.applyDelta(peer, d1)).toBe('ready');
    expect(await listings(first.store, [a, b])).toEqual([
      [toBase64Url(a), 1],
      [toBase64Url(b), 1],
    ]);
    expect(unmerged(first.sqlite)).toBe(1);

    // A merge overtaken by another merge and a newer delta: its writes would undo the newer delta's merge.
    index.add(c);
    const d2 = index.delta(2);
    before = async () => {
      expect(await first.store.merge(peer.id, CATEGORY)).toBe('ready');
      expect(await first.store.applyDelta(peer, d2)).toBe('ready');
      expect(await first.store.merge(peer.id, CATEGORY)).toBe('ready');
    };
    expect(await second.store.merge(peer.id, CATEGORY)).toBe('ready');
    expect(unmerged(first.sqlite)).toBe(0);
    expect(await listings(second.store, [a, b, c])).toEqual([
      [toBase64Url(a), 1],
      [toBase64Url(b), 1],
      [toBase64Url(c), 1],
    ]);
    // The shards are the checked ones: one more change merges against the root again.
    index.remove(b);
    expect(await second.store.applyDelta(peer, index.delta(3))).toBe('ready');
    expect(await second.store.merge(peer.id, CATEGORY)).toBe('ready');
    expect(await listings(first.store, [a, b, c])).toEqual([
      [toBase64Url(a), 1],
      [toBase64Url(c), 1],
    ]);
  });

  it('checks a repeated head once, and again under other pinned keys or when a byte changes', async () => {
    const a = fp(7, 1);
    let checks = 0;
    const verify: Ed25519Verify = (...args) => {
      checks++;
      return ed25519Verify(...args);
    };
    const index = new PeerIndex([a]);
    const { sqlite, file } = await replica(index);
    void sqlite;
    const store = open(file, nodeSha256, undefined, verify).store;
    const h1 = index.head();
    // An in-sync answer: an empty delta with the head we hold, received again and again.
    const empty = (h: unknown) => ({ category: CATEGORY, head: h, fromVersion: 1, toVersion: 1, changes: new Uint8Array(0) }) as never;
    const before = checks;
    for (let i = 0; i < 3; i++) expect(await store.applyDelta(peer, empty(JSON.parse(JSON.stringify(h1))))).toBe('ready');
    expect(checks - before).toBe(1);
    // The same head under keys pinned since (a re-pin by hand): checked again, and refused under the new key.
    const other = { ...peer, signingPublicKey: ed25519Signer(new Uint8Array(32).fill(10)).publicKey } as Peer;
    expect(await store.applyDelta(other, empty(h1))).toBe('error');
    expect((await store.states(peer.id))[0]!.error).toContain('does not verify under its pinned key');
    // A byte of the signature changed: checked, and refused (a fresh store, so the replica was ready).
    const fresh = open(file, nodeSha256, undefined, verify).store;
    await fresh.mark(peer.id, CATEGORY, 'ready');
    expect(await fresh.applyDelta(peer, empty(h1))).toBe('ready');
    const forged = JSON.parse(JSON.stringify(h1)) as { signatures: { sig: string }[] };
    forged.signatures[0]!.sig = (forged.signatures[0]!.sig.startsWith('A') ? 'B' : 'A') + forged.signatures[0]!.sig.slice(1);
    const counted = checks;
    expect(await fresh.applyDelta(peer, empty(forged))).toBe('error');
    expect(checks).toBe(counted + 1);
  });
});
