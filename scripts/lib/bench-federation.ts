/**
 * A benchmark federation on loopback: one searching node and N answering
 * peers, each a real `cairn serve` child process with its own home and
 * SQLite file, set up through the CLI as an operator would. Each peer's index
 * holds `recordsPerPeer` records: a few hundred imported with `cairn import`
 * (so searches can hit and be confirmed) and the rest filled directly
 * (bench-fill.ts). The filled database is built once and copied to every
 * peer before its node first opens it (it holds no node identity: only the
 * migrated schema, records and tokens).
 *
 * Persons to search for: `hitPersons` are records imported at the last peer;
 * `noHitPersons` are synthetic people born in the 1990s, outside the
 * generator's 2005–2023, with documents, phones and e-mails of an index range
 * no real record uses. That is not left to arithmetic: every key the real
 * derivation gives a no-hit person is checked against every key of every
 * real record the federation imports (and the records a caller imports
 * later, `laterRecords`), and a person sharing one is replaced, so a no-hit
 * search that hits is a fault of the search path, not of the data.
 */
import { spawn } from 'node:child_process';
import BetterSqlite3 from 'better-sqlite3';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeServices, openNodeContext } from '../../src/node/context.js';
import { toHex } from '../../src/core/bytes.js';
import { deriveMatchKeys, deriveQueryKeys, parseIdentifiers } from '../../src/core/identity/index.js';
import { addUser, api, BIN, cli, fingerprintOfNode, ROOT } from './federation.js';
import { fillIndex, sampleKeyMix, type FillResult } from './bench-fill.js';
import { track } from './bench-proc.js';
import { prng, syntheticRecord } from './synthetic-records.js';

/** Every category: the purpose the benchmark searches for may match them all (the largest answers). */
export const ALL_CATEGORIES = ['convicted_offender', 'suspect', 'identified_victim', 'missing_child', 'unaccompanied_minor', 'child_at_risk'] as const;
export const BENCH_PURPOSE = 'missing_child_tracing';

export interface BenchNode {
  readonly country: string;
  readonly home: string;
  readonly port: number;
  readonly url: string;
  pid: number;
  stop(): Promise<void>;
}

export interface BenchFederation {
  readonly searcher: BenchNode;
  readonly peers: readonly BenchNode[];
  /** The searcher's analyst token. */
  readonly analyst: string;
  /** The searcher's operator token. */
  readonly operator: string;
  readonly hitPersons: readonly unknown[];
  readonly noHitPersons: readonly unknown[];
  /** How the no-hit persons were checked against the real records' match keys. */
  readonly noHitCheck: NoHitCheck;
  readonly fill: FillResult | undefined;
  readonly recordsPerPeer: number;
  /**
   * Seconds the index code took (when `warmHeads`): `template` to compute the hashes of the
   * filled fingerprints once, then each peer (by country) to bring them up to date with its
   * real records and sign its heads.
   */
  readonly headSeconds: Readonly<Record<string, number>>;
  /** Restart every node with extra environment (e.g. another audit configuration). */
  restart(env: NodeJS.ProcessEnv): Promise<void>;
  stop(): Promise<void>;
}

export interface BenchFederationOptions {
  readonly root: string;
  readonly basePort: number;
  readonly peers: readonly string[];
  readonly recordsPerPeer: number;
  /** Records imported with `cairn import` at each peer (default 200). */
  readonly realPerPeer?: number;
  /** Environment of every node. */
  readonly env?: NodeJS.ProcessEnv;
  /** Node flags of every node, e.g. --cpu-prof (which NODE_OPTIONS does not allow). */
  readonly nodeArgs?: readonly string[];
  /**
   * Records imported at the first peer instead of `realPerPeer` (more, for a delta of that many
   * changed records); it then holds the difference more than `recordsPerPeer`.
   */
  readonly realAtFirstPeer?: number;
  /** Import the real records at the last peer only (a large federation), not at every peer. */
  readonly realAtLastOnly?: boolean;
  /**
   * Before the nodes start, have the index code (IndexOwner, owner.ts)
   * compute the hashes of the filled fingerprints once on the template, and
   * each peer's own code bring them up to date and sign its heads, as it
   * would when first asked, so a timed sync or search does not pay that
   * one-off cost.
   */
  readonly warmHeads?: boolean;
  /** Once up, have the searcher node replicate every peer's indexes, and wait until all are ready (replicas in sync). */
  readonly syncReplicas?: boolean;
  /**
   * The peers know the searcher and let it search, but the searcher does not know them yet:
   * the caller adds them (addPeerInNode), e.g. to time each initial sync from the `peers add`.
   */
  readonly searcherAddsPeersLater?: boolean;
  /**
   * Records the caller imports at a peer later (e.g. a delta's changed records): the no-hit
   * persons share no match key with these either.
   */
  readonly laterRecords?: readonly Record<string, unknown>[];
  readonly log: (msg: string) => void;
}

const POLL_MS = 100;

/** Records imported at a peer with `cairn import`; `seed` varies their content, the references stay `<country>-REAL-<i>`. */
export function realRecords(n: number, offset: number, country: string, seed: number): Record<string, unknown>[] {
  const rnd = prng(seed);
  // Offset the index: documents, phones and e-mails derive from it, and must differ between peers.
  return Array.from({ length: n }, (_, i) => ({ ...syntheticRecord(offset + i, rnd, { prefix: country }), ref: `${country}-REAL-${i}` }));
}

/**
 * First generator index of the no-hit persons: above every index real records
 * use (peer k's start at (k + 1)·10^6, a delta's at half a million more, k < 40).
 */
const NO_HIT_INDEX = 90_000_000;
/** Candidates tried per no-hit person wanted before giving up (a generator that cannot avoid the real keys). */
const NO_HIT_TRIES = 20;

/** What the no-hit persons were checked against. */
export interface NoHitCheck {
  readonly persons: number;
  /** Real records whose keys were derived: every record imported anywhere, and the later ones. */
  readonly realRecords: number;
  /** Of those, records the caller imports later (a delta's changed records). */
  readonly laterRecords: number;
  /** Distinct match keys of those records (every type, as the real derivation gives them). */
  readonly realKeys: number;
  /** Candidates replaced because one of their keys was among them. */
  readonly replaced: number;
}

/** The no-hit check in a sentence, for a benchmark's report. */
export function describeNoHitCheck(c: NoHitCheck): string {
  return (
    `No-hit persons: ${c.persons.toLocaleString('en-US')} synthetic people, each checked against the ${c.realKeys.toLocaleString('en-US')} match keys (every type, from the real derivation in src/core/identity) ` +
    `of the ${c.realRecords.toLocaleString('en-US')} real records imported in that federation${c.laterRecords ? ` (${c.laterRecords.toLocaleString('en-US')} of them the delta's changed records)` : ''}; ` +
    `${c.replaced} candidates that shared a key were replaced. ` +
    'None shares a key with a real record, so an unexpected hit on a no-hit search is a fault of the search path, not of the data.'
  );
}

/** The match keys a record of these identifiers stores, hex-encoded, as a node derives them (parse, then derive). */
function storedKeysOf(identifiers: unknown): string[] {
  return deriveMatchKeys(parseIdentifiers(identifiers)).map((k) => toHex(k.encoded));
}

/** The match keys a search for these identifiers asks, hex-encoded. */
function queryKeysOf(identifiers: unknown): string[] {
  return deriveQueryKeys(parseIdentifiers(identifiers)).map((k) => toHex(k.encoded));
}

/**
 * `n` persons that share no match key with any of `real`: synthetic people
 * born in the 1990s with identifiers from an index range of their own, each
 * checked against the real records' derived keys and replaced by the next
 * candidate on any overlap.
 */
export function noHitPersons(n: number, real: readonly Record<string, unknown>[], later: readonly Record<string, unknown>[] = []): { persons: unknown[]; check: NoHitCheck } {
  const taken = new Set<string>();
  for (const r of [...real, ...later]) for (const k of storedKeysOf(r.identifiers)) taken.add(k);
  const rnd = prng(991);
  const persons: unknown[] = [];
  let replaced = 0;
  for (let c = 0; persons.length < n; c++) {
    if (c >= NO_HIT_TRIES * n) throw new Error(`no-hit persons: ${c} candidates, ${replaced} shared a match key with a real record; the generator cannot avoid them`);
    const ids = (syntheticRecord(NO_HIT_INDEX + c, rnd) as { identifiers: Record<string, unknown> }).identifiers;
    const person = { ...ids, dateOfBirth: { precision: 'day', date: `199${c % 10}-0${1 + (c % 9)}-1${c % 10}` } };
    if (queryKeysOf(person).some((k) => taken.has(k))) {
      replaced++;
      continue;
    }
    persons.push(person);
  }
  return { persons, check: { persons: n, realRecords: real.length + later.length, laterRecords: later.length, realKeys: taken.size, replaced } };
}

/**
 * `cairn serve` as a tracked child, ready when /healthz answers. Like
 * federation.ts `serve`, plus node flags (a profiler must be a flag).
 */
async function startNode(home: string, port: number, country: string, env: NodeJS.ProcessEnv, nodeArgs: readonly string[]): Promise<BenchNode> {
  const child = track(
    spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--home', home, '--port', String(port)], {
      cwd: ROOT,
      env: { ...process.env, CAIRN_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8192)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node ${country} on port ${port} exited: ${log}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // starting
    }
    if (Date.now() > deadline) throw new Error(`node ${country} on port ${port} did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { country, home, port, url, pid: child.pid!, stop };
}

/** Compute and sign the current head of every category through the node's own index service; returns the seconds taken. */
async function warmHeads(home: string): Promise<number> {
  const ctx = await openNodeContext(home);
  try {
    const services = await nodeServices(ctx);
    const t0 = performance.now();
    for (const c of ALL_CATEGORIES) await services.index.owner.head(c);
    return (performance.now() - t0) / 1000;
  } finally {
    await ctx.close();
  }
}

/**
 * Take the template's signatures out of its database before it is copied:
 * its signed heads and the audit entries that recorded them (appended, never
 * integrated or checkpointed: the template never served). The hashes stay;
 * each peer signs its own heads over them.
 */
function unsignTemplate(dbFile: string): void {
  const db = new BetterSqlite3(dbFile);
  try {
    const checkpointed = db.prepare('select count(*) as n from audit_checkpoints').get() as { n: number };
    if (checkpointed.n > 0) throw new Error('the template database has audit checkpoints; it must never have served');
    db.exec(`delete from index_heads; delete from audit_entries where type = 'index.head'; delete from audit_tree;`);
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/**
 * Take the template's own keys out of its database before it is copied: its
 * OPRF epoch and signing-key history name the template's keys, and each peer
 * records its own when it first opens the copy.
 */
function forgetTemplateKeys(dbFile: string): void {
  const db = new BetterSqlite3(dbFile);
  try {
    db.exec('delete from oprf_epochs; delete from signing_keys;');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}

/** The searcher's replica states, through its operator API. */
async function replicaStates(node: BenchNode, operator: string): Promise<{ peer: string; category: string; status: string; count: number }[]> {
  const r = await api(node, operator, 'GET', '/v1/peers/replicas');
  if (r.status !== 200) throw new Error(`GET /v1/peers/replicas answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json.replicas;
}

/** Peer id (node id) of a country, as the searcher knows it. */
async function peerIds(node: BenchNode, operator: string): Promise<Map<string, { id: string; policy: unknown }>> {
  const r = await api(node, operator, 'GET', '/v1/peers');
  if (r.status !== 200) throw new Error(`GET /v1/peers answered ${r.status}`);
  return new Map((r.json.peers as { id: string; country: string; policy: unknown }[]).map((p) => [p.country, { id: p.id, policy: p.policy }]));
}

/**
 * Have the searcher node sync the replicas of `countries` in the background
 * (a policy update with the same policy schedules it, as after `peers add`)
 * and wait until every category of each is ready. Returns seconds to ready.
 */
export async function syncReplicasInNode(node: BenchNode, operator: string, countries: readonly string[], timeoutMs: number): Promise<{ seconds: number; tokens: number }> {
  const ids = await peerIds(node, operator);
  const t0 = performance.now();
  for (const c of countries) {
    const p = ids.get(c)!;
    const r = await api(node, operator, 'PUT', `/v1/peers/${p.id}/policy`, p.policy);
    if (r.status !== 200) throw new Error(`PUT policy of ${c} answered ${r.status}: ${JSON.stringify(r.json)}`);
  }
  const tokens = await waitForReplicas(node, operator, countries.map((c) => ids.get(c)!.id), t0, timeoutMs);
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

/**
 * Add a peer to the searcher node through its operator API, as an operator
 * would (POST /v1/peers starts the full sync in the background), and wait
 * until every category's replica is ready: the initial sync, timed from the
 * request.
 */
export async function addPeerInNode(node: BenchNode, operator: string, peer: BenchNode, timeoutMs: number): Promise<{ seconds: number; tokens: number }> {
  const fingerprint = await fingerprintOfNode(peer.url);
  const t0 = performance.now();
  const r = await api(node, operator, 'POST', '/v1/peers', { url: peer.url, fingerprint });
  if (r.status !== 201) throw new Error(`POST /v1/peers for ${peer.country} answered ${r.status}: ${JSON.stringify(r.json)}`);
  const tokens = await waitForReplicas(node, operator, [r.json.peer.id as string], t0, timeoutMs);
  return { seconds: (performance.now() - t0) / 1000, tokens };
}

/** Poll the node until every category's replica of these peers is ready; returns their tokens. */
async function waitForReplicas(node: BenchNode, operator: string, peers: readonly string[], t0: number, timeoutMs: number): Promise<number> {
  const wanted = new Set(peers);
  for (;;) {
    const states = (await replicaStates(node, operator)).filter((s) => wanted.has(s.peer));
    const ready = states.filter((s) => s.status === 'ready');
    if (ready.length === wanted.size * ALL_CATEGORIES.length) return ready.reduce((a, s) => a + s.count, 0);
    const failed = states.find((s) => s.status === 'error');
    if (failed) throw new Error(`replica of ${failed.peer} ${failed.category} failed: ${JSON.stringify(failed)}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`replicas not ready after ${timeoutMs / 1000} s: ${JSON.stringify(states.filter((s) => s.status !== 'ready').slice(0, 3))}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Build and start the federation. Stop it with `stop()` (the exit handler kills it anyway). */
export async function setupBenchFederation(o: BenchFederationOptions): Promise<BenchFederation> {
  const realN = Math.min(o.realPerPeer ?? 200, o.recordsPerPeer);
  const searcherSpec = { country: 'SE', port: o.basePort, home: join(o.root, 'SE') };
  const peerSpecs = o.peers.map((country, i) => ({ country, port: o.basePort + 1 + i, home: join(o.root, country) }));
  for (const s of [searcherSpec, ...peerSpecs]) {
    cli(['init', '--home', s.home, '--country', s.country, '--name', `bench ${s.country}`, '--url', `http://127.0.0.1:${s.port}`, '--port', String(s.port)]);
  }

  // One filled database, copied to every peer before its node opens it.
  let fill: FillResult | undefined;
  const headSeconds: Record<string, number> = {};
  const fillN = o.recordsPerPeer - realN;
  if (fillN > 0) {
    const templateHome = join(o.root, 'template');
    cli(['init', '--home', templateHome, '--country', 'XX', '--name', 'template', '--url', 'http://127.0.0.1:9']);
    const ctx = await openNodeContext(templateHome); // init made the database; one open does what a first start does
    await ctx.close();
    o.log(`filling ${fillN.toLocaleString('en-US')} records directly (key types as derived, random confirmation bytes)`);
    fill = fillIndex(join(templateHome, 'cairn.db'), {
      records: fillN,
      keyMix: sampleKeyMix(2000),
      onProgress: (d) => d % 200_000 === 0 && o.log(`  filled ${d.toLocaleString('en-US')}`),
    });
    o.log(`filled ${fill.records.toLocaleString('en-US')} records, ${fill.tokens.toLocaleString('en-US')} tokens in ${fill.seconds.toFixed(0)} s`);
    if (o.warmHeads) {
      // The shard, group and root hashes depend on the fingerprints only, not on the node: the
      // template's own index code computes them once; each peer then only signs its heads (below).
      headSeconds.template = await warmHeads(templateHome);
      unsignTemplate(join(templateHome, 'cairn.db'));
      o.log(`index hashes computed by the index code on the template in ${headSeconds.template.toFixed(0)} s`);
    }
    forgetTemplateKeys(join(templateHome, 'cairn.db'));
    for (const p of peerSpecs) copyFileSync(join(templateHome, 'cairn.db'), join(p.home, 'cairn.db'));
  }
  let hitPersons: unknown[] = [];
  const imported: Record<string, unknown>[] = [];
  for (const [i, p] of peerSpecs.entries()) {
    if (o.realAtLastOnly && i !== peerSpecs.length - 1) continue;
    const n = i === 0 && o.realAtFirstPeer !== undefined ? o.realAtFirstPeer : realN;
    const records = realRecords(n, (i + 1) * 1_000_000, p.country, 100 + i);
    const file = join(o.root, `${p.country}-real.ndjson`);
    writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    cli(['import', file, '--home', p.home, '--out', o.root], { CAIRN_LOG_LEVEL: 'warn' });
    imported.push(...records);
    if (i === peerSpecs.length - 1) hitPersons = records.map((r) => r.identifiers);
  }
  o.log(`imported ${realN} real records at ${o.realAtLastOnly ? 'the last peer' : 'each peer'}${o.realAtFirstPeer !== undefined ? ` (${o.realAtFirstPeer} at the first)` : ''} with cairn import`);
  if (o.warmHeads) {
    for (const p of peerSpecs) headSeconds[p.country] = await warmHeads(p.home);
    o.log(`index heads brought up to date and signed by each peer's own code: ${peerSpecs.map((p) => `${p.country} ${headSeconds[p.country]!.toFixed(1)} s`).join(', ')}`);
  }
  const noHit = noHitPersons(Math.max(50, realN), imported, o.laterRecords);
  o.log(
    `${noHit.check.persons} no-hit persons share no match key with the ${noHit.check.realRecords} real records (${noHit.check.realKeys} keys)` +
      (noHit.check.replaced ? `; ${noHit.check.replaced} candidates that did were replaced` : ''),
  );
  const analyst = addUser(searcherSpec.home, 'analyst', 'bench analyst');
  const operator = addUser(searcherSpec.home, 'operator', 'bench operator');

  let env = { ...o.env };
  const startAll = async () => ({
    searcher: await startNode(searcherSpec.home, searcherSpec.port, searcherSpec.country, env, o.nodeArgs ?? []),
    peers: await Promise.all(peerSpecs.map((p) => startNode(p.home, p.port, p.country, env, o.nodeArgs ?? []))),
  });
  let nodes = await startAll();
  const allow = ['--allow', `${BENCH_PURPOSE}=${ALL_CATEGORIES.join(',')}`];
  // Fingerprints first: a fetch between the synchronous CLI calls below may pick a pooled
  // keep-alive socket the server closed meanwhile ("other side closed").
  const searcherFingerprint = await fingerprintOfNode(nodes.searcher.url);
  const peerFingerprints = await Promise.all(nodes.peers.map((p) => fingerprintOfNode(p.url)));
  for (const [i, p] of nodes.peers.entries()) {
    // No sync yet: the peer lets us fetch nothing until its policy below; the searcher syncs on its own schedule (or the benchmark's).
    if (!o.searcherAddsPeersLater) cli(['peers', 'add', p.url, '--home', searcherSpec.home, '--fingerprint', peerFingerprints[i]!, '--no-sync']);
    cli(['peers', 'add', nodes.searcher.url, '--home', p.home, '--fingerprint', searcherFingerprint, '--no-sync']);
    // Rate and budget high enough that the benchmark measures capacity, not policy.
    cli(['peers', 'policy', searcherSpec.country, '--home', p.home, ...allow, '--rate', '100000', '--budget', '100000000']);
  }
  // Let the event loop see the sockets the servers closed during the synchronous CLI calls.
  await new Promise((r) => setTimeout(r, 100));
  o.log(`federation up: searcher ${nodes.searcher.url}, peers ${nodes.peers.map((p) => `${p.country} ${p.url}`).join(', ')}`);
  if (o.syncReplicas) {
    const { seconds, tokens } = await syncReplicasInNode(nodes.searcher, operator, peerSpecs.map((p) => p.country), 60 * 60_000);
    o.log(`the searcher's replicas of every peer are ready: ${tokens.toLocaleString('en-US')} tokens in ${seconds.toFixed(0)} s`);
  }

  const stopAll = async () => {
    await Promise.all([nodes.searcher, ...nodes.peers].map((n) => n.stop()));
  };
  const fed: BenchFederation = {
    get searcher() {
      return nodes.searcher;
    },
    get peers() {
      return nodes.peers;
    },
    analyst,
    operator,
    hitPersons,
    noHitPersons: noHit.persons,
    noHitCheck: noHit.check,
    fill,
    recordsPerPeer: o.recordsPerPeer,
    headSeconds,
    async restart(extra) {
      await stopAll();
      env = { ...env, ...extra };
      nodes = await startAll();
    },
    stop: stopAll,
  };
  return fed;
}
