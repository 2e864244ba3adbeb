/**
 * When deltas cannot bring a replica up to date: the owner's change log was
 * compacted past it, a delta's root does not match, or a head is forged. The
 * replica then reports stale or error, never a silent miss, and a full sync
 * repairs it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CHANGE_BYTES } from '../src/core/federation/index/chain.js';
import { isResync } from '../src/core/federation/index/types.js';
import { signJsonEnvelope } from '../src/core/dsse.js';
import { FEDERATION, INDEX } from '../src/core/constants.js';
import { ed25519Signer } from '../src/core/signing.js';
import { webRandom } from '../src/core/ports.js';
import { indexChangesWireSchema, indexSnapshotPageSchema } from '../schemas/index.js';
import { postSigned } from '../src/core/federation/client.js';
import { INDEX_PATHS } from '../src/core/federation/index/sync.js';
import { setPeerPolicy } from '../src/core/federation/peers.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { network, person, testClock, type TestNode } from './helpers/index-nodes.js';

const ALLOW = { missing_child_tracing: ['missing_child'] };

async function twoNodes(net: ReturnType<typeof network>, clock = testClock()) {
  const xa = await net.node('XA', clock);
  const xb = await net.node('XB', clock);
  await net.pair(xa, xb, ALLOW);
  await net.pair(xb, xa, {});
  return { xa, xb, clock };
}

const fingerprints = (n: TestNode, category = 'missing_child') =>
  (n.sqlite.raw.prepare('select fingerprint from tokens where category = ?').all(category) as { fingerprint: Buffer }[]).map((t) => new Uint8Array(t.fingerprint));

describe('token index resync', () => {
  let net: ReturnType<typeof network>;
  afterEach(async () => {
    await net?.close();
  });

  it('answers resync once compaction passed the replica\'s version; a full sync repairs the replica', async () => {
    net = network();
    const { xa, xb, clock } = await twoNodes(net);
    await xa.put([person('A-1', 'missing_child', 1), person('A-2', 'missing_child', 2)]);
    const peerA = await net.peerOf(xb, xa);
    await xb.index.sync(peerA.id);
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;

    clock.advanceDays(40);
    await xa.put([person('A-3', 'missing_child', 3)]);
    await xa.index.owner.head('missing_child');
    const { floor } = await xa.index.owner.compact('missing_child');
    expect(floor).toBeGreaterThanOrEqual(v0);
    // Nothing newer than the window was dropped: a delta from the floor still works.
    const fromFloor = await xa.index.changesSince('missing_child', floor);
    expect(isResync(fromFloor)).toBe(false);

    clock.advanceDays(40);
    await xa.put([person('A-4', 'missing_child', 4)]);
    await xa.index.owner.compact('missing_child');
    const changes = await xa.index.changesSince('missing_child', v0);
    expect(isResync(changes)).toBe(true);
    // Applied to the replica, a resync marks it stale: lookups must not report no-hit from it.
    expect(await xb.index.replicas.applyDelta(peerA, changes)).toBe('stale');
    const looked = await xb.index.lookup(peerA.id, ['missing_child'], fingerprints(xa));
    expect(looked.status.missing_child).toBe('stale');
    expect(looked.hits).toHaveLength(0);

    // A sync transfers the snapshot again and the replica holds all four records.
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
    const again = await xb.index.lookup(peerA.id, ['missing_child'], fingerprints(xa));
    expect(again.hits).toHaveLength(fingerprints(xa).length);
  });

  it('brings a replica up to date over several bounded deltas', async () => {
    net = network();
    const { xa, xb } = await twoNodes(net);
    await xa.put([person('A-1', 'missing_child', 1)]);
    const peerA = await net.peerOf(xb, xa);
    await xb.index.sync(peerA.id);
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;
    await xa.put([person('A-2', 'missing_child', 2), person('A-3', 'missing_child', 3), person('A-4', 'missing_child', 4)]);
    const partial = await xa.index.changesSince('missing_child', v0, 5);
    if (isResync(partial)) throw new Error('unexpected resync');
    expect(partial.changes.length / CHANGE_BYTES).toBe(5);
    expect(partial.toVersion).toBeLessThan(JSON.parse(Buffer.from(partial.head.payload, 'base64').toString()).version);
    // Applied but not yet verifiable: syncing (the service catches up in the background).
    expect(await xb.index.replicas.applyDelta(peerA, partial)).toBe('syncing');
    expect((await xb.index.lookup(peerA.id, ['missing_child'], fingerprints(xa))).status.missing_child).toBe('syncing');
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
    expect((await xb.index.lookup(peerA.id, ['missing_child'], fingerprints(xa))).hits).toHaveLength(fingerprints(xa).length);
  });

  it('reports error when a delta does not lead to the signed root, and when a head is not signed by the peer', async () => {
    net = network();
    const { xa, xb } = await twoNodes(net);
    await xa.put([person('A-1', 'missing_child', 1)]);
    const peerA = await net.peerOf(xb, xa);
    await xb.index.sync(peerA.id);
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;
    await xa.put([person('A-2', 'missing_child', 2)]);
    const delta = await xa.index.changesSince('missing_child', v0);
    if (isResync(delta)) throw new Error('unexpected resync');

    // A head signed by another key is refused before anything is applied.
    const payload = JSON.parse(Buffer.from(delta.head.payload, 'base64').toString());
    const forged = signJsonEnvelope(ed25519Signer(webRandom.bytes(32)), INDEX.headPayloadType, payload);
    expect(await xb.index.replicas.applyDelta(peerA, { ...delta, head: forged })).toBe('error');
    expect((await xb.index.states(peerA.id))[0]).toMatchObject({ status: 'error', error: expect.stringMatching(/does not verify/) });
    await xb.index.sync(peerA.id);

    // A delta that drops one change no longer reaches the signed chain.
    const v1 = (await xb.index.replicaVersions(peerA.id)).missing_child!;
    await xa.put([person('A-3', 'missing_child', 3)]);
    const d2 = await xa.index.changesSince('missing_child', v1);
    if (isResync(d2)) throw new Error('unexpected resync');
    const tampered = { ...d2, changes: d2.changes.slice(CHANGE_BYTES) };
    expect(await xb.index.replicas.applyDelta(peerA, tampered)).toBe('error');
    const st = (await xb.index.states(peerA.id))[0]!;
    expect(st).toMatchObject({ status: 'error', version: v1 });
    expect(st.error).toMatch(/change chain does not match/);
    const looked = await xb.index.lookup(peerA.id, ['missing_child'], fingerprints(xa));
    expect(looked.status.missing_child).toBe('error');
    expect(looked.hits).toHaveLength(0);
    // The next sync repairs it from a full snapshot.
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
  });

  it('serves only the categories the policy lets the peer match, and drops replicas the peer no longer allows', async () => {
    net = network();
    const { xa, xb, clock } = await twoNodes(net);
    await xa.put([person('A-1', 'missing_child', 1), person('A-2', 'suspect', 2)]);
    const peerA = await net.peerOf(xb, xa);
    expect(Object.keys(await xb.index.sync(peerA.id))).toEqual(['missing_child']);
    expect((await xb.index.states(peerA.id)).map((r) => r.category)).toEqual(['missing_child']);
    // Asking for another category directly is refused, like a match the policy does not allow.
    const client = { signer: xb.signer, clock, random: webRandom, fetch: net.router, timeoutMs: 5000, maxResponseBytes: 1 << 20 };
    await expect(postSigned(client, peerA, INDEX_PATHS.changes, { category: 'suspect', sinceVersion: 0 }, indexChangesWireSchema, FEDERATION.mediaType)).rejects.toMatchObject({ details: { peerCode: 'purpose_denied' } });
    await expect(postSigned(client, peerA, INDEX_PATHS.snapshot, { category: 'suspect', version: 0, fromShard: 0, toShard: 16 }, indexSnapshotPageSchema, FEDERATION.mediaType)).rejects.toMatchObject({ details: { peerCode: 'purpose_denied' } });
    // The index routes speak the cairn/2 media type only, like match and hits.
    await expect(postSigned(client, peerA, INDEX_PATHS.heads, {}, indexChangesWireSchema)).rejects.toMatchObject({ details: { peerCode: 'unsupported_media_type', peerStatus: 415 } });
    // XA's policy changes: XB's next sync fetches the new category and drops the old one.
    await setPeerPolicy({ db: xa.sqlite.db, atomic: sqliteAtomicWriter(xa.sqlite.raw), clock: { now: () => new Date() } }, xb.nodeId, { purposes: { criminal_investigation: ['suspect'] } }, 'test');
    expect(await xb.index.sync(peerA.id)).toEqual({ suspect: 'ready' });
    expect((await xb.index.states(peerA.id)).map((r) => r.category)).toEqual(['suspect']);
  });
});
