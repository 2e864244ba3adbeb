/**
 * A hostile peer against a searcher's replicas (protocol/37-token-index.md
 * "Sync"): XA is a real node, but its index answers reach XB through a fetch
 * that rewrites them and signs them again with XA's own signing key (heads
 * as DSSE envelopes, answers as signed responses), as a peer that turned
 * hostile, or whose key was taken, could. Whatever it claims, XB's replica
 * stays within what XA's signed head counts: a snapshot that holds more is
 * abandoned and its rows deleted, a catch-up that never reaches its head is
 * bounded, a head larger than a replica may be is refused before any page,
 * and a catch-up the owner can no longer continue becomes a full transfer
 * rather than staying `syncing` for good.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fromBase64, fromUtf8, toBase64Url, utf8 } from '../src/core/bytes.js';
import { FEDERATION, FEDERATION_SIGNATURE, INDEX } from '../src/core/constants.js';
import { signJsonEnvelope, type DsseEnvelope } from '../src/core/dsse.js';
import { signResponse } from '../src/core/federation/http-signature.js';
import { CHANGE_OP } from '../src/core/federation/index/changes.js';
import { packChanges } from '../src/core/federation/index/chain.js';
import { IndexService } from '../src/core/federation/index/service.js';
import { silentLogger, webRandom } from '../src/core/ports.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { network, person, testClock, type TestNode } from './helpers/index-nodes.js';

const ALLOW = { missing_child_tracing: ['missing_child'] };
const H = FEDERATION_SIGNATURE.headers;

type Json = Record<string, unknown>;
/** What the hostile peer answers instead: a status and a body, or undefined to pass XA's answer on. */
type Alter = (path: string, request: Json, answer: Json) => { status: number; body: unknown } | undefined;

/** A head of XA's with some fields changed, signed again with XA's key. */
function resign(xa: TestNode, envelope: DsseEnvelope, change: Json): DsseEnvelope {
  const payload = JSON.parse(fromUtf8(fromBase64(envelope.payload))) as Json;
  return signJsonEnvelope(xa.signer, INDEX.headPayloadType, { ...payload, ...change });
}

/** `n` distinct sorted fingerprints in shard `shard`, numbered from `from`. */
function fingerprintsIn(shard: number, n: number, from = 0): Uint8Array {
  const out = new Uint8Array(n * 8);
  for (let i = 0; i < n; i++) {
    const v = from + i;
    out.set([shard >> 8, shard & 0xff, 0, (v / 2 ** 32) & 0xff, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff], i * 8);
  }
  return out;
}

/**
 * XB's index service over XB's database, reaching XA through `alter`: XA's
 * real answers, rewritten and signed again with XA's key where `alter` says.
 */
function searcherThrough(net: ReturnType<typeof network>, xa: TestNode, xb: TestNode, clock: ReturnType<typeof testClock>, alter: Alter, maxReplicaCount?: number): IndexService {
  const hostile: typeof fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const url = new URL(req.url);
    const sent = await req.clone().text();
    const res = await net.router(req);
    if (url.host !== xa.host || !url.pathname.includes('/index/')) return res;
    const text = await res.text();
    const out = alter(url.pathname.slice(url.pathname.indexOf('/index/')), JSON.parse(sent || '{}') as Json, JSON.parse(text) as Json);
    if (out === undefined) return new Response(text, { status: res.status, headers: res.headers });
    const json = JSON.stringify(out.body);
    const bytes = utf8(json);
    const binding = { keyId: req.headers.get(H.keyId)!, nonce: req.headers.get(H.nonce)!, signature: req.headers.get(H.signature)! };
    const headers = signResponse({ status: out.status, body: bytes, request: binding, signer: xa.signer, clock });
    headers.set('content-type', FEDERATION.mediaType);
    return new Response(json, { status: out.status, headers });
  };
  return new IndexService({
    db: xb.sqlite.db,
    atomic: sqliteAtomicWriter(xb.sqlite.raw),
    clock,
    logger: silentLogger,
    signer: xb.signer,
    nodeId: xb.nodeId,
    client: { signer: xb.signer, clock, random: webRandom, fetch: hostile, timeoutMs: 10_000, maxResponseBytes: 64 * 1024 * 1024 },
    ...(maxReplicaCount !== undefined ? { maxReplicaCount } : {}),
  });
}

const rowsOf = (xb: TestNode, table: 'replica_shards' | 'replica_groups' | 'replica_changes') =>
  (xb.sqlite.raw.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;

describe('replicas against a hostile peer', () => {
  let net: ReturnType<typeof network>;
  afterEach(async () => {
    await net?.close();
  });

  it('abandons a snapshot as soon as its pages hold more than the head counts, and deletes what it stored', async () => {
    net = network();
    const { xa, xb, clock } = await net.twoNodes(ALLOW);
    await xa.put([person('A-1', 'missing_child', 1), person('A-2', 'missing_child', 2)]);
    const peerA = await net.peerOf(xb, xa);
    // The head claims 5 fingerprints; every page then brings 10,000 of one shard.
    let pages = 0;
    const index = searcherThrough(net, xa, xb, clock, (path, request, answer) => {
      if (path === '/index/heads') return { status: 200, body: { heads: (answer.heads as DsseEnvelope[]).map((h) => resign(xa, h, { count: 5 })) } };
      if (path !== '/index/snapshot' || pages >= 4) return undefined;
      pages++;
      const from = request.fromShard as number;
      return { status: 200, body: { ...answer, fromShard: from, toShard: from + 1, count: 10_000, fingerprints: toBase64Url(fingerprintsIn(from, 10_000)) } };
    });
    expect(await index.sync(peerA.id)).toEqual({ missing_child: 'error' });
    // The first page already passes the head's count: nothing more is asked for, nothing of it is kept.
    expect(pages).toBe(1);
    const [state] = await index.states(peerA.id);
    expect(state).toMatchObject({ status: 'error', count: 0, shardsDone: 0 });
    expect(state!.error).toMatch(/^XA: snapshot of missing_child at version \d+: 10000 fingerprints received by shard 1, more than the head's count 5; transfer abandoned$/);
    expect([rowsOf(xb, 'replica_shards'), rowsOf(xb, 'replica_groups'), rowsOf(xb, 'replica_changes')]).toEqual([0, 0, 0]);

    // The same peer, honest again: the next sync transfers its index whole.
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
  });

  it('refuses a head larger than a replica may hold before fetching any page', async () => {
    net = network();
    const { xa, xb, clock } = await net.twoNodes(ALLOW);
    await xa.put([person('A-1', 'missing_child', 1)]);
    const peerA = await net.peerOf(xb, xa);
    let snapshots = 0;
    const claimed = INDEX.maxReplicaCount + 1;
    const index = searcherThrough(net, xa, xb, clock, (path, _request, answer) => {
      if (path === '/index/snapshot') snapshots++;
      if (path === '/index/heads') return { status: 200, body: { heads: (answer.heads as DsseEnvelope[]).map((h) => resign(xa, h, { count: claimed })) } };
      return undefined;
    });
    expect(await index.sync(peerA.id)).toEqual({ missing_child: 'error' });
    expect(snapshots).toBe(0);
    expect((await index.states(peerA.id))[0]!.error).toBe(`XA: the index of missing_child at version ${(await xa.index.owner.head('missing_child')).head.version} holds ${claimed} fingerprints, more than the ${INDEX.maxReplicaCount} a replica may hold`);

    // A node may set a lower cap: an honest index above it is not transferred either.
    const count = (await xa.index.owner.head('missing_child')).head.count;
    const capped = searcherThrough(net, xa, xb, clock, (path) => (path === '/index/snapshot' && snapshots++, undefined), count - 1);
    expect(await capped.sync(peerA.id)).toEqual({ missing_child: 'error' });
    expect(snapshots).toBe(0);
    expect(rowsOf(xb, 'replica_shards')).toBe(0);
  });

  it('bounds a catch-up that never reaches its head, and lets the event loop run between rounds', async () => {
    net = network();
    const { xa, xb, clock } = await net.twoNodes(ALLOW);
    await xa.put([person('A-1', 'missing_child', 1), person('A-2', 'missing_child', 2)]);
    const peerA = await net.peerOf(xb, xa);
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
    const count = (await xa.index.owner.head('missing_child')).head.count;
    // The head says version 2^53 - 1; each delta brings 5,000 new adds and stops short of it.
    const PAGE = 5000;
    let deltas = 0;
    const far = { version: Number.MAX_SAFE_INTEGER };
    const index = searcherThrough(net, xa, xb, clock, (path, request, answer) => {
      if (path === '/index/heads') return { status: 200, body: { heads: (answer.heads as DsseEnvelope[]).map((h) => resign(xa, h, far)) } };
      if (path !== '/index/changes') return undefined;
      deltas++;
      const since = request.sinceVersion as number;
      const adds = fingerprintsIn(1000 + deltas, PAGE);
      const changes = packChanges(Array.from({ length: PAGE }, (_, i) => ({ op: CHANGE_OP.add, fingerprint: adds.subarray(i * 8, i * 8 + 8) })));
      return { status: 200, body: { category: 'missing_child', head: resign(xa, answer.head as DsseEnvelope, far), fromVersion: since, toVersion: since + PAGE, changes: toBase64Url(changes) } };
    });
    // Timers that fire while the sync runs: the event loop was free between its rounds.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    let status;
    try {
      status = (await index.sync(peerA.id)).missing_child;
    } finally {
      clearInterval(timer);
    }
    // Unmerged changes may pass the head's count by INDEX.maxUnmergedBeyondCount, not more: at the fifth delta
    // the replica goes stale, and the full transfer that follows cannot fetch a version XA never had.
    const bound = Math.floor((count + INDEX.maxUnmergedBeyondCount) / PAGE) + 1;
    expect(deltas).toBe(bound);
    expect(status).toBe('error');
    expect(rowsOf(xb, 'replica_changes')).toBe(0);
    expect(ticks).toBeGreaterThanOrEqual(bound - 1);
  });

  it('transfers anew a catch-up that the owner compacted past, instead of staying syncing', async () => {
    net = network();
    const { xa, xb, clock } = await net.twoNodes(ALLOW);
    await xa.put([person('A-1', 'missing_child', 1)]);
    const peerA = await net.peerOf(xb, xa);
    await xb.index.sync(peerA.id);
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;
    // A catch-up paused between two deltas (as a Worker's budget pauses it).
    await xa.put([person('A-2', 'missing_child', 2), person('A-3', 'missing_child', 3)]);
    const partial = await xa.index.changesSince('missing_child', v0, 5);
    if ('resync' in partial) throw new Error('unexpected resync');
    expect(await xb.index.replicas.applyDelta(peerA, partial)).toBe('syncing');
    // Meanwhile the owner compacts its change log past the version the catch-up stands at.
    for (let i = 4; i < 6; i++) {
      clock.advanceDays(40);
      await xa.put([person(`A-${i}`, 'missing_child', i)]);
      await xa.index.owner.head('missing_child');
      await xa.index.owner.compact('missing_child');
    }
    expect('resync' in (await xa.index.changesSince('missing_child', partial.toVersion))).toBe(true);
    // An answer's resync leaves the replica to its sync; the sync, asking from the replica's own version, transfers it anew.
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
    const { head } = await xa.index.owner.head('missing_child');
    expect((await xb.index.states(peerA.id))[0]).toMatchObject({ status: 'ready', version: head.version, count: head.count });
  });
});
