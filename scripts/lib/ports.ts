/**
 * Loopback ports for test and benchmark nodes, shared by vitest's helpers
 * (test/helpers/cli.ts) and `npm run test:workers`.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processAlive } from '../../src/node/lock.js';

/**
 * Loopback ports for test nodes: below Linux's ephemeral range (32768 and
 * up), where the OS hands out the local ports of outgoing connections and
 * of listen(0), so no client socket takes a port between the moment it is
 * chosen and the node's start.
 */
const TEST_PORTS = { from: 20_000, to: 32_000 } as const;

/**
 * Where processes choosing ports record them: one file per port, created
 * exclusively and holding the owner's pid. A port is not bound until its
 * node has started, seconds after the choice (`cairn init`, users, then
 * serve), and test files run in parallel processes: a bind check alone let
 * two files choose the same port in that window (a CI run failed on it).
 */
const RESERVATIONS = join(tmpdir(), 'cairn-test-ports');
const reserved = new Set<number>();
let releaseOnExit = false;

/**
 * Reserve `port` for this process across processes: false when another
 * live process (or this one) holds it. A reservation left by a process that died
 * (SIGKILL skips the exit hook) is taken over.
 */
export function reservePort(port: number): boolean {
  const file = join(RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(file, 'utf8'));
    } catch {
      continue; // released meanwhile: try again
    }
    // A file being written is empty for a moment: treat it as held.
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) return false;
    rmSync(file, { force: true });
  }
  return false;
}

function releaseAll(): void {
  for (const port of reserved) {
    try {
      if (Number(readFileSync(join(RESERVATIONS, String(port)), 'utf8')) === process.pid) rmSync(join(RESERVATIONS, String(port)), { force: true });
    } catch {
      // gone already
    }
  }
}

/** Whether `port` can be bound on 127.0.0.1 now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free loopback port: random in TEST_PORTS, reserved for this process
 * until it exits (so neither this process nor another one running tests
 * gets it again meanwhile), and bindable now (no other program on it).
 */
export async function freePort(): Promise<number> {
  mkdirSync(RESERVATIONS, { recursive: true });
  if (!releaseOnExit) {
    releaseOnExit = true;
    process.once('exit', releaseAll);
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = TEST_PORTS.from + Math.floor(Math.random() * (TEST_PORTS.to - TEST_PORTS.from));
    if (reserved.has(port) || !reservePort(port)) continue;
    reserved.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${TEST_PORTS.from}-${TEST_PORTS.to} after 200 tries`);
}
