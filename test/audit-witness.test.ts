/**
 * Witnessing between real nodes: a searching node keeps the checkpoints its
 * peer shows it, proves its searches are in the peer's log (reconcile), and
 * raises an alert when the peer rewrites its history, without overwriting
 * what it stored. Forged checkpoints are refused the same way. These nodes
 * check every new checkpoint; with an interval, a searcher checks a peer's
 * checkpoints at most that often, and a rewrite is still found after it.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, serve, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { leafHashOf } from '../src/core/audit/entry.js';
import { cairn, freePort, tempDir } from './helpers/cli.js';

const CTX = { purpose: 'missing_child_tracing', legalBasis: 'Art. 3 (test)', caseReference: 'WIT-1' };
const IDS = { names: [{ given: 'Nadia', family: 'Karimi' }], dateOfBirth: { precision: 'day', date: '2015-03-03' } };

/** One sample of a /metrics series of a node, or undefined when absent. */
async function metric(node: FedNode, series: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function dbOf(node: FedNode, readonly = true) {
  return new Database(join(node.home, 'cairn.db'), { readonly });
}

/** Two peered nodes XA and XB with one missing-child record `ref` at XA; `env` configures both. */
async function startPair(dir: string, env: Record<string, string>, ref: string): Promise<[FedNode, FedNode]> {
  const ports = [await freePort(), await freePort()];
  const pair = (await startFederation(dir, [{ country: 'XA', name: 'A', port: ports[0]! }, { country: 'XB', name: 'B', port: ports[1]! }], { missing_child_tracing: ['missing_child'] }, env)) as [FedNode, FedNode];
  const r = await api(pair[0], pair[0].tokens.analyst, 'POST', '/v1/records', {
    records: [{ ref, category: 'missing_child', owningUnit: 'U', contactPoint: 'c@x.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: IDS }],
  });
  expect(r.status).toBe(200);
  return pair;
}

/** Checkpoints of its peer that `node` stored. */
function witnessedCount(node: FedNode): number {
  const d = dbOf(node);
  try {
    return (d.prepare('select count(*) n from witnessed_checkpoints').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

/** XA's operator rewrites an early entry and rebuilds the whole tree and checkpoints from it; XA is restarted. */
async function rewriteHistory(xa: FedNode): Promise<void> {
  await xa.stop();
  const a = dbOf(xa, false);
  const row = a.prepare('select entry from audit_entries where idx = 3').get() as { entry: string };
  const forged = `${row.entry.slice(0, -1)},"z":"rewritten"}`;
  expect(forged).not.toBe(row.entry);
  a.prepare('update audit_entries set entry = ?, leaf_hash = ? where idx = 3').run(forged, Buffer.from(leafHashOf(forged)));
  a.exec('delete from merkle_nodes; delete from audit_tree; delete from audit_checkpoints;');
  a.close();
  const srv = await serve(xa.home, xa.port, { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0' });
  xa.stop = srv.stop;
}

describe('witnessing and reconciliation', () => {
  const t = tempDir('cairn-witness-');
  let xa: FedNode;
  let xb: FedNode;

  beforeAll(async () => {
    [xa, xb] = await startPair(t.dir, { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0', CAIRN_FEDERATION_WITNESS_INTERVAL_MS: '0' }, 'XA-N-1');
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  it('stores the checkpoints a peer shows, and proves every search is in its log', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, caseReference: `WIT-${i}`, identifiers: IDS });
      expect(r.json.results[0].status).toBe('hit');
    }
    // Witnessing runs after the search has answered.
    await expect.poll(() => witnessedCount(xb), { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const rec = cairn(['audit', 'reconcile', '--peer', 'XA', '--home', xb.home]);
    expect(rec.status, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/XA: checkpoint size \d+ \((stored|known)\); 3 of 3 searches proven in its log/);
    const status = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(status.json.peers[0]).toMatchObject({ country: 'XA', alerts: 0 });
    expect(status.json.peers[0].witnessedSize).toBeGreaterThan(0);
    // Monitoring reads the same state from the database at each scrape.
    expect(await metric(xb, 'cairn_peer_up{peer="XA"}')).toBe(1);
    expect(await metric(xb, 'cairn_witness_alerts{peer="XA"}')).toBe(0);
    expect(await metric(xb, 'cairn_replica_ready{category="missing_child",peer="XA"}')).toBe(1);
    expect(await metric(xb, 'cairn_peer_last_contact_age_seconds{peer="XA"}')).toBeLessThan(60);
    // With a checkpoint at every entry (interval 0), XA's newest checkpoint is fresh and covers its log.
    await expect.poll(() => metric(xa, 'cairn_audit_uncovered_entries'), { timeout: 10_000 }).toBe(0);
    expect(await metric(xa, 'cairn_audit_checkpoint_age_seconds')).toBeLessThan(60);
    expect(await metric(xa, 'cairn_audit_entries')).toBeGreaterThan(3);
  });

  it('lists a search the peer cannot prove', async () => {
    // Pretend the peer had given another index for one of our searches.
    const d = dbOf(xb, false);
    d.prepare("update search_results set peer_log_index = 0 where rowid = (select min(rowid) from search_results)").run();
    d.close();
    const rec = cairn(['audit', 'reconcile', '--peer', 'XA', '--home', xb.home]);
    expect(rec.status).toBe(1);
    expect(rec.stdout).toMatch(/2 of 3 searches proven/);
    expect(rec.stdout).toMatch(/MISSING s_[0-9a-f]+ \(index 0\): entry 0 is not ours/);
  });

  it('raises an alert when the peer rewrites its history, and keeps the checkpoints it stored', async () => {
    const before = dbOf(xb);
    const stored = before.prepare('select size, hex(root) root from witnessed_checkpoints order by size').all();
    before.close();
    await rewriteHistory(xa);
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, caseReference: 'WIT-after', identifiers: IDS });
    expect(r.json.results[0].status).toBe('hit');
    await expect.poll(async () => (await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness')).json.alerts.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const status = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(status.json.alerts[0]).toMatchObject({ peer: expect.any(String), kind: 'inconsistent', detail: expect.stringContaining('history was rewritten or forked') });
    const after = dbOf(xb);
    const kept = after.prepare('select size, hex(root) root from witnessed_checkpoints order by size').all();
    after.close();
    expect(kept).toEqual(stored);
    const rec = cairn(['audit', 'reconcile', '--peer', 'XA', '--home', xb.home]);
    expect(rec.status).toBe(1);
    expect(rec.stdout).toContain('(alert)');
    // The alert is itself in XB's log.
    const entries = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/entries?type=witness.alert');
    expect(entries.json.entries.length).toBeGreaterThanOrEqual(1);
    expect(await metric(xb, 'cairn_witness_alerts{peer="XA"}')).toBeGreaterThanOrEqual(1);
  });

  it('refuses a forged checkpoint and a proof request beyond the tree', async () => {
    const { witnessCheckpoint } = await import('../src/core/federation/witness.js');
    const { findPeer } = await import('../src/core/federation/peers.js');
    const { openSqlite } = await import('../src/node/sqlite.js');
    const { sqliteAtomicWriter } = await import('../src/node/atomic.js');
    const { silentLogger, systemClock, webRandom } = await import('../src/core/ports.js');
    const { ed25519Signer } = await import('../src/core/signing.js');
    const h = openSqlite(join(xb.home, 'cairn.db'));
    try {
      const peer = await findPeer(h.db, 'XA');
      const deps = { db: h.db, atomic: sqliteAtomicWriter(h.raw), logger: silentLogger, clock: systemClock, random: webRandom, signer: ed25519Signer(new Uint8Array(32).fill(3)), fetch, timeoutMs: 5000, maxResponseBytes: 1 << 20 };
      const count = () => (h.raw.prepare('select count(*) n from witnessed_checkpoints').get() as { n: number }).n;
      const n0 = count();
      const forged = `127.0.0.1:${xa.port}/cairn-audit\n999\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— 127.0.0.1:${xa.port}/cairn-audit AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n`;
      expect(await witnessCheckpoint(deps, peer, forged)).toBe('alert');
      expect(await witnessCheckpoint(deps, peer, 'not a note at all')).toBe('alert');
      expect(count()).toBe(n0);
      // The same forged note again is the same event: counted on its alert, not a new one.
      const alerts = () => h.raw.prepare("select count(*) n, sum(seen) seen from witness_alerts where kind = 'bad_signature'").get() as { n: number; seen: number };
      const a0 = alerts();
      expect(await witnessCheckpoint(deps, peer, forged)).toBe('alert');
      expect(alerts()).toEqual({ n: a0.n, seen: a0.seen + 1 });
    } finally {
      await h.close();
    }
    const beyond = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/proofs/consistency?from=5&to=100000');
    expect([beyond.status, beyond.json.field]).toEqual([400, 'size']);
  });

  it('shows a peer that could not be reached as down in /metrics, from a search run by the command line', async () => {
    await xa.stop();
    const r = cairn(['search', '--home', xb.home, '--purpose', CTX.purpose, '--legal-basis', CTX.legalBasis, '--case', 'WIT-down', '--given', 'Nadia', '--family', 'Karimi', '--dob', '2015-03-03']);
    expect(r.status, r.stdout + r.stderr).toBe(4);
    expect(await metric(xb, 'cairn_peer_up{peer="XA"}')).toBe(0);
  });
});

describe('witnessing at most once an interval', () => {
  const t = tempDir('cairn-witness-interval-');
  const INTERVAL_MS = 2000;
  let xa: FedNode;
  let xb: FedNode;

  beforeAll(async () => {
    [xa, xb] = await startPair(t.dir, { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0', CAIRN_FEDERATION_WITNESS_INTERVAL_MS: String(INTERVAL_MS) }, 'XA-I-1');
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  /** XB's consistency-proof and cosignature requests to XA, from XA's request log (its /metrics). */
  const auditRequests = async () => {
    const text = await (await fetch(`http://127.0.0.1:${xa.port}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => /^cairn_http_requests_total\{.*route="\/federation\/v1\/audit\/(consistency|cosignature)"/.test(l))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  };
  const witnessed = () => witnessedCount(xb);
  const search = async (caseReference: string) => {
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, caseReference, identifiers: IDS });
    expect(r.json.results[0].status).toBe('hit');
  };

  it('checks the first checkpoint at once and the next one only after the interval, and reconciling proves every search', async () => {
    await search('INT-0');
    await expect.poll(witnessed, { timeout: 10_000 }).toBe(1);
    await expect.poll(auditRequests, { timeout: 10_000 }).toBeGreaterThan(0);
    const requests = await auditRequests();
    const since = Date.now();
    // Each answer carries a new checkpoint of XA (interval 0 there), and none of them is checked within the interval.
    for (let i = 1; i <= 3; i++) await search(`INT-${i}`);
    if (Date.now() - since < INTERVAL_MS - 200) {
      expect(witnessed()).toBe(1);
      expect(await auditRequests()).toBe(requests);
    }
    // Past the interval, the next answer's checkpoint is checked: its proof spans the ones left unchecked.
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 100));
    await search('INT-4');
    await expect.poll(witnessed, { timeout: 10_000 }).toBe(2);
    expect(await auditRequests()).toBeGreaterThan(requests);
    const rec = cairn(['audit', 'reconcile', '--peer', 'XA', '--home', xb.home]);
    expect(rec.status, rec.stdout + rec.stderr).toBe(0);
    expect(rec.stdout).toMatch(/5 of 5 searches proven in its log/);
  });

  it('still finds a rewritten history, at the first check after the interval', async () => {
    await rewriteHistory(xa);
    await new Promise((r) => setTimeout(r, INTERVAL_MS + 100));
    await search('INT-after');
    await expect.poll(async () => (await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness')).json.alerts.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const status = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(status.json.alerts[0]).toMatchObject({ kind: 'inconsistent' });
  });
});
