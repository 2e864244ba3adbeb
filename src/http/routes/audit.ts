/**
 * The audit log over HTTP: DPO routes under /v1/audit (every read is itself
 * audited) and the peers' view under /federation/v1/audit (signed), for
 * witnessing and reconciliation.
 */
import { Hono } from 'hono';
import { consistencyQuerySchema, cosignatureRequestSchema, inclusionQuerySchema, reconcileRequestSchema } from '../../../schemas/audit.js';
import { auditFilterSchema, type AuditFilter } from '../../core/audit/query.js';
import { toBase64 } from '../../core/bytes.js';
import { CairnError } from '../../core/errors.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson, validate, validateQuery } from '../../core/decode/json-body.js';
import { signedFederationRoute } from './signed.js';

/** Alerts listed by GET /v1/audit/witness. */
const WITNESS_ALERTS = 200;

export function auditRoutes(ctx: AppContext): Hono<Env & AuthEnv> {
  const { services, clock } = ctx;
  const { audit, config } = services;
  const r = new Hono<Env & AuthEnv>();
  const dpo = requireRole(services.users, 'dpo');
  const audited = (userId: string, what: string, filter: Partial<AuditFilter> | Record<string, unknown>) =>
    audit.record(what === 'export' ? 'audit.export' : 'audit.read', `user:${userId}`, { what, filter });

  r.get('/v1/audit/entries', dpo, async (c) => {
    const f = validateQuery(auditFilterSchema, c.req.query());
    await audited(c.get('user').id, 'entries', f);
    return c.json(await audit.entries(f));
  });

  r.get('/v1/audit/export', dpo, async (c) => {
    const { format, ...rest } = c.req.query();
    if (format !== undefined && format !== 'csv' && format !== 'json') throw new CairnError('invalid_request', 'format must be csv or json', { location: { field: 'format' } });
    const f = validateQuery(auditFilterSchema, { ...rest, limit: rest.limit ?? '1000' });
    // Read first: an export refused for its size (more than EXPORT_MAX_ENTRIES) discloses nothing, so it logs nothing.
    const all = await audit.exportEntries(f);
    await audited(c.get('user').id, 'export', { ...f, format: format ?? 'json', entries: all.length });
    const name = `cairn-audit-${config.node.country}-${clock.now().toISOString().slice(0, 10)}`;
    if (format === 'csv') {
      return c.body(audit.toCsv(all), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="${name}.csv"` });
    }
    return c.body(JSON.stringify({ node: config.node.id, country: config.node.country, exportedAt: clock.now().toISOString(), entries: all }, null, 2), 200, {
      'content-type': 'application/json',
      'content-disposition': `attachment; filename="${name}.json"`,
    });
  });

  r.get('/v1/audit/checkpoint', dpo, async (c) => {
    const cp = await audit.log.latestCheckpoint();
    await audited(c.get('user').id, 'checkpoint', {});
    return c.json({ size: cp.size, root: toBase64(cp.root), checkpoint: cp.note });
  });

  r.get('/v1/audit/proofs/inclusion', dpo, async (c) => {
    const q = validateQuery(inclusionQuerySchema, c.req.query());
    const p = await audit.log.inclusionProof(q.index, q.size);
    await audited(c.get('user').id, 'inclusion', q);
    return c.json({ leafIndex: p.leafIndex, treeSize: p.treeSize, leafHash: toBase64(p.leafHash), hashes: p.hashes.map(toBase64), entry: p.entry });
  });

  r.get('/v1/audit/proofs/consistency', dpo, async (c) => {
    const q = validateQuery(consistencyQuerySchema, c.req.query());
    const p = await audit.log.consistencyProof(q.from, q.to);
    await audited(c.get('user').id, 'consistency', q);
    return c.json({ size1: p.size1, size2: p.size2, hashes: p.hashes.map(toBase64) });
  });

  r.post('/v1/audit/verify', dpo, async (c) => {
    const report = await audit.log.verify();
    await audited(c.get('user').id, 'verify', { ok: report.ok, size: report.size });
    return c.json(report);
  });

  // What `cairn audit reconcile` does, for a DPO without a shell on the node: the peer's checkpoint
  // witnessed, then each of our searches of it proven in its log (PROTOCOL.md §45).
  r.post('/v1/audit/reconcile', dpo, async (c) => {
    const { peer: selector } = await readJson(c.req.raw, services.config.http.maxBodyBytes, reconcileRequestSchema);
    const peer = await services.peers.find(selector);
    const report = await services.witness.reconcile(peer);
    await audited(c.get('user').id, 'reconcile', { peer: peer.id, checked: report.checked, proven: report.proven, witness: report.witness });
    return c.json(report);
  });

  r.get('/v1/audit/witness', dpo, async (c) => {
    const status = await services.witness.status(WITNESS_ALERTS);
    await audited(c.get('user').id, 'witness', {});
    return c.json({
      peers: status.peers.map(({ peer, country, name, witnessedSize, lastWitnessedAt, checkpoints, cosignedSize, alerts, alertKinds }) => ({ peer, country, name, witnessedSize, lastWitnessedAt, checkpoints, cosignedSize, alerts, alertKinds })),
      alerts: status.alerts,
    });
  });

  // Peers' view: signed requests only.
  r.post(
    '/federation/v1/audit/checkpoint',
    signedFederationRoute(ctx, async () => {
      const cp = await audit.log.latestCheckpoint();
      return { checkpoint: cp.note };
    }),
  );
  r.post(
    '/federation/v1/audit/consistency',
    signedFederationRoute(ctx, async (_peer, body) => {
      const q = validate(consistencyQuerySchema, body);
      const p = await audit.log.consistencyProof(q.from, q.to);
      return { size1: p.size1, size2: p.size2, hashes: p.hashes.map(toBase64) };
    }),
  );
  r.post(
    '/federation/v1/audit/cosignature',
    signedFederationRoute(ctx, async (peer, body) => {
      const q = validate(cosignatureRequestSchema, body);
      const { size } = await audit.acceptCosignature(peer, q.checkpoint);
      return { size };
    }),
  );
  r.post(
    '/federation/v1/audit/inclusion',
    signedFederationRoute(ctx, async (peer, body) => {
      const q = validate(inclusionQuerySchema, body);
      const p = await audit.log.inclusionProof(q.index, q.size);
      // A peer may read the entries it caused (its own requests), nothing else.
      const own = p.entry !== null && (JSON.parse(p.entry) as { actor: string }).actor === `peer:${peer.country}:${peer.id}`;
      return { leafIndex: p.leafIndex, treeSize: p.treeSize, leafHash: toBase64(p.leafHash), hashes: p.hashes.map(toBase64), entry: own ? p.entry : null };
    }),
  );
  return r;
}
