/**
 * The audit log over HTTP: DPO routes under /v1/audit (every read is itself
 * audited) and the peers' view under /federation/v1/audit (signed), for
 * witnessing and reconciliation.
 */
import { Hono } from 'hono';
import { consistencyQuerySchema, cosignatureRequestSchema, inclusionQuerySchema } from '../../../schemas/audit.js';
import { acceptCosignature, newestCosignedSizes } from '../../core/audit/cosignatures.js';
import { appendStatement } from '../../core/audit/entry.js';
import { consistencyProof, inclusionProof, latestCheckpoint, verifyLog } from '../../core/audit/log.js';
import { auditFilterSchema, entriesToCsv, listEntries, type AuditFilter } from '../../core/audit/query.js';
import { toBase64 } from '../../core/bytes.js';
import { CairnError } from '../../core/errors.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { Env, Services } from '../app.js';
import { validate } from '../../core/decode/json-body.js';
import { signedFederationRoute } from './federation.js';


export function auditRoutes(deps: Services): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const dpo = requireRole(deps.db, 'dpo');
  const audited = async (userId: string, what: string, filter: Partial<AuditFilter> | Record<string, unknown>) => {
    await deps.atomic.run([appendStatement(deps.db, { type: what === 'export' ? 'audit.export' : 'audit.read', actor: `user:${userId}`, data: { what, filter: JSON.parse(JSON.stringify(filter)) } }, deps.clock.now())]);
  };

  r.get('/v1/audit/entries', dpo, async (c) => {
    const f = validate(auditFilterSchema, c.req.query());
    await audited(c.get('user').id, 'entries', f);
    return c.json(await listEntries(deps.db, f));
  });

  r.get('/v1/audit/export', dpo, async (c) => {
    const { format, ...rest } = c.req.query();
    if (format !== undefined && format !== 'csv' && format !== 'json') throw new CairnError('invalid_request', 'format must be csv or json', { location: { field: 'format' } });
    const f = validate(auditFilterSchema, { ...rest, limit: rest.limit ?? '1000' });
    await audited(c.get('user').id, 'export', { ...f, format: format ?? 'json' });
    const all = [];
    let cursor = f.cursor;
    // Up to 100 pages of 1,000: larger exports use `cairn audit export`.
    for (let i = 0; i < 100; i++) {
      const page = await listEntries(deps.db, { ...f, limit: 1000, ...(cursor !== undefined ? { cursor } : {}) });
      all.push(...page.entries);
      if (page.next === null) break;
      cursor = page.next;
    }
    const name = `cairn-audit-${deps.config.node.country}-${deps.clock.now().toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      return c.body(entriesToCsv(all), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` });
    }
    return c.body(JSON.stringify({ node: deps.config.node.id, country: deps.config.node.country, exportedAt: deps.clock.now().toISOString(), entries: all }, null, 2), 200, {
      'content-type': 'application/json',
      'content-disposition': `attachment; filename="${name}.json"`,
    });
  });

  r.get('/v1/audit/checkpoint', dpo, async (c) => {
    const cp = await latestCheckpoint(deps.log);
    await audited(c.get('user').id, 'checkpoint', {});
    return c.json({ size: cp.size, root: toBase64(cp.root), checkpoint: cp.note });
  });

  r.get('/v1/audit/proofs/inclusion', dpo, async (c) => {
    const q = validate(inclusionQuerySchema, c.req.query());
    const p = await inclusionProof(deps.log, q.index, q.size);
    await audited(c.get('user').id, 'inclusion', q);
    return c.json({ leafIndex: p.leafIndex, treeSize: p.treeSize, leafHash: toBase64(p.leafHash), hashes: p.hashes.map(toBase64), entry: p.entry });
  });

  r.get('/v1/audit/proofs/consistency', dpo, async (c) => {
    const q = validate(consistencyQuerySchema, c.req.query());
    const p = await consistencyProof(deps.log, q.from, q.to);
    await audited(c.get('user').id, 'consistency', q);
    return c.json({ size1: p.size1, size2: p.size2, hashes: p.hashes.map(toBase64) });
  });

  r.post('/v1/audit/verify', dpo, async (c) => {
    const report = await verifyLog(deps.log);
    await audited(c.get('user').id, 'verify', { ok: report.ok, size: report.size });
    return c.json(report);
  });

  r.get('/v1/audit/witness', dpo, async (c) => {
    const peers = await deps.db.selectFrom('peers').select(['id', 'country', 'name']).execute();
    const latest = await deps.db
      .selectFrom('witnessed_checkpoints')
      .select(['peer_id', (eb) => eb.fn.max('size').as('size'), (eb) => eb.fn.max('at').as('at'), (eb) => eb.fn.countAll<number>().as('count')])
      .groupBy('peer_id')
      .execute();
    const alerts = await deps.db.selectFrom('witness_alerts').selectAll().orderBy('at', 'desc').limit(200).execute();
    const cosigned = await newestCosignedSizes(deps.db);
    await audited(c.get('user').id, 'witness', {});
    return c.json({
      peers: peers.map((p) => {
        const w = latest.find((l) => l.peer_id === p.id);
        return { peer: p.id, country: p.country, name: p.name, witnessedSize: w?.size ?? null, lastWitnessedAt: w?.at ?? null, checkpoints: Number(w?.count ?? 0), cosignedSize: cosigned.find((x) => x.peerId === p.id)?.size ?? null, alerts: alerts.filter((a) => a.peer_id === p.id).length };
      }),
      alerts: alerts.map((a) => ({ id: a.id, at: a.at, peer: a.peer_id, kind: a.kind, detail: a.detail })),
    });
  });

  // Peers' view: signed requests only.
  r.post(
    '/federation/v1/audit/checkpoint',
    signedFederationRoute(deps, async () => {
      const cp = await latestCheckpoint(deps.log);
      return { checkpoint: cp.note };
    }),
  );
  r.post(
    '/federation/v1/audit/consistency',
    signedFederationRoute(deps, async (_peer, body) => {
      const q = validate(consistencyQuerySchema, body);
      const p = await consistencyProof(deps.log, q.from, q.to);
      return { size1: p.size1, size2: p.size2, hashes: p.hashes.map(toBase64) };
    }),
  );
  r.post(
    '/federation/v1/audit/cosignature',
    signedFederationRoute(deps, async (peer, body) => {
      const q = validate(cosignatureRequestSchema, body);
      const { size } = await acceptCosignature({ ...deps.log, signer: deps.signer }, peer, q.checkpoint);
      return { size };
    }),
  );
  r.post(
    '/federation/v1/audit/inclusion',
    signedFederationRoute(deps, async (peer, body) => {
      const q = validate(inclusionQuerySchema, body);
      const p = await inclusionProof(deps.log, q.index, q.size);
      // A peer may read the entries it caused (its own requests), nothing else.
      const own = p.entry !== null && (JSON.parse(p.entry) as { actor: string }).actor === `peer:${peer.country}:${peer.id}`;
      return { leafIndex: p.leafIndex, treeSize: p.treeSize, leafHash: toBase64(p.leafHash), hashes: p.hashes.map(toBase64), entry: own ? p.entry : null };
    }),
  );
  return r;
}
