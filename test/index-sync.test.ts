/**
 * Token index sync between nodes (protocol/37-token-index.md): a full
 * snapshot, deltas after imports, deletions and purges, the root check, and
 * policy limits on what a peer may fetch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkChanges } from '../src/core/federation/index/chain.js';
import { INDEX } from '../src/core/constants.js';
import { indexFingerprint } from '../src/core/federation/index/fingerprint.js';
import { IndexService } from '../src/core/federation/index/service.js';
import { silentLogger, webRandom } from '../src/core/ports.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { d1Checked, network, person, testClock } from './helpers/index-nodes.js';

const ALLOW = { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] };

describe('token index sync', () => {
  let net: ReturnType<typeof network>;
  afterEach(async () => {
    await net?.close();
  });

  it('replicates a peer index with a full snapshot, then keeps it in step with deltas', async () => {
    net = network();
    const clock = testClock();
    const xa = await net.node('XA', clock);
    const xb = await net.node('XB', clock);
    await net.pair(xa, xb, ALLOW); // XA lets XB fetch missing_child and unaccompanied_minor
    await net.pair(xb, xa, {});
    await xa.put([person('A-1', 'missing_child', 1), person('A-2', 'missing_child', 2), person('A-3', 'suspect', 3), person('A-4', 'unaccompanied_minor', 4)]);

    const peerA = await net.peerOf(xb, xa);
    const res = await xb.index.sync(peerA.id);
    expect(res).toEqual({ missing_child: 'ready', unaccompanied_minor: 'ready' });
    const states = await xb.index.states(peerA.id);
    expect(states.map((s) => [s.category, s.status])).toEqual([
      ['missing_child', 'ready'],
      ['unaccompanied_minor', 'ready'],
    ]);
    const tokensA = xa.sqlite.raw.prepare("select fingerprint from tokens where category = 'missing_child'").all() as { fingerprint: Buffer }[];
    expect(states[0]!.count).toBe(tokensA.length);

    // Every fingerprint XA holds for missing_child is found; a suspect's is not (not fetchable).
    const fps = tokensA.map((t) => new Uint8Array(t.fingerprint));
    const suspect = (xa.sqlite.raw.prepare("select fingerprint from tokens where category = 'suspect'").all() as { fingerprint: Buffer }[]).map((t) => new Uint8Array(t.fingerprint));
    const found = await xb.index.lookup(peerA.id, ['missing_child', 'suspect'], [...fps, ...suspect]);
    expect(found.status).toEqual({ missing_child: 'ready', suspect: 'stale' });
    expect(found.hits.length).toBe(fps.length);
    expect(found.hits.every((h) => h.category === 'missing_child')).toBe(true);

    // Changes at XA: a new record, an update, a deletion. A delta brings them.
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;
    await xa.put([person('A-5', 'missing_child', 5), person('A-1', 'missing_child', 101)]);
    await xa.remove('A-2');
    const delta = await xa.index.changesSince('missing_child', v0);
    if ('resync' in delta) throw new Error('unexpected resync');
    expect(delta.fromVersion).toBe(v0);
    expect(checkChanges(delta.changes).adds).toBeGreaterThan(0);
    expect(checkChanges(delta.changes).removes).toBeGreaterThan(0);
    expect(await xb.index.applyDelta(peerA, delta)).toBe('ready');
    const after = (xa.sqlite.raw.prepare("select fingerprint from tokens where category = 'missing_child'").all() as { fingerprint: Buffer }[]).map((t) => new Uint8Array(t.fingerprint));
    const hits = await xb.index.lookup(peerA.id, ['missing_child'], [...after, ...fps]);
    const hitSet = new Set(hits.hits.map((h) => Buffer.from(h.fingerprint).toString('hex')));
    for (const f of after) expect(hitSet.has(Buffer.from(f).toString('hex'))).toBe(true);
    // A removed token (of the deleted record A-2) is gone from the replica.
    const gone = fps.filter((f) => !after.some((g) => Buffer.from(g).equals(Buffer.from(f))));
    expect(gone.length).toBeGreaterThan(0);
    for (const f of gone) expect(hitSet.has(Buffer.from(f).toString('hex'))).toBe(false);
    expect((await xb.index.replicaVersions(peerA.id)).missing_child).toBe(delta.toVersion);
    // The same delta again changes nothing.
    expect(await xb.index.applyDelta(peerA, delta)).toBe('ready');

    // The delta waits beside the shards; the hourly job merges it and checks the shards' root.
    const unmerged = () => (xb.sqlite.raw.prepare('select count(*) as n from replica_changes').get() as { n: number }).n;
    expect(unmerged()).toBeGreaterThan(0);
    await xb.index.compactAll();
    expect(unmerged()).toBe(0);
    expect((await xb.index.states(peerA.id)).map((s) => s.status)).toEqual(['ready', 'ready']);
    const merged = await xb.index.lookup(peerA.id, ['missing_child'], [...after, ...fps]);
    expect(merged.hits).toEqual(hits.hits);

    // A node merges in the background once a replica holds enough unmerged changes (here: one).
    const tasks: Promise<void>[] = [];
    const eager = new IndexService({
      db: xb.sqlite.db,
      atomic: sqliteAtomicWriter(xb.sqlite.raw),
      clock,
      logger: silentLogger,
      signer: xb.signer,
      nodeId: xb.nodeId,
      client: { signer: xb.signer, clock, random: webRandom, fetch: () => Promise.reject(new Error('no fetch here')), timeoutMs: 1000, maxResponseBytes: 1 << 20 },
      mergeAt: 1,
      defer: (t) => tasks.push(t),
    });
    const v1 = delta.toVersion;
    await xa.put([person('A-6', 'missing_child', 6)]);
    const next = await xa.index.changesSince('missing_child', v1);
    expect(await eager.applyDelta(peerA, next)).toBe('ready');
    expect(tasks).toHaveLength(1);
    expect(unmerged()).toBeGreaterThan(0);
    await Promise.all(tasks);
    expect(unmerged()).toBe(0);
    expect((await eager.states(peerA.id))[0]).toMatchObject({ status: 'ready', error: null });
    // An empty delta (an answer in step) starts no merge.
    expect(await eager.applyDelta(peerA, await xa.index.changesSince('missing_child', (await xb.index.replicaVersions(peerA.id)).missing_child!))).toBe('ready');
    expect(tasks).toHaveLength(1);
  });

  it('signs each new head into the owner\'s audit log and the searcher logs each full sync', async () => {
    net = network();
    const { xa, xb } = await net.twoNodes(ALLOW);
    await xa.put([person('A-1', 'missing_child', 1)]);
    await xb.index.sync((await net.peerOf(xb, xa)).id);
    const heads = xa.sqlite.raw.prepare("select entry from audit_entries where type = 'index.head'").all() as { entry: string }[];
    expect(heads.map((h) => JSON.parse(h.entry).data.category).sort()).toEqual(['missing_child', 'unaccompanied_minor']);
    const syncs = xb.sqlite.raw.prepare("select entry from audit_entries where type = 'index.sync'").all() as { entry: string }[];
    expect(syncs).toHaveLength(2);
    // Both sides log the head's root and change chain: the DPO can tell which index, and which history, was served.
    const served = (await xa.index.owner.head('missing_child')).head;
    const logged = heads.map((h) => JSON.parse(h.entry).data).find((d) => d.category === 'missing_child');
    expect(logged).toMatchObject({ version: served.version, root: served.root, chain: served.chain });
    expect(syncs.map((e) => JSON.parse(e.entry).data).find((d) => d.category === 'missing_child')).toMatchObject({ root: served.root, chain: served.chain });
    // Nothing computed from identifiers beyond the root and counts.
    expect(JSON.stringify(heads)).not.toMatch(/Given|Family|380501/);
  });

  it('writes within D1\'s limits: at most 100 bound parameters a statement, blobs under 2 MB, one batch per unit', async () => {
    net = network();
    const clock = testClock();
    const seenA = { units: 0, maxStatements: 0 };
    const seenB = { units: 0, maxStatements: 0 };
    const xa = await net.node('XA', clock, undefined, (a) => d1Checked(a, seenA));
    const xb = await net.node('XB', clock, undefined, (a) => d1Checked(a, seenB));
    await net.pair(xa, xb, ALLOW);
    await net.pair(xb, xa, {});
    await xa.put(Array.from({ length: 40 }, (_, i) => person(`A-${i}`, 'missing_child', i)));
    const peerA = await net.peerOf(xb, xa);
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready', unaccompanied_minor: 'ready' });
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;
    await xa.put(Array.from({ length: 40 }, (_, i) => person(`A-${i + 40}`, 'missing_child', i + 40)));
    for (let i = 0; i < 10; i++) await xa.remove(`A-${i}`);
    const delta = await xa.index.changesSince('missing_child', v0);
    if ('resync' in delta) throw new Error('unexpected resync');
    expect(checkChanges(delta.changes).adds).toBeGreaterThan(200);
    expect(await xb.index.applyDelta(peerA, delta)).toBe('ready');
    // The merge of those changes writes guarded multi-row statements: within the same limits.
    const before = seenB.units;
    await xb.index.compactAll();
    expect(seenB.units).toBeGreaterThan(before);
    expect((await xb.index.states(peerA.id)).map((s) => s.status)).toEqual(['ready', 'ready']);
    expect(xb.sqlite.raw.prepare('select count(*) as n from replica_changes').get()).toEqual({ n: 0 });
    expect(seenA.units).toBeGreaterThan(0);
    expect(seenB.units).toBeGreaterThan(0);
  });

  it('fingerprints are 8 bytes, and not the confirmation bytes of the token', () => {
    const token = new Uint8Array(64).map((_, i) => i);
    const fp = indexFingerprint(token);
    expect(fp.length).toBe(INDEX.fingerprintBytes);
    expect(Buffer.from(fp).equals(Buffer.from(token.slice(16, 24)))).toBe(false);
    expect(Buffer.from(fp).equals(Buffer.from(token.slice(0, 8)))).toBe(false);
  });
});
