/**
 * What every benchmark reports the same way: latency percentiles, number
 * formatting, the verdict on each target of the issues (MET, MISSED, or NOT
 * MEASURED with the reason) and the parsing of `--flag value` options.
 */

/** Latency summary of one series, in milliseconds. */
export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
  /** Sample standard deviation. */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
}

/** Nearest-rank percentile of an ascending series. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Percentiles, mean and range of a series of milliseconds. */
export function summarize(ms: readonly number[]): LatencySummary {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  const sd = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, s.length - 1));
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    mean,
    sd,
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
  };
}

/** en-US number with `d` decimals. */
export const fmt = (x: number, d = 0): string =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : String(x);

/** Bytes as MiB. */
export const mib = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : `${fmt(bytes / 2 ** 20)} MiB`);

/** Seconds as m:ss (or h:mm:ss). */
export function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** The verdict on one target of the issues. */
export interface TargetCheck {
  /** The issue that sets the target. */
  readonly issue: number;
  /** The target in the issue's words, e.g. "p50 ≤ 50 ms". */
  readonly target: string;
  /** What was measured, with its unit (or why nothing was). */
  readonly measured: string;
  readonly status: 'MET' | 'MISSED' | 'NOT MEASURED';
  /** How it was measured when that matters: extrapolated, smaller size, … */
  readonly note?: string;
}

/** A Markdown table of target verdicts. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  return [
    '| issue | target | measured | verdict | note |',
    '| ---: | --- | --- | --- | --- |',
    ...checks.map((c) => `| #${c.issue} | ${c.target} | ${c.measured} | **${c.status}** | ${c.note ?? ''} |`),
  ].join('\n');
}

/** Flag specification: name -> kind. */
export type FlagSpec = Record<string, 'int' | 'number' | 'boolean' | 'string'>;

/**
 * Parse `--name value`, `--name=value` and boolean `--name` flags; unknown
 * flags and bad numbers throw with the flag's name.
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec): Record<string, number | boolean | string> {
  const out: Record<string, number | boolean | string> = {};
  for (let i = 0; i < argv.length; i++) {
    const [raw, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    if (!raw.startsWith('--') || !(raw.slice(2) in spec)) throw new Error(`unknown option ${raw}; options: ${Object.keys(spec).map((k) => `--${k}`).join(' ')}`);
    const name = raw.slice(2);
    const kind = spec[name]!;
    if (kind === 'boolean') {
      out[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`${raw} expects a value`);
    if (kind === 'string') {
      out[name] = v;
      continue;
    }
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isFinite(n) || n < 0 || (kind === 'int' && !Number.isInteger(n))) throw new Error(`${raw} expects a non-negative ${kind === 'int' ? 'integer' : 'number'}, got ${JSON.stringify(v)}`);
    out[name] = n;
  }
  return out;
}

/** Log a step of a long benchmark on stderr with the elapsed time. */
export function stepLogger(name: string): (msg: string) => void {
  const t0 = performance.now();
  return (msg) => process.stderr.write(`[${name} ${clock((performance.now() - t0) / 1000)}] ${msg}\n`);
}
