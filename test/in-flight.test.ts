/**
 * When a match query counts as alone (src/node/in-flight.ts), on a real
 * node:http server over loopback with the clock in the test's hands. The
 * case that matters: under load the next request is parsed only after the
 * last one finished, and must not count as alone, or every query is
 * evaluated on the main thread and the worker sits idle.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InFlight, QUIET_MS } from '../src/node/in-flight.js';

describe('InFlight', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** A server that asks alone() after `holdMs`, as the evaluator does after reading and verifying a request. */
  async function serve(inFlight: InFlight, holdMs: number) {
    const server = createServer((_req, res) => {
      setTimeout(() => res.end(String(inFlight.alone())), holdMs);
    });
    inFlight.track(server);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    return async () => (await (await fetch(url)).text()) === 'true';
  }

  it('says alone only for a lone request that arrived at a quiet server', async () => {
    let now = 1_000;
    const inFlight = new InFlight(() => now);
    const ask = await serve(inFlight, 5);
    // The first request of the server's life.
    expect(await ask()).toBe(true);
    // The next one straight after, as under load: not alone.
    expect(await ask()).toBe(false);
    expect(await ask()).toBe(false);
    // After a quiet spell: alone again.
    now += QUIET_MS;
    expect(await ask()).toBe(true);
    now += QUIET_MS - 1;
    expect(await ask()).toBe(false);
    // Requests that overlap: none is alone, not even the first one, once the others arrived.
    now += 10 * QUIET_MS;
    const slow = await serve(inFlight, 150);
    expect(await Promise.all(Array.from({ length: 8 }, slow))).toEqual(new Array(8).fill(false));
    expect(inFlight.open).toBe(0);
  });

  it('refuses to finish a request that never arrived', () => {
    expect(() => new InFlight().finished()).toThrow('without a request in flight');
  });
});
