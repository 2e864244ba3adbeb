/**
 * Load on one answering node: signed blind match requests, as the searching
 * node would send them (POST /federation/v2/match with its real Ed25519 key,
 * a fresh nonce and timestamp each), from `concurrency` workers for a fixed
 * time. The blinded elements are computed once per person before the clock
 * starts, so the generator spends its CPU on signing and HTTP, not on the
 * searcher's OPRF work: what is measured is the answering node's capacity.
 * The first answer is verified in full (response signature, schema,
 * element count); the rest by status code.
 */
import { Agent, request as httpRequest } from 'node:http';
import { matchResponseSchema, type MatchRequest } from '../../schemas/federation.js';
import { toBase64Url, utf8 } from '../../src/core/bytes.js';
import { FEDERATION } from '../../src/core/constants.js';
import { z } from 'zod';
import { consistencyAnswerSchema, openPeerCheckpoint } from '../../src/core/federation/witness.js';
import { paddedSize, postSigned, type ClientDeps } from '../../src/core/federation/client.js';
import { signedFetchInit, verifyResponse } from '../../src/core/federation/http-signature.js';
import { findPeer, type Peer } from '../../src/core/federation/peers.js';
import { deriveQueryKeys, parseIdentifiers } from '../../src/core/identity/index.js';
import { blind } from '../../src/core/oprf/index.js';
import { silentLogger, systemClock, webRandom } from '../../src/core/ports.js';
import { ReplicaStore } from '../../src/core/federation/index/replica.js';
import type { Signer } from '../../src/core/signing.js';
import { openNodeContext } from '../../src/node/context.js';
import { cpuSecondsOf } from './bench-machine.js';
import { BENCH_PURPOSE } from './bench-federation.js';

export interface MatchLoad {
  readonly peer: Peer;
  readonly signer: Signer;
  /** The searcher's replica versions of the peer's indexes when the load was prepared. */
  readonly replicaVersions: MatchRequest['replicaVersions'];
  /** One prepared, padded list of blinded elements per person. */
  readonly elements: readonly MatchRequest['blindedElements'][];
}

/** Read the searcher's signing key and its record of `peerCountry`, and blind every person's match keys once. */
export async function prepareMatchLoad(searcherHome: string, peerCountry: string, persons: readonly unknown[]): Promise<MatchLoad> {
  const ctx = await openNodeContext(searcherHome);
  try {
    const peer = await findPeer(ctx.db, peerCountry);
    const elements = persons.map((ids) => {
      const inputs = deriveQueryKeys(parseIdentifiers(ids))
        .filter((k) => peer.matchKeyTypes.includes(k.type))
        .map((k) => k.encoded);
      // Padded like the searcher's client: dummies are blinds of random inputs.
      for (let i = inputs.length, n = paddedSize(inputs.length); i < n; i++) inputs.push(webRandom.bytes(32));
      return inputs.map((x) => toBase64Url(blind(x).blindedElement));
    });
    const replicaVersions = await new ReplicaStore({ db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, logger: silentLogger }).replicaVersions(peer.id);
    return { peer, signer: ctx.keys.signer, replicaVersions, elements };
  } finally {
    await ctx.close();
  }
}

export interface LoadResult {
  readonly answered: number;
  readonly failed: number;
  readonly seconds: number;
  readonly answersPerSecond: number;
  /** CPU seconds the answering node used during the window. */
  readonly nodeCpuSeconds: number | undefined;
  /** CPU seconds this generator used during the window. */
  readonly generatorCpuSeconds: number;
  /** Elements per request, averaged. */
  readonly elementsPerRequest: number;
  readonly firstFailure: string | undefined;
}

let serial = 0;

/** Kept-alive sockets to the node under load: one per loop, reused. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/**
 * POST with node:http rather than fetch: the generator shares the two cores
 * with the node it measures, and undici's fetch cost it about as much CPU
 * per request as the node's own HTTP handling. The first request of a run
 * still goes through fetch and is verified in full.
 */
function postRaw(url: URL, init: RequestInit): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(init.headers as Headers);
    const body = init.body as Uint8Array;
    const req = httpRequest(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function sendOne(load: MatchLoad, i: number, verify: boolean): Promise<void> {
  const elements = load.elements[i % load.elements.length]!;
  const body: MatchRequest = {
    searchId: `s_load${process.pid}x${serial++}`,
    purpose: BENCH_PURPOSE,
    legalBasis: 'benchmark: load test of the answering node',
    caseReference: `BENCH-${i}`,
    // As a searcher in sync would send them: nothing has changed since, so the deltas are empty.
    replicaVersions: load.replicaVersions,
    blindedElements: elements,
  };
  const bytes = utf8(JSON.stringify(body));
  const { url, init, binding } = signedFetchInit({
    method: 'POST',
    url: new URL(`${FEDERATION.prefix}/match`, load.peer.baseUrl),
    body: bytes,
    signer: load.signer,
    recipientKeyId: load.peer.signingKeyId,
    clock: systemClock,
    random: webRandom,
    headers: { 'content-type': FEDERATION.mediaType, accept: FEDERATION.mediaType },
  });
  if (!verify) {
    const res = await postRaw(url, init);
    if (res.status !== 200) throw new Error(`match answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    return;
  }
  // fetch(url, init) with the body as bytes, as the node's own client sends it (postSigned).
  const res = await fetch(url, init);
  const raw = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`match answered ${res.status}: ${new TextDecoder().decode(raw).slice(0, 300)}`);
  verifyResponse(res, raw, { peerPublicKey: load.peer.signingPublicKey, request: binding, clock: systemClock });
  const answer = matchResponseSchema.parse(JSON.parse(new TextDecoder().decode(raw)));
  if (answer.evaluatedElements.length !== elements.length) throw new Error('answer has the wrong number of evaluated elements');
}

/**
 * Send match requests to the peer from `concurrency` loops for `seconds`
 * (after `warmupSeconds` not counted); `nodePid` is the answering node's
 * process, whose CPU time is read from /proc.
 */
export async function driveMatches(load: MatchLoad, o: { concurrency: number; seconds: number; warmupSeconds?: number; nodePid: number }): Promise<LoadResult> {
  await sendOne(load, 0, true);
  let answered = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let counting = false;
  let stop = false;
  let next = 1;
  const loop = async () => {
    while (!stop) {
      const i = next++;
      try {
        await sendOne(load, i, false);
        if (counting) answered++;
      } catch (e) {
        if (counting) failed++;
        firstFailure ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  const loops = Array.from({ length: o.concurrency }, loop);
  await new Promise((r) => setTimeout(r, (o.warmupSeconds ?? 2) * 1000));
  const cpu0 = cpuSecondsOf(o.nodePid);
  const gen0 = process.cpuUsage();
  const t0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, o.seconds * 1000));
  counting = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuSecondsOf(o.nodePid);
  const gen = process.cpuUsage(gen0);
  stop = true;
  await Promise.all(loops);
  agent.destroy();
  const elementsPerRequest = load.elements.reduce((a, e) => a + e.length, 0) / load.elements.length;
  return {
    answered,
    failed,
    seconds,
    answersPerSecond: answered / seconds,
    nodeCpuSeconds: cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    generatorCpuSeconds: (gen.user + gen.system) / 1e6,
    elementsPerRequest,
    firstFailure,
  };
}

/**
 * Milliseconds of the witnessing round trip a new checkpoint costs the
 * searcher: a signed POST /federation/v1/audit/consistency to the peer
 * (which builds the proof), its signed answer verified, averaged over `reps`.
 */
export async function timeConsistencyFetch(load: MatchLoad, reps = 30): Promise<number> {
  const deps: ClientDeps = { signer: load.signer, clock: systemClock, random: webRandom, fetch, timeoutMs: 10_000, maxResponseBytes: 1 << 20 };
  const { checkpoint } = await postSigned(deps, load.peer, '/federation/v1/audit/checkpoint', {}, z.object({ checkpoint: z.string() }).strict());
  const { size } = openPeerCheckpoint(load.peer, checkpoint);
  const body = { from: Math.max(1, size - 10), to: size };
  await postSigned(deps, load.peer, '/federation/v1/audit/consistency', body, consistencyAnswerSchema);
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await postSigned(deps, load.peer, '/federation/v1/audit/consistency', body, consistencyAnswerSchema);
  return (performance.now() - t0) / reps;
}
