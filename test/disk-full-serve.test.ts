/**
 * A served node whose disk fills up, on a real small file system (a tmpfs:
 * the kernel's ENOSPC, SQLite's SQLITE_FULL), beside a peer on an ordinary
 * disk. While the disk is full: the peer's search reports this node as
 * `unavailable`, never a no-hit; a local import is refused whole with 503;
 * the audit log gains no entry and loses none; /healthz says so and /metrics
 * shows the room left; the log names the cause. Once space is freed the same
 * search finds the record, without a restart, and the log still verifies.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { freePort, tempDir } from './helpers/cli.js';
import { smallDisk, smallDiskSupport, type SmallDisk } from '../scripts/lib/small-disk.js';

if (smallDiskSupport !== undefined) console.warn(`disk-full tests skipped: ${smallDiskSupport}`);

const PURPOSE = 'missing_child_tracing';
const child = { names: [{ given: 'Anna', family: 'Kowalska' }], dateOfBirth: { precision: 'day', date: '2015-03-04' } };
const record = (ref: string) => ({ ref, category: 'missing_child', owningUnit: 'PL unit', contactPoint: 'desk@pl.example', recordDate: '2026-01-01', retentionUntil: '2031-01-01', identifiers: child });

async function metric(node: FedNode, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`${name} missing from /metrics`);
  return Number(line.split(' ')[1]);
}

async function health(node: FedNode): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const r = await fetch(`${node.url}/healthz`);
  return { status: r.status, body: (await r.json()) as { status: string; checks: Record<string, string> } };
}

describe.skipIf(smallDiskSupport !== undefined)('a served node whose disk is full', () => {
  const t = tempDir('cairn-disk-full-');
  let disk: SmallDisk;
  let nodes: FedNode[] = [];
  let pl: FedNode;
  let de: FedNode;

  beforeAll(async () => {
    // PL's home is on a 32 MiB disk of its own; DE's on the ordinary one.
    disk = smallDisk(32 * 1024 * 1024);
    symlinkSync(disk.dir, join(t.dir, 'PL'));
    nodes = await startFederation(
      t.dir,
      [
        { country: 'PL', name: 'Poland', port: await freePort() },
        { country: 'DE', name: 'Germany', port: await freePort() },
      ],
      { [PURPOSE]: ['missing_child'] },
    );
    [pl, de] = nodes as [FedNode, FedNode];
    const stored = await api(pl, pl.tokens.analyst, 'POST', '/v1/records', { records: [record('PL-MC-1')] });
    expect(stored.status).toBe(200);
    await untilReplicasReady(de);
  }, 240_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    disk?.remove();
    t.cleanup();
  });

  /** Entries in PL's audit log, read from its database file beside the serving node (the metric lags: it counts the integrated tree). */
  const auditEntries = (): number => {
    const db = new BetterSqlite3(join(disk.dir, 'cairn.db'), { readonly: true });
    try {
      return (db.prepare('select count(*) as n from audit_entries').get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  const search = (caseReference: string) => api(de, de.tokens.analyst, 'POST', '/v1/searches', { purpose: PURPOSE, legalBasis: 'disk-full test', caseReference, identifiers: child });

  it('reports a small disk as low before it is full', async () => {
    const h = await health(pl);
    expect(h).toMatchObject({ status: 200, body: { status: 'ok', checks: { database: 'ok', storage: 'low' } } });
    expect(await metric(pl, 'cairn_storage_size_bytes')).toBe(32 * 1024 * 1024);
    expect(await metric(pl, 'cairn_database_bytes')).toBeGreaterThan(0);
  });

  /** Sign in to PL's console as its operator: the session cookie. */
  const signIn = async () => {
    const r = await fetch(`${pl.url}/console/login`, { method: 'POST', redirect: 'manual', headers: { origin: pl.url, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: pl.tokens.operator }) });
    return { status: r.status, cookie: r.headers.get('set-cookie')?.split(';')[0], text: await r.text() };
  };

  it('refuses what must be written while full, keeps the audit log whole, and takes requests again once there is room', async () => {
    const { cookie } = await signIn();
    expect(cookie).toBeDefined();
    const entriesBefore = auditEntries();
    disk.fill();
    try {
      // The operator already signed in keeps reading, and the console says what is wrong; a new sign-in (it stores a session) is refused.
      const page = await fetch(`${pl.url}/console/operator`, { headers: { cookie: cookie! } });
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain('The disk under the database is full');
      expect(html).toMatch(/<dt>Storage<\/dt>\s*<dd>[\d.]+ (bytes|KiB|MiB) free of 32 MiB on the disk under the database/);
      const refusedSignIn = await signIn();
      expect(refusedSignIn.status).toBe(503);
      expect(refusedSignIn.text).toContain('Not possible just now');
      expect(refusedSignIn.text).toContain('storage is full');

      const r = await search('CASE-FULL-1');
      expect(r.status).toBe(201);
      const result = (r.json.results as { peer: { country: string }; status: string; error?: { code: string; detail: string } }[]).find((x) => x.peer.country === 'PL')!;
      // Not a no-hit: the peer could not answer at all.
      expect(result.status).toBe('error');
      expect(result.error?.code).toBe('unavailable');
      // Refused before authentication, unsigned: the searcher takes the code, not the peer's words.
      expect(result.error?.detail).toMatch(/503 unavailable, unsigned/);

      const refused = await api(pl, pl.tokens.analyst, 'POST', '/v1/records', { records: [record('PL-MC-2')] });
      expect(refused.status).toBe(503);
      expect(refused.json).toMatchObject({ code: 'unavailable', detail: expect.stringContaining('storage is full') });

      expect(await health(pl)).toMatchObject({ status: 503, body: { status: 'degraded', checks: { database: 'ok', storage: 'full' } } });
      expect(await metric(pl, 'cairn_storage_free_bytes')).toBeLessThan(16 * 1024 * 1024);
      // Nothing of the refused requests was logged or stored.
      expect(auditEntries()).toBe(entriesBefore);
      expect(pl.log()).toContain('"code":"storage_full"');
    } finally {
      disk.free();
    }

    expect((await health(pl)).status).toBe(200);
    const again = await search('CASE-FULL-2');
    const found = (again.json.results as { peer: { country: string }; status: string; records?: { receipt: { record: { ref: string } } }[] }[]).find((x) => x.peer.country === 'PL')!;
    expect(found.status).toBe('hit');
    expect(found.records?.map((x) => x.receipt.record.ref)).toEqual(['PL-MC-1']);
    const stored = await api(pl, pl.tokens.analyst, 'POST', '/v1/records', { records: [record('PL-MC-2')] });
    expect(stored.status).toBe(200);
    expect(auditEntries()).toBeGreaterThan(entriesBefore);
  }, 120_000);

  it('leaves a database and an audit log that verify', async () => {
    await pl.stop();
    const db = new BetterSqlite3(join(disk.dir, 'cairn.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db.prepare("select count(*) as n from records where ref in ('PL-MC-1', 'PL-MC-2')").get() as { n: number }).n).toBe(2);
    } finally {
      db.close();
    }
    expect(cli(['audit', 'verify', '--home', join(t.dir, 'PL')])).toMatch(/^audit log OK/);
  }, 60_000);
});
