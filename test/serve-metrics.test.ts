/**
 * /metrics kept from the peers' port: behind an operator token
 * (metrics.requireToken) or on a listener of its own (metrics.listen).
 * Real `cairn serve` children.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cairn, freePort, initNode, serveNode, tempDir } from './helpers/cli.js';

describe('cairn serve: where /metrics is served', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('with metrics.requireToken answers only an operator', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'LT', port);
    const token = (role: string) => JSON.parse(cairn(['users', 'add', '--home', t.dir, '--role', role, '--name', role, '--json']).stdout).token as string;
    const operator = token('operator');
    const analyst = token('analyst');
    const node = await serveNode(t.dir, { port, env: { CAIRN_METRICS_REQUIRE_TOKEN: 'true' } });
    cleanups.push(node.stop);
    const anon = await fetch(`${node.url}/metrics`);
    expect(anon.status).toBe(401);
    expect((await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${analyst}` } })).status).toBe(403);
    const ok = await fetch(`${node.url}/metrics`, { headers: { authorization: `Bearer ${operator}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('cairn_http_requests_total');
  }, 180_000);

  it('with metrics.listen serves it on its own address and not on the main port', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    const metricsPort = await freePort();
    initNode(t.dir, 'LV', port);
    const node = await serveNode(t.dir, { port, env: { CAIRN_METRICS_LISTEN: `127.0.0.1:${metricsPort}` } });
    cleanups.push(node.stop);
    expect((await fetch(`${node.url}/metrics`)).status).toBe(404);
    await fetch(`${node.url}/healthz`);
    const m = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('version=0.0.4');
    expect(await m.text()).toMatch(/cairn_http_requests_total\{[^}]*route="\/healthz"[^}]*\} \d+/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/v1/records/stats`)).status).toBe(404);
    // A bad address stops start-up with the field and the reason.
    const bad = cairn(['serve', '--home', t.dir, '--port', String(await freePort())], { env: { CAIRN_METRICS_LISTEN: 'everywhere' } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('metrics.listen (from CAIRN_METRICS_LISTEN)');
  }, 180_000);
});
