/**
 * `npm run bench`: every benchmark (tokens, import, search, audit), one after
 * the other, and BENCHMARKS.md from their figures: the machine, the date,
 * each figure with its baseline from the same run and the ratio, the command
 * that reproduces it, and every target of issues 3–6 and 13 as MET, MISSED or NOT
 * MEASURED (with the reason).
 *
 * The defaults are the issues' sizes; importing 1,000,000 records takes
 * hours on the 2-core machine, so `--import-n` lets a run import fewer and
 * extrapolate, which BENCHMARKS.md then says. `--quick` runs everything
 * small (minutes), to check the benchmarks themselves.
 *
 *
 * Usage: npm run bench [-- --import-n 100000] [--search-records 1000000] [--audit-entries 1000000] [--import-http-n 100000]
 *          [--private-records 1000000] [--private-nodes 30] [--quick] [--out BENCHMARKS.md] [--json]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { formatTokenBenchmark, runTokenBenchmark, TOKEN_TARGET_PER_SECOND, type TokenBenchResult } from './bench-tokens.js';
import { formatImportBenchmark, runImportBenchmark, type ImportBenchResult } from './bench-import.js';
import { formatSearchBenchmark, runSearchBenchmark, type SearchBenchResult } from './bench-search.js';
import { formatAuditBenchmark, runAuditBenchmark, type AuditBenchResult } from './bench-audit.js';
import { formatImportHttpBenchmark, runImportHttpBenchmark, type ImportHttpBenchOptions, type ImportHttpBenchResult } from './bench-import-http.js';
import { formatPrivateBenchmark, runPrivateBenchmark, type PrivateBenchOptions, type PrivateBenchResult } from './bench-private.js';
import { ROOT } from './lib/federation.js';
import { formatMachine, sampleMachine, type BenchMachine } from './lib/bench-machine.js';
import { clock, fmt, formatTargets, parseFlags, stepLogger, type TargetCheck } from './lib/bench-report.js';

export interface AllBenchOptions {
  readonly tokens?: { n?: number; portableN?: number };
  readonly import?: { n?: number; baselineN?: number };
  readonly search?: { records?: number; searches?: number; seconds?: number };
  readonly audit?: { entries?: number; records?: number; searches?: number; seconds?: number };
  readonly importHttp?: ImportHttpBenchOptions;
  readonly private?: PrivateBenchOptions;
  /** The command line that was run, for the report. */
  readonly command: string;
}

export interface AllBenchResult {
  readonly machine: BenchMachine;
  readonly seconds: number;
  readonly tokens: TokenBenchResult;
  readonly import: ImportBenchResult;
  readonly search: SearchBenchResult;
  readonly audit: AuditBenchResult;
  readonly importHttp: ImportHttpBenchResult;
  readonly private: PrivateBenchResult;
  readonly targets: readonly TargetCheck[];
  readonly command: string;
}

/** The sizes of `--quick`: minutes, for checking the benchmarks, not for BENCHMARKS.md figures. */
const QUICK = {
  tokens: { n: 5000, portableN: 1000 },
  import: { n: 5000, baselineN: 100 },
  search: { records: 20_000, searches: 20, seconds: 5 },
  audit: { entries: 50_000, records: 5000, searches: 10, seconds: 5 },
  importHttp: { n: 5000, seconds: 5 },
  private: { records: 20_000, real: 200, delta: 200, searches: 20, seconds: 5, nodes: 5, nodeRecords: 2000, scaleSearches: 10 },
} as const;

function tokenTargets(t: TokenBenchResult): TargetCheck[] {
  const portable = t.figures.find((f) => f.name === 'portable')!;
  const pool = t.figures.find((f) => f.name === 'pool')!;
  return [
    {
      issue: 3,
      target: `≥ ${fmt(TOKEN_TARGET_PER_SECOND)} tokens/s with both cores`,
      measured: `${fmt(pool.tokensPerSecond)} tokens/s`,
      status: t.target.met ? 'MET' : 'MISSED',
      note: `sodium pool, ${t.threads} threads`,
    },
    {
      issue: 3,
      target: 'about 10× the portable path',
      measured: `${fmt(pool.ratioToPortable, 1)}×`,
      status: pool.ratioToPortable >= 9.5 ? 'MET' : 'MISSED',
      note: `portable ${fmt(portable.tokensPerSecond)} tokens/s in the same run`,
    },
  ];
}

/** Run every benchmark in turn. */
export async function runAllBenchmarks(o: AllBenchOptions): Promise<AllBenchResult> {
  const log = stepLogger('bench');
  const t0 = performance.now();
  const machine = await sampleMachine();
  log(formatMachine(machine));
  log('1/6 tokens');
  const tokens = await runTokenBenchmark(o.tokens ?? {});
  log('2/6 import');
  const imp = await runImportBenchmark(o.import ?? {});
  log('3/6 search');
  const search = await runSearchBenchmark(o.search ?? {});
  log('4/6 audit');
  const audit = await runAuditBenchmark(o.audit ?? {});
  log('5/6 answers during an import over HTTP');
  const importHttp = await runImportHttpBenchmark(o.importHttp ?? {});
  log('6/6 private search (cairn/2)');
  const priv = await runPrivateBenchmark(o.private ?? {});
  const seconds = (performance.now() - t0) / 1000;
  log(`done in ${clock(seconds)}`);
  return {
    machine,
    seconds,
    tokens,
    import: imp,
    search,
    audit,
    importHttp,
    private: priv,
    targets: [...tokenTargets(tokens), ...imp.targets, ...search.targets, ...audit.targets, ...priv.targets],
    command: o.command,
  };
}

/** How the private search benchmark works, for BENCHMARKS.md: what is real and what is seeded. */
const PRIVATE_METHOD = [
  'Every node is a `cairn serve` child process on loopback with its own home and SQLite file, peered through the CLI. ',
  '**The peers\' records are seeded, not imported:** importing 3 × 1,000,000 real records takes about 40 minutes here (1,300 records/s), so each peer\'s records and token index are written directly into its SQLite file ',
  '(scripts/lib/bench-fill.ts): one `records` row per record and, per record, the key types the real derivation gives a synthetic record, each token with random digest, confirmation bytes and index fingerprint ',
  '(tokens are OPRF outputs, so pseudorandom) and one row in the index change log, as an import writes it. A further number of records per peer (stated below) is imported with `cairn import`: the hit searches find those, and the delta changes them. ',
  'No hash or head is written directly: the index code (IndexOwner, src/core/federation/index/owner.ts) computes the shard, group and root hashes from those rows, and each peer signs its own heads, before anything is timed. ',
  'Everything timed runs the real code end to end: the searcher node\'s own background sync (snapshot pages, root check), the analyst search API, signed and padded match requests, the signed changes requests and the replica code.',
].join('');

/** BENCHMARKS.md. */
export function formatBenchmarksMd(r: AllBenchResult): string {
  const count = (s: TargetCheck['status']) => r.targets.filter((t) => t.status === s).length;
  const tokenCommand = `npm run bench:tokens -- --n ${r.tokens.figures.find((f) => f.name === 'pool')!.tokens} --portable-n ${r.tokens.figures.find((f) => f.name === 'portable')!.tokens}`;
  return [
    '# Benchmarks',
    '',
    `Written by \`${r.command}\` on ${r.machine.date.slice(0, 10)} in ${clock(r.seconds)}. Do not edit by hand: run it again.`,
    '',
    formatMachine(r.machine),
    '',
    'The machine is shared with other work and noisy (the load and CPU use sampled before each benchmark are printed with it).',
    'Absolute figures move from run to run; the ratios against the baseline measured in the same run move much less.',
    '',
    `## Targets (issues 3–6, 13): ${count('MET')} met, ${count('MISSED')} missed, ${count('NOT MEASURED')} not measured`,
    '',
    formatTargets(r.targets),
    '',
    '## Tokens (issue 3)',
    '',
    'RFC 9497 Evaluate over random 40-byte inputs, after a warm-up. Baseline: the portable noble path on one core; HMAC-SHA256 is the floor of a keyed-hash design.',
    '',
    formatTokenBenchmark(r.tokens),
    '',
    `Reproduce: \`${tokenCommand}\``,
    '',
    '## Import (issue 4)',
    '',
    'The real `cairn import` as a child process on a fresh node home, NDJSON of seeded synthetic records (scripts/lib/synthetic-records.ts), written before the clock starts. ' +
      'Wall time from spawn to exit; peak RSS of the import process (all its threads). Baseline: the same import with `CAIRN_IMPORT_PORTABLE=1` (portable noble path, one thread) on fewer records.',
    '',
    formatImportBenchmark(r.import),
    '',
    '## Search (issue 5)',
    '',
    'Four `cairn serve` processes on loopback (a searching node and 3 peers), each with its own home and SQLite file, peered through the CLI. ' +
      'Each peer holds the stated number of records: a few hundred imported with `cairn import` (found by the hit searches and confirmed with a signed receipt) and the rest written directly into its SQLite file ' +
      '(one `records` row each and the key types the real derivation gives a synthetic record, random confirmation bytes and index fingerprints, each token logged in the index change log), as issue 5 allows; ' +
      'the searcher\'s replicas of the peers\' indexes are synced before anything is timed. ' +
      'Latency: `POST /v1/searches` with an analyst token, one person with all of its match keys, sequential, measured by the client. ' +
      'Throughput: signed blind match requests with the searching node\'s key to one peer, the blinded elements prepared in advance, so the figure is the answering node\'s. ' +
      'Baseline: an HMAC-SHA256 keyed lookup of the same keys in the same index, in-process (the approach of filter-based systems, the floor).',
    '',
    formatSearchBenchmark(r.search),
    '',
    '## Audit log (issue 6)',
    '',
    'Verify: `cairn audit verify` (child process) on a log written directly with correctly hashed entries, integrated and checkpointed by the real code. ' +
      'Appends: the real append path (one transaction per entry) from a second process, with the answering node idle and at full load. ' +
      'Share: the same searches with checkpointing at its default (a new signed checkpoint at most every second, witnessed by the searcher with a consistency proof) against a configuration that caches one checkpoint for an hour; ' +
      'the appends, which are part of each act\'s transaction, are added from their measured cost.',
    '',
    formatAuditBenchmark(r.audit),
    '',
    formatImportHttpBenchmark(r.importHttp),
    '',
    '## Private search (issue 13, protocol cairn/2)',
    '',
    PRIVATE_METHOD,
    '',
    formatPrivateBenchmark(r.private),
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const f = parseFlags(process.argv.slice(2), {
    quick: 'boolean',
    'import-n': 'int',
    'search-records': 'int',
    'audit-entries': 'int',
    'import-http-n': 'int',
    'private-records': 'int',
    'private-nodes': 'int',
    out: 'string',
    json: 'boolean',
  });
  const q = f.quick === true;
  const num = (k: string) => f[k] as number | undefined;
  const options: AllBenchOptions = {
    tokens: q ? QUICK.tokens : {},
    import: { ...(q ? QUICK.import : {}), ...(num('import-n') !== undefined ? { n: num('import-n')! } : {}) },
    search: { ...(q ? QUICK.search : {}), ...(num('search-records') !== undefined ? { records: num('search-records')! } : {}) },
    audit: { ...(q ? QUICK.audit : {}), ...(num('audit-entries') !== undefined ? { entries: num('audit-entries')! } : {}) },
    importHttp: { ...(q ? QUICK.importHttp : {}), ...(num('import-http-n') !== undefined ? { n: num('import-http-n')! } : {}) },
    private: {
      ...(q ? QUICK.private : {}),
      ...(num('private-records') !== undefined ? { records: num('private-records')! } : {}),
      ...(num('private-nodes') !== undefined ? { nodes: num('private-nodes')! } : {}),
    },
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
  };
  const result = await runAllBenchmarks(options);
  const out = (f.out as string | undefined) ?? join(ROOT, 'BENCHMARKS.md');
  writeFileSync(out, formatBenchmarksMd(result));
  process.stderr.write(`wrote ${out}\n`);
  if (f.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
