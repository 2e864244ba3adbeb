/**
 * Replicas between real nodes (separate processes, SQLite files, loopback
 * HTTP): `cairn peers sync` with progress, replica lines in `peers list`,
 * and the serving node's background sync after a policy change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { freePort, tempDir } from './helpers/cli.js';
import { person } from './helpers/index-nodes.js';

const POLICY = { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] };

describe('replicas between real nodes', () => {
  const t = tempDir('cairn-index-');
  let xa: FedNode;
  let xb: FedNode;

  beforeAll(async () => {
    const nodes = await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia', port: await freePort() },
        { country: 'XB', name: 'Borduria', port: await freePort() },
      ],
      POLICY,
    );
    [xa, xb] = nodes as [FedNode, FedNode];
  }, 400_000);
  afterAll(async () => {
    await Promise.all([xa, xb].map((n) => n?.stop()));
    t.cleanup();
  });

  it('syncs from the command line with progress, and lists replica state', async () => {
    // startFederation synced the empty indexes: ready at version 0.
    expect(cli(['peers', 'list', '--home', xb.home])).toMatch(/replica missing_child: ready, version 0, 0 fingerprints/);
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: Array.from({ length: 5 }, (_, i) => person(`XA-${i}`, 'missing_child', i)) });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const out = cli(['peers', 'sync', 'XA', '--home', xb.home]);
    expect(out).toMatch(/XA missing_child: ready, version [1-9]\d*, [1-9]\d* fingerprints/);
    expect(out).toMatch(/XA unaccompanied_minor: ready, version 0, 0 fingerprints/);
    const list = cli(['peers', 'list', '--home', xb.home]);
    expect(list).toMatch(/replica missing_child: ready, version [1-9]/);
    // After a resync forced by a fresh full transfer, progress lines are printed.
    cli(['peers', 'remove', 'XA', '--home', xb.home]);
    cli(['peers', 'add', xa.url, '--home', xb.home, '--fingerprint', xa.fingerprint, '--no-sync']);
    const full = cli(['peers', 'sync', '--home', xb.home]);
    expect(full).toMatch(/XA missing_child: snapshot 100% \(65536\/65536 shards\)/);
    expect(full).toMatch(/XA missing_child: ready/);
  }, 240_000);

  it('the serving node syncs in the background after a policy change', async () => {
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: [person('XA-UM-1', 'unaccompanied_minor', 40)] });
    expect(r.status).toBe(200);
    const peers = await api(xb, xb.tokens.operator, 'GET', '/v1/peers');
    const peerA = peers.json.peers.find((p: { country: string }) => p.country === 'XA');
    const set = await api(xb, xb.tokens.operator, 'PUT', `/v1/peers/${peerA.id}/policy`, { purposes: POLICY });
    expect(set.status).toBe(200);
    const deadline = Date.now() + 60_000;
    let um: { status: string; count: number } | undefined;
    while (Date.now() < deadline) {
      const res = await api(xb, xb.tokens.operator, 'GET', '/v1/peers/replicas');
      um = res.json.replicas.find((x: { peer: string; category: string }) => x.peer === peerA.id && x.category === 'unaccompanied_minor');
      if (um?.status === 'ready' && um.count > 0) break;
      await new Promise((res2) => setTimeout(res2, 200));
    }
    expect(um).toMatchObject({ status: 'ready' });
    expect(um!.count).toBeGreaterThan(0);
    // The operator's console page shows each replica's state.
    const login = await fetch(`${xb.url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: xb.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: xb.tokens.operator }).toString(),
    });
    const cookie = /cairn_console=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0];
    expect(cookie, String(login.status)).toBeDefined();
    const page = await (await fetch(`${xb.url}/console/operator`, { headers: { cookie: cookie! } })).text();
    expect(page).toMatch(/replica of unaccompanied minor: ready, [1-9]\d* fingerprints/);
  }, 120_000);
});
