/**
 * Token throughput on this machine, all paths in one run:
 *   (a) portable: noble-curves evaluateToken, one core (the Workers path)
 *   (b) sodium:   libsodium backend, one core
 *   (c) pool:     libsodium worker pool over all cores
 *   (d) hmac:     HMAC-SHA256 keyed hash, one core: the floor a non-OPRF
 *                 keyed hash would cost, for comparison only
 * Each figure is tokens per second over the same random 40-byte inputs, after
 * a warm-up; pool start-up is not timed. Ratios are against (a).
 *
 * Usage: npm run bench:tokens [-- --n 20000] [--portable-n 5000] [--threads 2] [--json]
 * `runTokenBenchmark` returns the figures for `npm run bench` (BENCHMARKS.md).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { cpuBusy, sodiumOf } from './lib/bench-machine.js';
import { createPortableTokenBackend, generateOprfKeyPair } from '../src/core/oprf/index.js';
import type { TokenBackend } from '../src/core/oprf/index.js';
import { createSodiumTokenBackend, createTokenPool } from '../src/node/oprf/index.js';

/** The throughput the pool must reach on the 2-core reference machine. */
export const TOKEN_TARGET_PER_SECOND = 8_000;

/** One measured path. */
export interface TokenBenchFigure {
  readonly name: 'portable' | 'sodium' | 'pool' | 'hmac';
  readonly label: string;
  readonly tokens: number;
  readonly seconds: number;
  readonly tokensPerSecond: number;
  /** tokensPerSecond / portable tokensPerSecond. */
  readonly ratioToPortable: number;
}

/** Everything one run measured. */
export interface TokenBenchResult {
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly node: string;
    readonly platform: string;
    /** 1-minute load average when the run started (it lags by a minute). */
    readonly loadAverage: number;
    /** Share of CPU time busy with other work during one second before the run (0..1). */
    readonly busyBefore: number;
    /** The libsodium build of the sodium and pool paths, e.g. "native 1.0.18". */
    readonly sodium: string;
  };
  readonly threads: number;
  readonly figures: readonly TokenBenchFigure[];
  readonly target: { readonly tokensPerSecond: number; readonly achieved: number; readonly met: boolean };
}

/** Options of `runTokenBenchmark`. */
export interface TokenBenchOptions {
  /** Inputs for the sodium, pool and HMAC runs (default 20,000). */
  readonly n?: number;
  /** Inputs for the slow portable run (default min(n, 8,000)). */
  readonly portableN?: number;
  /** Pool threads (default os.availableParallelism()). */
  readonly threads?: number;
}

const WARM_UP = 300;

async function timeBackend(backend: TokenBackend, inputs: Uint8Array[]): Promise<number> {
  await backend.evaluateTokens(inputs.slice(0, WARM_UP));
  const t0 = performance.now();
  const tokens = await backend.evaluateTokens(inputs);
  const seconds = (performance.now() - t0) / 1000;
  if (tokens.length !== inputs.length) throw new Error(`${backend.name}: wrong number of tokens`);
  return seconds;
}

function timeHmac(key: Uint8Array, inputs: Uint8Array[]): number {
  const run = (xs: Uint8Array[]) => xs.map((x) => createHmac('sha256', key).update(x).digest());
  run(inputs.slice(0, WARM_UP));
  const t0 = performance.now();
  run(inputs);
  return (performance.now() - t0) / 1000;
}

/** Run the benchmark and return the figures. */
export async function runTokenBenchmark(options: TokenBenchOptions = {}): Promise<TokenBenchResult> {
  const n = options.n ?? 20_000;
  const portableN = options.portableN ?? Math.min(n, 8_000);
  const threads = options.threads ?? availableParallelism();
  const loadAverage = loadavg()[0] ?? 0;
  const busyBefore = await cpuBusy(1000);
  const inputs = Array.from({ length: Math.max(n, portableN) }, () => new Uint8Array(randomBytes(40)));
  const { secretKey } = generateOprfKeyPair();
  const measured: { name: TokenBenchFigure['name']; label: string; tokens: number; seconds: number }[] = [];

  const portable = createPortableTokenBackend(secretKey);
  measured.push({
    name: 'portable',
    label: 'portable (noble), 1 core',
    tokens: portableN,
    seconds: await timeBackend(portable, inputs.slice(0, portableN)),
  });
  await portable.close();

  const sodium = await createSodiumTokenBackend(secretKey);
  measured.push({ name: 'sodium', label: 'sodium, 1 core', tokens: n, seconds: await timeBackend(sodium, inputs.slice(0, n)) });
  await sodium.close();

  const pool = await createTokenPool({ secretKey, threads });
  try {
    measured.push({
      name: 'pool',
      label: `sodium pool, ${threads} threads`,
      tokens: n,
      seconds: await timeBackend(pool, inputs.slice(0, n)),
    });
  } finally {
    await pool.close();
  }

  measured.push({ name: 'hmac', label: 'HMAC-SHA256 floor, 1 core', tokens: n, seconds: timeHmac(secretKey, inputs.slice(0, n)) });
  secretKey.fill(0);

  const base = measured[0]!.tokens / measured[0]!.seconds;
  const figures = measured.map((m) => {
    const tokensPerSecond = m.tokens / m.seconds;
    return { ...m, tokensPerSecond, ratioToPortable: tokensPerSecond / base };
  });
  const achieved = figures.find((f) => f.name === 'pool')!.tokensPerSecond;
  return {
    machine: {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: availableParallelism(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadAverage,
      busyBefore,
      sodium: await sodiumOf(),
    },
    threads,
    figures,
    target: { tokensPerSecond: TOKEN_TARGET_PER_SECOND, achieved, met: achieved >= TOKEN_TARGET_PER_SECOND },
  };
}

/** Render a result as a Markdown table with the machine and the verdict. */
export function formatTokenBenchmark(r: TokenBenchResult): string {
  const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `Machine: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node} (${r.machine.platform}), libsodium ${r.machine.sodium}, ` +
      `load average ${fmt(r.machine.loadAverage, 2)}, CPU ${fmt(100 * r.machine.busyBefore)}% busy just before the run`,
    ...(r.machine.busyBefore > 0.2
      ? ['Warning: the machine was busy with other work; these figures understate it.']
      : []),
    '',
    '| path | tokens | seconds | tokens/s | × portable |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...r.figures.map(
      (f) => `| ${f.label} | ${fmt(f.tokens)} | ${fmt(f.seconds, 2)} | ${fmt(f.tokensPerSecond)} | ${fmt(f.ratioToPortable, 1)} |`,
    ),
    '',
    `Target ≥ ${fmt(r.target.tokensPerSecond)} tokens/s with the pool (${r.threads} threads): ` +
      `${r.target.met ? 'MET' : 'MISSED'} (${fmt(r.target.achieved)} tokens/s).`,
  ];
  return lines.join('\n');
}

function parseArgs(argv: string[]): TokenBenchOptions & { json: boolean } {
  const opts: { n?: number; portableN?: number; threads?: number; json: boolean } = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = (): number => {
      const v = Number(inline ?? argv[++i]);
      if (!Number.isInteger(v) || v < 1) throw new Error(`${flag} expects a positive integer`);
      return v;
    };
    if (flag === '--n') opts.n = value();
    else if (flag === '--portable-n') opts.portableN = value();
    else if (flag === '--threads') opts.threads = value();
    else if (flag === '--json') opts.json = true;
    else throw new Error(`unknown option ${flag}`);
  }
  return opts;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { json, ...opts } = parseArgs(process.argv.slice(2));
  const result = await runTokenBenchmark(opts);
  process.stdout.write((json ? JSON.stringify(result, null, 2) : formatTokenBenchmark(result)) + '\n');
}
