/**
 * Test helpers that drive the shipped CLI (bin/cairn.js -> dist/) as real
 * child processes, the way an operator would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNodeOfHome } from '../../scripts/lib/federation.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin/cairn.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run `cairn ...args` to completion. */
export function cairn(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...cleanEnv(), ...opts.env },
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** process.env without any CAIRN_* set by the developer's shell. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CAIRN_')) env[k] = v;
  return env;
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'cairn-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { freePort } from '../../scripts/lib/ports.js';

export interface ServedNode {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Start `cairn serve` as a child process and wait until /healthz answers. */
export async function serveNode(home: string, opts: { port: number; extraArgs?: string[]; env?: NodeJS.ProcessEnv }): Promise<ServedNode> {
  const child = spawn(process.execPath, [BIN, 'serve', '--home', home, '--port', String(opts.port), ...(opts.extraArgs ?? [])], {
    cwd: ROOT,
    env: { ...cleanEnv(), CAIRN_LOG_LEVEL: 'warn', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout!.resume();
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cairn serve exited with ${child.exitCode}: ${err}`);
    let other: unknown;
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) {
        const health = (await r.json()) as { nodeId?: unknown };
        if (isNodeOfHome(home, health, { ...cleanEnv(), ...opts.env })) break;
        other = health.nodeId;
      }
    } catch {
      // not up yet
    }
    if (other !== undefined) {
      child.kill('SIGKILL');
      throw new Error(`port ${opts.port} is served by another node (${String(other)}), not the one of ${home}: the port was taken after it was chosen`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`cairn serve did not come up: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Initialise a node home through the CLI. */
export function initNode(home: string, country: string, port: number, name = `Test node ${country}`): CliResult {
  const r = cairn(['init', '--home', home, '--country', country, '--name', name, '--url', `http://127.0.0.1:${port}`, '--port', String(port)]);
  if (r.status !== 0) throw new Error(`cairn init failed: ${r.stderr}`);
  return r;
}
