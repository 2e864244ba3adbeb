/**
 * Retention on real nodes: a record past its retention date never matches
 * and is never disclosed, even before the purge has run; the retention job
 * (the one both runtimes schedule) purges it and prunes old audit payloads,
 * and the audit log still verifies.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { createAuditLog } from '../src/core/audit/log.js';
import { expiredSince, runRetention } from '../src/core/records/manage.js';
import { openNodeContext } from '../src/node/context.js';
import { cleanEnv, freePort, tempDir } from './helpers/cli.js';

const CONTEXT = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act (test)', caseReference: 'CASE-RET-1' };
const OLENA = { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } };
const YOUSEF = { names: [{ given: 'Yousef', family: 'Hadad' }], dateOfBirth: { precision: 'year', date: '2011' } };

function record(ref: string, category: string, identifiers: unknown) {
  return { ref, category, owningUnit: 'Missing children unit', contactPoint: `desk-${ref}@police.example`, recordDate: '2026-01-15', retentionUntil: '2036-01-01', identifiers };
}

describe('retention', () => {
  const t = tempDir('cairn-ret-');
  let xa: FedNode;
  let xb: FedNode;
  let nodes: FedNode[] = [];
  beforeAll(async () => {
    nodes = await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia child protection', port: await freePort() },
        { country: 'XB', name: 'Borduria police', port: await freePort() },
      ],
      { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] },
    );
    [xa, xb] = nodes as [FedNode, FedNode];
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [
        record('XA-MC-1', 'missing_child', { names: [{ given: 'Олена', family: 'Шевченко' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } }),
        record('XA-UM-7', 'unaccompanied_minor', { names: [{ given: 'Yusuf', family: 'Haddad' }], dateOfBirth: { precision: 'year', date: '2011' } }),
        record('XA-MC-2', 'missing_child', { names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } }),
      ],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
  }, 600_000); // two real nodes and a dozen CLI runs on a shared, loaded machine
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    t.cleanup();
  });

  const search = (identifiers: unknown) => api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers, peers: ['XA'] });

  it('never matches nor discloses a record past retention, before any purge', async () => {
    const hit = await search(OLENA);
    expect(hit.json.results[0]).toMatchObject({ status: 'hit', confirmation: 'confirmed' });
    const possible = await search(YOUSEF);
    expect(possible.json.results[0]).toMatchObject({ status: 'hit', strength: 'possible', confirmation: 'awaiting_analyst' });
    const disclosed = (await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming')).json.hits.length;

    // The calendar passes both records' retention dates (the serving node purges only hourly).
    const db = new Database(join(xa.home, 'cairn.db'));
    try {
      db.prepare("update records set retention_until = '2000-01-01' where ref in ('XA-MC-1', 'XA-UM-7')").run();
    } finally {
      db.close();
    }

    const after = await search(OLENA);
    expect(after.json.results[0]).toMatchObject({ status: 'no_hit' });
    const confirm = await api(xb, xb.tokens.analyst, 'POST', `/v1/searches/${possible.json.id}/confirm`, { peer: 'XA', justification: 'Same age, same reception centre.' });
    expect(confirm.json.results?.[0]?.confirmation ?? confirm.json.code, JSON.stringify(confirm.json)).not.toBe('confirmed');
    expect(JSON.stringify(confirm.json)).toMatch(/hit_not_found/);
    expect((await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming')).json.hits.length).toBe(disclosed);
    // A record still within retention keeps matching.
    const other = await search({ names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } });
    expect(other.json.results[0]).toMatchObject({ status: 'hit' });
  });

  it('purges records past retention and prunes old audit payloads in the scheduled job, and the log still verifies', async () => {
    let held = 0;
    const ctx = await openNodeContext(xa.home, cleanEnv());
    try {
      const now = new Date();
      // The peer's search above already made XA purge (an answer purges
      // records past retention before it computes its index deltas); the
      // scheduled job purges whatever is left and prunes nothing yet.
      const at = (clock: { now: () => Date }) => ({ db: ctx.db, atomic: ctx.atomic, clock, auditRetentionDays: 1095 });
      const logAt = (clock: { now: () => Date }) => createAuditLog({ ...at(clock), signer: ctx.keys.signer, baseUrl: ctx.config.node.url });
      const first = await runRetention({ ...at({ now: () => now }), audit: logAt({ now: () => now }) });
      expect(first.pruned).toBe(0);
      expect(await expiredSince(ctx.db, now)).toBeUndefined();
      const left = await ctx.db.selectFrom('records').select('ref').execute();
      expect(left.map((r) => r.ref)).toEqual(['XA-MC-2']);
      const orphans = await ctx.db.selectFrom('tokens').select('record_id').where('record_id', 'not in', ctx.db.selectFrom('records').select('id')).execute();
      expect(orphans).toEqual([]);
      const purge = await ctx.db.selectFrom('audit_entries').select('entry').where('type', '=', 'records.purge').executeTakeFirstOrThrow();
      expect(JSON.parse(purge.entry!).data).toMatchObject({ count: 2, refs: ['XA-MC-1', 'XA-UM-7'] });

      // Four years on, every payload is past a three-year audit retention; leaf hashes stay.
      const later = new Date(now.getTime() + 4 * 365 * 86_400_000);
      held = Number((await ctx.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('entry', 'is not', null).executeTakeFirstOrThrow()).n);
      const second = await runRetention({ ...at({ now: () => later }), audit: logAt({ now: () => later }) });
      expect(second).toEqual({ purged: 0, pruned: held });
    } finally {
      await ctx.close();
    }
    const verified = await api(xa, xa.tokens.dpo, 'POST', '/v1/audit/verify');
    expect(verified.json, JSON.stringify(verified.json)).toMatchObject({ ok: true });
    expect(verified.json.pruned).toBeGreaterThanOrEqual(held);
  });
});
