/**
 * A peer whose log goes back: XB restores a backup (the real `cairn backup`
 * and `cairn restore`) taken before XA witnessed and cosigned a larger
 * checkpoint of its log. XA raises one `rollback` alert at the first check,
 * worded in the right direction and with both signed notes as evidence;
 * later checks of the same event count it instead of adding alerts;
 * reconciliation names the rollback instead of blaming each entry; searches
 * go on as they do for a forked peer. A checkpoint that is merely older than
 * one witnessed (an answer that arrives late) is no rollback.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, serve, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { cairn, freePort, tempDir } from './helpers/cli.js';

const ENV = { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0', CAIRN_FEDERATION_WITNESS_INTERVAL_MS: '0' };
const CTX = { purpose: 'missing_child_tracing', legalBasis: 'Art. 3 (test)' };
const IDS = { names: [{ given: 'Marta', family: 'Kowalczyk' }], dateOfBirth: { precision: 'day', date: '2016-02-11' } };

interface AlertRow {
  id: string;
  at: string;
  kind: string;
  detail: string;
  evidence: string;
  last_seen_at: string | null;
  seen: number;
}

/** Run `fn` on a read-only handle of `file`. */
function read<T>(file: string, fn: (d: Database.Database) => T): T {
  const d = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

const dbFile = (node: FedNode) => join(node.home, 'cairn.db');
/** The largest checkpoint of its peer `node` stored. */
const witnessedMax = (node: FedNode) => read(dbFile(node), (d) => (d.prepare('select coalesce(max(size), 0) n from witnessed_checkpoints').get() as { n: number }).n);
/** The alerts `node` raised, oldest first. */
const alertsOf = (node: FedNode) => read(dbFile(node), (d) => d.prepare('select * from witness_alerts order by at, id').all() as AlertRow[]);
/** How many entries a node's audit log (or a backup's database) holds. */
const logSize = (file: string) => read(file, (d) => (d.prepare('select count(*) n from audit_entries').get() as { n: number }).n);

describe('a peer that restores an old backup of its log', () => {
  const t = tempDir('cairn-witness-rollback-');
  let xa: FedNode;
  let xb: FedNode;
  let searches = 0;

  /** XA searches XB (which holds the record): the result never depends on witnessing. */
  const search = async () => {
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/searches', { ...CTX, caseReference: `RB-${searches++}`, identifiers: IDS });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.results[0]).toMatchObject({ status: 'hit' });
  };

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(t.dir, [{ country: 'XA', name: 'A', port: ports[0]! }, { country: 'XB', name: 'B', port: ports[1]! }], { missing_child_tracing: ['missing_child'] }, ENV)) as [FedNode, FedNode];
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XB-R-1', category: 'missing_child', owningUnit: 'U', contactPoint: 'c@x.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  let backupSize = 0;
  let witnessed = 0;

  it('XA witnesses XB past the size of a backup XB took', async () => {
    for (let i = 0; i < 2; i++) await search();
    await expect.poll(() => witnessedMax(xa), { timeout: 10_000 }).toBeGreaterThan(0);
    const dest = join(t.dir, 'xb-backup');
    const b = cairn(['backup', dest, '--home', xb.home]);
    expect(b.status, b.stdout + b.stderr).toBe(0);
    backupSize = logSize(join(dest, 'cairn.db'));
    // XB's log grows well past the backup, and XA witnesses (and cosigns) it there.
    while (witnessedMax(xa) < backupSize + 10) {
      const before = witnessedMax(xa);
      await search();
      await expect.poll(() => witnessedMax(xa), { timeout: 10_000 }).toBeGreaterThan(before);
    }
    witnessed = witnessedMax(xa);
    expect(alertsOf(xa)).toEqual([]);
  });

  it('takes a checkpoint older than one witnessed (a late answer) for no rollback when the peer proves it consistent', async () => {
    const { witnessCheckpoint } = await import('../src/core/federation/witness.js');
    const { findPeer } = await import('../src/core/federation/peers.js');
    const { openSqlite } = await import('../src/node/sqlite.js');
    const { sqliteAtomicWriter } = await import('../src/node/atomic.js');
    const { silentLogger, systemClock, webRandom } = await import('../src/core/ports.js');
    const { openSigningKeys } = await import('../src/node/signing-keys.js');
    const h = openSqlite(dbFile(xa));
    try {
      const peer = await findPeer(h.db, 'XB');
      const deps = { db: h.db, atomic: sqliteAtomicWriter(h.raw), logger: silentLogger, clock: systemClock, random: webRandom, signer: openSigningKeys(join(xa.home, 'keys/signing.key')).signer, fetch, timeoutMs: 5000, maxResponseBytes: 1 << 20 };
      const stored = () => (h.raw.prepare('select size from witnessed_checkpoints order by size').all() as { size: number }[]).map((r) => r.size);
      // A checkpoint XB signed below the largest one XA holds, which XA never stored: as an answer that arrives late carries.
      // XB signs a checkpoint after each write, and most of them XA never sees; if it saw them all, it forgets one.
      const signed = read(dbFile(xb), (d) => d.prepare('select size, note from audit_checkpoints where size > 1 and size < ? order by size desc').all(witnessed) as { size: number; note: string }[]);
      let late = signed.find((c) => !stored().includes(c.size));
      if (!late) {
        late = signed[0]!;
        h.raw.prepare('delete from witnessed_checkpoints where size = ?').run(late.size);
      }
      const sizes = stored();
      expect(sizes.at(-1)).toBe(witnessed);
      expect(await witnessCheckpoint(deps, peer, late.note)).toBe('known');
      expect(stored()).toEqual(sizes);
      expect(alertsOf(xa)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('XB restores the backup', async () => {
    await xb.stop();
    const rs = cairn(['restore', join(t.dir, 'xb-backup'), '--home', xb.home, '--force']);
    expect(rs.status, rs.stdout + rs.stderr).toBe(0);
    const srv = await serve(xb.home, xb.port, ENV);
    xb.stop = srv.stop;
    expect(logSize(dbFile(xb))).toBeLessThan(witnessed - 6);
  });

  it('raises one rollback alert at the first check, worded as a rollback, with both signed notes', async () => {
    await search();
    await expect.poll(() => alertsOf(xa).length, { timeout: 10_000 }).toBe(1);
    const [a] = alertsOf(xa);
    expect(a!.kind).toBe('rollback');
    const m = /^XB's log went back from size (\d+) to (\d+)/.exec(a!.detail);
    expect(m, a!.detail).not.toBeNull();
    expect(Number(m![1])).toBe(witnessed);
    expect(Number(m![2])).toBeLessThan(witnessed);
    expect(Number(m![2])).toBeGreaterThanOrEqual(backupSize);
    // The evidence: the checkpoint XA witnessed and the smaller one XB shows now, both signed by XB.
    const evidence = JSON.parse(a!.evidence) as { witnessed: string; received: string };
    expect(evidence.witnessed.split('\n')[1]).toBe(String(witnessed));
    expect(evidence.received.split('\n')[1]).toBe(m![2]);
    for (const note of [evidence.witnessed, evidence.received]) expect(note).toMatch(/\n\n— 127\.0\.0\.1:\d+\/cairn-audit /);
    // It is in XA's own log, once; the DPO sees it.
    const entries = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/entries?type=witness.alert');
    expect(entries.json.entries).toHaveLength(1);
    const status = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(status.json.alerts).toEqual([expect.objectContaining({ kind: 'rollback', detail: a!.detail })]);
  });

  it('counts later checks of the same rollback on that alert instead of adding alerts', async () => {
    const [first] = alertsOf(xa);
    await search();
    await expect.poll(() => alertsOf(xa)[0]!.seen, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
    const after = alertsOf(xa);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: first!.id, at: first!.at, detail: first!.detail, evidence: first!.evidence });
    expect(after[0]!.last_seen_at! >= first!.last_seen_at!).toBe(true);
    const entries = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/entries?type=witness.alert');
    expect(entries.json.entries).toHaveLength(1);
    // The DPO's API says how often, and when last.
    const status = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(status.json.alerts).toEqual([expect.objectContaining({ kind: 'rollback', seen: after[0]!.seen, lastSeenAt: after[0]!.last_seen_at })]);
    expect(status.json.peers.find((p: { country: string }) => p.country === 'XB')).toMatchObject({ alerts: 1, alertKinds: ['rollback'] });
  });

  it('reconcile says the peer rolled back, instead of blaming each entry, and fails', async () => {
    const rec = cairn(['audit', 'reconcile', '--peer', 'XB', '--home', xa.home]);
    expect(rec.status, rec.stdout + rec.stderr).toBe(1);
    const head = /^XB: checkpoint size (\d+) \(alert\); (\d+) of (\d+) searches proven in its log/.exec(rec.stdout);
    expect(head, rec.stdout).not.toBeNull();
    // The searches logged before the backup, and those since the restore, are in XB's log as it is now.
    expect(Number(head![2])).toBeGreaterThanOrEqual(2);
    expect(Number(head![2])).toBeLessThan(Number(head![3]));
    expect(rec.stdout).not.toContain('is not ours');
    const missing = rec.stdout.split('\n').filter((l) => l.includes('MISSING'));
    expect(missing.length).toBeGreaterThan(0);
    for (const l of missing) expect(l).toMatch(new RegExp(`(no longer holds this search at index|is beyond the peer's checkpoint).* \\(rollback: XB's log went back from size ${witnessed} to \\d+\\)$`));
    const json = JSON.parse(cairn(['audit', 'reconcile', '--peer', 'XB', '--home', xa.home, '--json']).stdout);
    expect(json.alert).toMatchObject({ kind: 'rollback', seen: expect.any(Number) });
    // The same for a DPO in the API, without a shell on the node; logged as a read.
    const api1 = await api(xa, xa.tokens.dpo, 'POST', '/v1/audit/reconcile', { peer: 'XB' });
    expect(api1.status, JSON.stringify(api1.json)).toBe(200);
    expect(api1.json).toMatchObject({ peer: { country: 'XB' }, witness: 'alert', alert: { kind: 'rollback' }, checked: json.checked, proven: json.proven });
    expect(api1.json.missing.length).toBe(json.missing.length);
    const reads = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/entries?type=audit.read&limit=1000');
    expect(reads.json.entries.some((e: { data: { what: string } }) => e.data.what === 'reconcile')).toBe(true);
    expect((await api(xa, xa.tokens.analyst, 'POST', '/v1/audit/reconcile', { peer: 'XB' })).status).toBe(403);
    const unknown = await api(xa, xa.tokens.dpo, 'POST', '/v1/audit/reconcile', { peer: 'XZ' });
    expect([unknown.status, unknown.json.code]).toEqual([404, 'not_found']);
    expect(alertsOf(xa)).toHaveLength(1);
  });

  it('once XB regrows past the witnessed size, says once more that its history was rewritten, and counts the rest', async () => {
    while (logSize(dbFile(xb)) < witnessed + 4) await search();
    await search();
    await expect.poll(() => alertsOf(xa).length, { timeout: 10_000 }).toBe(2);
    const grown = alertsOf(xa);
    const rewrite = grown[1]!;
    // Found as a fork when a check lands on a size XA stored, else by a proof that fails.
    if (rewrite.kind === 'fork') expect(rewrite.detail).toMatch(/^XB signed two different roots for tree size \d+$/);
    else expect(rewrite.detail).toMatch(new RegExp(`^XB's (log at size \\d+ is not an extension|checkpoint of size \\d+ is not a prefix) of its log at size ${witnessed} we witnessed: history was rewritten or forked$`));
    expect(grown[0]!.kind).toBe('rollback');
    expect(['fork', 'inconsistent']).toContain(rewrite.kind);
    for (let i = 0; i < 2; i++) await search();
    await expect.poll(() => alertsOf(xa)[1]!.seen, { timeout: 10_000 }).toBeGreaterThan(rewrite.seen);
    expect(alertsOf(xa).map((a) => a.id)).toEqual(grown.map((a) => a.id));
    // Monitoring counts events, not checks.
    const metrics = await (await fetch(`${xa.url}/metrics`)).text();
    expect(metrics).toContain(`cairn_witness_alerts{peer="XB"} ${grown.length}`);
  });

  it('reconcile with a peer that cannot be reached says so, and fails', async () => {
    await xb.stop();
    const rec = cairn(['audit', 'reconcile', '--peer', 'XB', '--home', xa.home]);
    expect(rec.status).toBe(1);
    expect(rec.stderr).toMatch(/XB is unreachable/);
  });
});
