/**
 * The analyst search across the federation (issue 5), on loopback:
 *   latency:    POST /v1/searches on a searching node with a real analyst
 *               token, one person (all of its match keys) against 3 peers
 *               that each hold `records` records (default 1,000,000);
 *               sequential, hit and no-hit searches interleaved
 *   throughput: signed blind match requests from the searching node's key to
 *               one answering peer from `concurrency` loops for `seconds`
 *               (bench-load.ts): answers per second, and the answering
 *               node's CPU time per answer
 *   baseline:   in-process on that peer's database (bench-floor.ts): the
 *               HMAC-keyed lookup floor of a filter-based system for the same
 *               keys, and the answer's parts (OPRF evaluation, bucket queries)
 * Every node is a `cairn serve` child process with its own home and SQLite
 * file; the peers' indexes are filled directly (bench-fill.ts) apart from
 * a few hundred records imported with `cairn import` that the hit searches
 * find. The search path is the real one end to end.
 *
 * Usage: npm run bench:search [-- --records 1000000] [--real 200] [--searches 150]
 *          [--concurrency 8] [--seconds 20] [--port 18700] [--keep] [--profile DIR] [--json]
 * --profile DIR writes a V8 CPU profile of each node (named by pid) when it stops.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { api } from './lib/federation.js';
import { cpuSecondsOf, formatMachine, sampleMachine, type BenchMachine } from './lib/bench-machine.js';
import { removeOnExit } from './lib/bench-proc.js';
import { fmt, formatTargets, parseFlags, stepLogger, summarize, type LatencySummary, type TargetCheck } from './lib/bench-report.js';
import { BENCH_PURPOSE, describeNoHitCheck, setupBenchFederation, type BenchFederation, type NoHitCheck } from './lib/bench-federation.js';
import { driveMatches, prepareMatchLoad, type LoadResult } from './lib/bench-load.js';
import { measureAnswerParts, type AnswerParts } from './lib/bench-floor.js';

/** Issue 5's targets on the 2-core machine. */
export const SEARCH_TARGET = { recordsPerPeer: 1_000_000, peers: 3, p50Ms: 50, p99Ms: 200, answersPerSecond: 200 } as const;

export interface SearchLatency {
  readonly kind: 'hit' | 'no-hit';
  readonly ms: LatencySummary;
  /** The slowest peer's own time as the searcher recorded it (query + confirmation), per search. */
  readonly slowestPeerMs: LatencySummary;
  /** Searches whose outcome was not the expected one (a peer error or timeout, a missing hit). */
  readonly unexpected: number;
  readonly firstUnexpected: string | undefined;
}

/** CPU time per search of each node during the sequential latency series (from /proc). */
export interface SearchCpu {
  readonly country: string;
  readonly role: 'searcher' | 'peer';
  readonly msPerSearch: number;
}

export interface SearchBenchResult {
  readonly machine: BenchMachine;
  readonly cpuPerSearch: readonly SearchCpu[];
  readonly recordsPerPeer: number;
  readonly filledTokensPerPeer: number;
  readonly peers: number;
  readonly latency: readonly SearchLatency[];
  readonly noHitCheck: NoHitCheck;
  readonly throughput: LoadResult & { readonly concurrency: number; readonly nodeCpuMsPerAnswer: number | undefined };
  readonly parts: AnswerParts;
  readonly targets: readonly TargetCheck[];
  readonly command: string;
}

export interface SearchBenchOptions {
  readonly records?: number;
  readonly real?: number;
  /** Sequential searches of each kind (default 150). */
  readonly searches?: number;
  readonly concurrency?: number;
  readonly seconds?: number;
  readonly port?: number;
  readonly keep?: boolean;
  /** Write a V8 CPU profile of every node into this folder (--cpu-prof, on exit). */
  readonly profileDir?: string;
}

const LEGAL_BASIS = 'Benchmark of the search path on synthetic data';

/** One analyst search; returns its wall time and whether the outcome was the expected one. */
export async function timeSearch(fed: BenchFederation, identifiers: unknown, kind: 'hit' | 'no-hit', i: number): Promise<{ ms: number; slowestPeerMs: number; problem?: string }> {
  const t0 = performance.now();
  const r = await api(fed.searcher, fed.analyst, 'POST', '/v1/searches', { identifiers, purpose: BENCH_PURPOSE, legalBasis: LEGAL_BASIS, caseReference: `BENCH-${kind}-${i}` });
  const ms = performance.now() - t0;
  if (r.status !== 201) return { ms, slowestPeerMs: NaN, problem: `search answered ${r.status}: ${JSON.stringify(r.json).slice(0, 300)}` };
  const results = r.json.results as { peer: { country: string }; status: string; confirmation?: string; error?: { code: string }; ms?: number }[];
  const slowestPeerMs = Math.max(...results.map((x) => x.ms ?? NaN));
  const failed = results.find((x) => x.status === 'error' || x.status === 'timeout' || x.confirmation === 'failed');
  if (failed) return { ms, slowestPeerMs, problem: `${failed.peer.country}: ${failed.status} ${failed.error?.code ?? ''}` };
  const target = fed.peers[fed.peers.length - 1]!.country;
  if (kind === 'hit' && results.find((x) => x.peer.country === target)?.status !== 'hit') return { ms, slowestPeerMs, problem: `no hit at ${target}` };
  if (kind === 'no-hit' && results.some((x) => x.status !== 'no_hit')) return { ms, slowestPeerMs, problem: `unexpected ${results.map((x) => `${x.peer.country}:${x.status}`).join(' ')}` };
  return { ms, slowestPeerMs };
}

/** `n` sequential searches of each kind, interleaved, after a few not counted. */
export async function measureLatency(fed: BenchFederation, n: number, warmup = 6): Promise<SearchLatency[]> {
  const series = { hit: { ms: [] as number[], peer: [] as number[], bad: 0, first: undefined as string | undefined }, 'no-hit': { ms: [] as number[], peer: [] as number[], bad: 0, first: undefined as string | undefined } };
  for (let i = 0; i < 2 * n + warmup; i++) {
    const kind = i % 2 === 0 ? 'hit' : 'no-hit';
    const persons = kind === 'hit' ? fed.hitPersons : fed.noHitPersons;
    const r = await timeSearch(fed, persons[Math.floor(i / 2) % persons.length], kind, i);
    if (i < warmup) continue;
    const s = series[kind];
    s.ms.push(r.ms);
    if (Number.isFinite(r.slowestPeerMs)) s.peer.push(r.slowestPeerMs);
    if (r.problem) {
      s.bad++;
      s.first ??= r.problem;
    }
  }
  return (['no-hit', 'hit'] as const).map((kind) => ({
    kind,
    ms: summarize(series[kind].ms),
    slowestPeerMs: summarize(series[kind].peer),
    unexpected: series[kind].bad,
    firstUnexpected: series[kind].first,
  }));
}

/** Run the benchmark and return the figures. */
export async function runSearchBenchmark(options: SearchBenchOptions = {}): Promise<SearchBenchResult> {
  const records = options.records ?? SEARCH_TARGET.recordsPerPeer;
  const searches = options.searches ?? 150;
  const concurrency = options.concurrency ?? 8;
  const seconds = options.seconds ?? 20;
  const log = stepLogger('bench:search');
  const root = mkdtempSync(join(tmpdir(), 'cairn-bench-search-'));
  removeOnExit(root, options.keep);
  log(`work folder ${root}${options.keep ? ' (kept)' : ''}`);
  const fed = await setupBenchFederation({
    root,
    basePort: options.port ?? 18700,
    peers: ['DE', 'FR', 'PL'],
    recordsPerPeer: records,
    ...(options.real !== undefined ? { realPerPeer: options.real } : {}),
    // cairn/2: searches run against the searcher's replicas, so they are built (and the peers' heads signed) first.
    warmHeads: true,
    syncReplicas: true,
    ...(options.profileDir !== undefined ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] } : {}),
    log,
  });
  try {
    log('warm-up: 6 searches');
    await measureLatency(fed, 3, 0);
    const machine = await sampleMachine();
    log(formatMachine(machine));
    log(`latency: ${searches} hit and ${searches} no-hit searches, sequential`);
    const nodes = [{ node: fed.searcher, role: 'searcher' as const }, ...fed.peers.map((node) => ({ node, role: 'peer' as const }))];
    const cpu0 = nodes.map(({ node }) => cpuSecondsOf(node.pid));
    const latency = await measureLatency(fed, searches, 0);
    const done = latency.reduce((a, l) => a + l.ms.n, 0);
    const cpuPerSearch: SearchCpu[] = nodes.map(({ node, role }, i) => ({
      country: node.country,
      role,
      msPerSearch: ((1000 * ((cpuSecondsOf(node.pid) ?? NaN) - (cpu0[i] ?? NaN))) / done),
    }));
    for (const l of latency) log(`  ${l.kind}: p50 ${fmt(l.ms.p50, 1)} ms, p99 ${fmt(l.ms.p99, 1)} ms${l.unexpected ? `, ${l.unexpected} unexpected (${l.firstUnexpected})` : ''}`);

    const answering = fed.peers[0]!;
    log(`throughput: signed match requests to ${answering.country}, ${concurrency} concurrent, ${seconds} s`);
    const load = await prepareMatchLoad(fed.searcher.home, answering.country, [...fed.hitPersons.slice(0, 16), ...fed.noHitPersons.slice(0, 16)]);
    const tp = await driveMatches(load, { concurrency, seconds, nodePid: answering.pid });
    log(`  ${fmt(tp.answersPerSecond, 1)} answers/s (${tp.failed} failed${tp.firstFailure ? `: ${tp.firstFailure}` : ''})`);

    log('baseline: the answer\'s parts and the HMAC floor, in-process');
    const parts = await measureAnswerParts(join(answering.home, 'cairn.db'), [...fed.hitPersons.slice(0, 20), ...fed.noHitPersons.slice(0, 20)]);
    const nodeCpuMsPerAnswer = tp.nodeCpuSeconds !== undefined && tp.answered > 0 ? (1000 * tp.nodeCpuSeconds) / tp.answered : undefined;

    const scale = records === SEARCH_TARGET.recordsPerPeer ? '' : ` (${fmt(records)} records per peer, not 1,000,000)`;
    const targets: TargetCheck[] = [];
    for (const l of latency) {
      const what = l.kind === 'hit' ? 'hit searches (with the confirmation)' : 'no-hit searches';
      targets.push(
        { issue: 5, target: `p50 ≤ ${SEARCH_TARGET.p50Ms} ms, ${what}`, measured: `${fmt(l.ms.p50, 1)} ms`, status: l.ms.p50 <= SEARCH_TARGET.p50Ms && !scale ? 'MET' : l.ms.p50 <= SEARCH_TARGET.p50Ms ? 'NOT MEASURED' : 'MISSED', ...(scale ? { note: scale.trim() } : {}) },
        { issue: 5, target: `p99 ≤ ${SEARCH_TARGET.p99Ms} ms, ${what}`, measured: `${fmt(l.ms.p99, 1)} ms`, status: l.ms.p99 <= SEARCH_TARGET.p99Ms && !scale ? 'MET' : l.ms.p99 <= SEARCH_TARGET.p99Ms ? 'NOT MEASURED' : 'MISSED', ...(scale ? { note: scale.trim() } : {}) },
      );
    }
    const tpMet = tp.answersPerSecond >= SEARCH_TARGET.answersPerSecond && tp.failed === 0;
    targets.push({
      issue: 5,
      target: `≥ ${SEARCH_TARGET.answersPerSecond} searches/s answered by one node`,
      measured: `${fmt(tp.answersPerSecond, 1)} answers/s`,
      status: tpMet && !scale ? 'MET' : tpMet ? 'NOT MEASURED' : 'MISSED',
      note: `${concurrency} concurrent, ${fmt(tp.elementsPerRequest, 1)} elements each; node CPU ${nodeCpuMsPerAnswer === undefined ? 'n/a' : `${fmt(nodeCpuMsPerAnswer, 1)} ms`} per answer${scale}`,
    });
    return {
      machine,
      cpuPerSearch,
      recordsPerPeer: records,
      filledTokensPerPeer: fed.fill?.tokens ?? 0,
      peers: fed.peers.length,
      latency,
      noHitCheck: fed.noHitCheck,
      throughput: { ...tp, concurrency, nodeCpuMsPerAnswer },
      parts,
      targets,
      command: `npm run bench:search -- --records ${records} --searches ${searches} --concurrency ${concurrency} --seconds ${seconds}`,
    };
  } finally {
    await fed.stop();
  }
}

/** Render a result as Markdown. */
export function formatSearchBenchmark(r: SearchBenchResult): string {
  const p = r.parts;
  const t = r.throughput;
  const floorPerSecond = 1000 / p.hmacLookupMs;
  const perCpuSecond = t.nodeCpuSeconds ? t.answered / t.nodeCpuSeconds : NaN;
  return [
    formatMachine(r.machine),
    '',
    `${r.peers} peers, each ${fmt(r.recordsPerPeer)} records (${fmt(r.filledTokensPerPeer)} tokens filled directly); ${fmt(p.elementsPerSearch, 1)} match keys per person on average.`,
    '',
    '| searches (sequential, 3 peers) | n | p50 ms | p90 ms | p99 ms | max ms | slowest peer p50 ms | × HMAC floor (p50) | unexpected outcomes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.latency.map(
      (l) =>
        `| ${l.kind} | ${l.ms.n} | ${fmt(l.ms.p50, 1)} | ${fmt(l.ms.p90, 1)} | ${fmt(l.ms.p99, 1)} | ${fmt(l.ms.max, 1)} | ${fmt(l.slowestPeerMs.p50, 1)} | ${fmt(l.ms.p50 / p.hmacLookupMs)} | ${l.unexpected}${l.firstUnexpected ? ` (${l.firstUnexpected})` : ''} |`,
    ),
    '',
    describeNoHitCheck(r.noHitCheck),
    '',
    `CPU per search during the sequential series (/proc): ${r.cpuPerSearch.map((c) => `${c.role} ${c.country} ${fmt(c.msPerSearch, 1)} ms`).join(', ')}. ` +
      'Each node has its main thread and, for answers, one evaluation worker thread (used unless a request is alone at a node that was idle); all four nodes and the load share the 2 cores.',
    '',
    '| one answering node | answers/s | answers per node CPU-second | node CPU ms/answer | load generator CPU s | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| ${t.concurrency} concurrent signed match requests, ${fmt(t.seconds, 0)} s | ${fmt(t.answersPerSecond, 1)} | ${fmt(perCpuSecond, 1)} | ${t.nodeCpuMsPerAnswer === undefined ? 'n/a' : fmt(t.nodeCpuMsPerAnswer, 2)} | ${fmt(t.generatorCpuSeconds, 1)} | ${t.failed} |`,
    `| HMAC-SHA256 keyed lookup floor (same keys, same index, in-process, 1 core) | ${fmt(floorPerSecond)} | | ${fmt(p.hmacLookupMs, 3)} | | |`,
    '',
    `Parts of one answer, in-process (ms per search): OPRF BlindEvaluateBatch with DLEQ proof ${fmt(p.sodiumEvaluateMs, 2)} (libsodium; ` +
      `portable noble ${fmt(p.portableEvaluateMs, 2)}), HMAC floor ${fmt(p.hmacLookupMs, 3)}. ` +
      (t.nodeCpuMsPerAnswer !== undefined ? `Evaluation is ${fmt((100 * p.sodiumEvaluateMs) / t.nodeCpuMsPerAnswer)}% of the node's CPU per answer.` : ''),
    '',
    formatTargets(r.targets),
    '',
    `Reproduce: \`${r.command}\``,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const f = parseFlags(process.argv.slice(2), { records: 'int', real: 'int', searches: 'int', concurrency: 'int', seconds: 'number', port: 'int', keep: 'boolean', profile: 'string', json: 'boolean' });
  const result = await runSearchBenchmark({
    ...(f.records !== undefined ? { records: f.records as number } : {}),
    ...(f.real !== undefined ? { real: f.real as number } : {}),
    ...(f.searches !== undefined ? { searches: f.searches as number } : {}),
    ...(f.concurrency !== undefined ? { concurrency: f.concurrency as number } : {}),
    ...(f.seconds !== undefined ? { seconds: f.seconds as number } : {}),
    ...(f.port !== undefined ? { port: f.port as number } : {}),
    keep: f.keep === true,
    ...(f.profile !== undefined ? { profileDir: f.profile as string } : {}),
  });
  process.stdout.write((f.json ? JSON.stringify(result, null, 2) : formatSearchBenchmark(result)) + '\n');
}
