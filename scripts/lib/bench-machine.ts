/**
 * The machine a benchmark ran on, sampled just before it starts. This host
 * is shared (2 cores, other engineers' tests): a figure means little without
 * the CPU, the core count, the Node version, the load and how busy the CPUs
 * were in the second before, so every benchmark prints them with its figures.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { loadSodiumBuild } from '../../src/node/oprf/index.js';
import { ROOT } from './federation.js';

/** Where and when a benchmark ran. */
export interface BenchMachine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
  /** 1-minute load average at the start (it lags by a minute). */
  readonly loadAverage: number;
  /** Share of all cores' time busy with other work during one second before the run (0..1). */
  readonly busyBefore: number;
  /** ISO date-time of the start. */
  readonly date: string;
  /** The commit measured, with "+dirty" when the work tree had changes. */
  readonly commit: string;
  /** The libsodium build the OPRF runs on (CAIRN_SODIUM), e.g. "native 1.0.18". */
  readonly sodium: string;
}

/** The libsodium build this process, and the nodes it starts with its environment, run the OPRF on. */
export async function sodiumOf(): Promise<string> {
  const s = await loadSodiumBuild();
  return `${s.build} ${s.version}`;
}

function cpuTimes(): { idle: number; all: number } {
  let idle = 0;
  let all = 0;
  for (const { times: t } of cpus()) {
    idle += t.idle;
    all += t.idle + t.user + t.nice + t.sys + t.irq;
  }
  return { idle, all };
}

/** Share of all cores' time that was not idle over `ms`: other work that would skew the figures. */
export async function cpuBusy(ms: number): Promise<number> {
  const a = cpuTimes();
  await new Promise((r) => setTimeout(r, ms));
  const b = cpuTimes();
  return b.all === a.all ? 0 : 1 - (b.idle - a.idle) / (b.all - a.all);
}

/** The short commit hash of the repository, "+dirty" if tracked files changed, or "unknown". */
export function commitOf(root = ROOT): string {
  const head = spawnSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
}

/** Sample the machine (takes one second). */
export async function sampleMachine(): Promise<BenchMachine> {
  const loadAverage = loadavg()[0] ?? 0;
  const busyBefore = await cpuBusy(1000);
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage,
    busyBefore,
    date: new Date().toISOString(),
    commit: commitOf(),
    sodium: await sodiumOf(),
  };
}

/** One line describing the machine, plus a warning line when it was busy. */
export function formatMachine(m: BenchMachine): string {
  const line =
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node} (${m.platform}), libsodium ${m.sodium}; ` +
    `load average ${m.loadAverage.toFixed(2)}, CPU ${Math.round(100 * m.busyBefore)}% busy just before the run; ` +
    `${m.date.slice(0, 16).replace('T', ' ')} UTC; commit ${m.commit}`;
  return m.busyBefore > 0.2 ? `${line}\nWarning: the machine was busy with other work; these figures understate it.` : line;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux unless getconf says otherwise). */
const CLOCK_TICKS = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
})();

/** CPU seconds (user + system) a live process has used, or undefined if it is gone or not Linux. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Resident set size now and at its peak (VmRSS, VmHWM) of a live process, in bytes. */
export function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const rss = kb('VmRSS');
    const peak = kb('VmHWM');
    return Number.isFinite(rss) && Number.isFinite(peak) ? { rss, peak } : undefined;
  } catch {
    return undefined;
  }
}
