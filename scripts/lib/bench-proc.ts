/**
 * Child processes of the benchmarks: every one is tracked and killed when the
 * benchmark exits, fails or is interrupted, so a run never leaves a node or
 * an import running on the shared machine. `runMeasured` runs one `cairn`
 * command and measures its wall time, CPU time and peak RSS (its own, as a
 * separate process: /usr/bin/time -v when present, else /proc polling).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './federation.js';
import { cpuSecondsOf, memoryOf } from './bench-machine.js';

const live = new Set<ChildProcess>();
const groupLeaders = new WeakSet<ChildProcess>();

function killOne(c: ChildProcess): void {
  if (c.exitCode !== null || c.signalCode !== null || c.pid === undefined) return;
  try {
    // Detached children lead their own process group: kill the group (time + node).
    if (groupLeaders.has(c)) process.kill(-c.pid, 'SIGKILL');
    else c.kill('SIGKILL');
  } catch {
    // already gone
  }
}

/** Kill every tracked child now (synchronously). */
export function killTracked(): void {
  for (const c of live) killOne(c);
  live.clear();
}

let installed = false;
function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killTracked);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killTracked();
      process.exit(130);
    });
  }
}

/** Track a child so that it is killed when this process exits, however it exits. */
export function track<T extends ChildProcess>(child: T, { group = false } = {}): T {
  installExitHandlers();
  live.add(child);
  if (group) groupLeaders.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Temporary folders to delete on exit unless kept. */
const folders = new Set<string>();

/** Remove `dir` when the process exits (unless `keep`). */
export function removeOnExit(dir: string, keep = false): void {
  if (keep) return;
  if (folders.size === 0) process.once('exit', () => folders.forEach((d) => rmSync(d, { recursive: true, force: true })));
  folders.add(dir);
}

/** One RSS sample of a measured process. */
export interface RssSample {
  readonly seconds: number;
  readonly rss: number;
}

export interface MeasuredRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly wallSeconds: number;
  /** User + system CPU seconds of the command (all its threads). */
  readonly cpuSeconds: number | undefined;
  /** Peak resident set size in bytes. */
  readonly peakRss: number | undefined;
  /** How the peak was measured. */
  readonly peakRssSource: '/usr/bin/time -v' | '/proc VmHWM' | 'none';
  /** RSS every `sampleMs`, to see whether memory grows with the input. */
  readonly rssSamples: readonly RssSample[];
}

const TIME = '/usr/bin/time';

function childPidOf(pid: number): number | undefined {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length ? Number(kids[0]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Run `cairn <args>` as a child process and measure it. Stdout is kept
 * whole; stderr only its last 64 KiB (progress lines). `onStderrLine` sees
 * every stderr line with the seconds since the start.
 */
export async function runMeasured(
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; sampleMs?: number; scratch: string; onStderrLine?: (line: string, seconds: number) => void },
): Promise<MeasuredRun> {
  const useTime = existsSync(TIME);
  const timeOut = join(opts.scratch, `time-${process.pid}-${Date.now()}.txt`);
  const node = [process.execPath, BIN, ...args];
  const [cmd, ...argv] = useTime ? [TIME, '-v', '-o', timeOut, ...node] : node;
  const t0 = performance.now();
  const child = track(
    spawn(cmd!, argv, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true }),
    { group: true },
  );
  let stdout = '';
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr = (stderr + text).slice(-65536);
    if (!opts.onStderrLine) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    const s = (performance.now() - t0) / 1000;
    for (const l of lines) opts.onStderrLine(l, s);
  });
  const samples: RssSample[] = [];
  let hwm: number | undefined;
  let cpu: number | undefined;
  const poll = () => {
    const pid = useTime ? childPidOf(child.pid!) : child.pid!;
    if (pid === undefined) return;
    const m = memoryOf(pid);
    if (m) {
      samples.push({ seconds: (performance.now() - t0) / 1000, rss: m.rss });
      hwm = Math.max(hwm ?? 0, m.peak);
    }
    cpu = cpuSecondsOf(pid) ?? cpu;
  };
  const timer = setInterval(poll, opts.sampleMs ?? 1000);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  }).finally(() => clearInterval(timer));
  const wallSeconds = (performance.now() - t0) / 1000;
  let peakRss = hwm;
  let peakRssSource: MeasuredRun['peakRssSource'] = hwm !== undefined ? '/proc VmHWM' : 'none';
  if (useTime && existsSync(timeOut)) {
    const report = readFileSync(timeOut, 'utf8');
    rmSync(timeOut, { force: true });
    const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(report)?.[1]);
    if (Number.isFinite(kb)) {
      peakRss = kb * 1024;
      peakRssSource = '/usr/bin/time -v';
    }
    const user = Number(/User time \(seconds\): ([\d.]+)/.exec(report)?.[1]);
    const sys = Number(/System time \(seconds\): ([\d.]+)/.exec(report)?.[1]);
    if (Number.isFinite(user) && Number.isFinite(sys)) cpu = user + sys;
  }
  return { exitCode, stdout, stderr, wallSeconds, cpuSeconds: cpu, peakRss, peakRssSource, rssSamples: samples };
}
