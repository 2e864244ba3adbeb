/**
 * Loopback ports for test and benchmark nodes, shared by vitest's helpers
 * (test/helpers/cli.ts) and `npm run test:workers`.
 */
import { createServer } from 'node:net';

/**
 * Loopback ports for test nodes: below Linux's ephemeral range (32768 and
 * up), where the OS hands out the local ports of outgoing connections and
 * of listen(0), so neither a client socket nor another test file asking the
 * OS takes a port between the moment it is chosen and the node's start.
 */
const TEST_PORTS = { from: 20_000, to: 32_000 } as const;
const handedOut = new Set<number>();

/** Whether `port` can be bound on 127.0.0.1 now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A free loopback port: random in TEST_PORTS (test files run in parallel,
 * each in its own process; random picks rarely meet), never one this
 * process handed out before (two ports asked for in a row once came back
 * equal from listen(0)), and bindable now.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = TEST_PORTS.from + Math.floor(Math.random() * (TEST_PORTS.to - TEST_PORTS.from));
    if (handedOut.has(port) || !(await bindable(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${TEST_PORTS.from}-${TEST_PORTS.to} after 200 tries`);
}
