/**
 * Analyst routes: searches across the federation, confirmations of possible
 * hits, and the hits peers confirmed on our own records.
 */
import { Hono } from 'hono';
import { confirmRequestSchema, searchRequestSchema } from '../../../schemas/federation.js';
import { confirmPossibleHit, getSearch, runSearch } from '../../core/federation/search.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { Env, Services } from '../app.js';
import { readJson } from '../../core/decode/json-body.js';

export function searchRoutes(deps: Services): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const analyst = requireRole(deps.db, 'analyst');

  r.post('/v1/searches', analyst, async (c) => {
    const body = await readJson(c.req.raw, deps.config.http.maxBodyBytes, searchRequestSchema);
    // Per-peer outcomes are counted for every path by the search service's onPeerOutcome (app.ts).
    const result = await runSearch(deps.search, c.get('user'), { ...body, path: 'api' });
    return c.json({ ...(await getSearch(deps.db, result.id)) }, 201, { location: `/v1/searches/${result.id}` });
  });

  r.get('/v1/searches', analyst, async (c) => {
    const caseReference = c.req.query('caseReference');
    // At most 90: the id list below is bound as parameters, and D1 binds at most 100.
    const limit = Math.min(90, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    let q = deps.db.selectFrom('searches').select(['id', 'created_at', 'user_id', 'purpose', 'case_reference']).orderBy('created_at', 'desc').limit(limit);
    if (caseReference) q = q.where('case_reference', '=', caseReference);
    const rows = await q.execute();
    const results = rows.length
      ? await deps.db.selectFrom('search_results').select(['search_id', 'status']).where('search_id', 'in', rows.map((r) => r.id)).execute()
      : [];
    return c.json({
      searches: rows.map((r) => ({
        id: r.id,
        createdAt: r.created_at,
        user: r.user_id,
        purpose: r.purpose,
        caseReference: r.case_reference,
        hits: results.filter((x) => x.search_id === r.id && x.status === 'hit').length,
        peers: results.filter((x) => x.search_id === r.id).length,
      })),
    });
  });

  r.get('/v1/searches/:id', analyst, async (c) => c.json(await getSearch(deps.db, c.req.param('id'))));

  r.post('/v1/searches/:id/confirm', analyst, async (c) => {
    const body = await readJson(c.req.raw, deps.config.http.maxBodyBytes, confirmRequestSchema);
    return c.json(await confirmPossibleHit(deps.search, c.get('user'), c.req.param('id'), body.peer, body.justification));
  });

  r.get('/v1/hits/incoming', analyst, async (c) => {
    const limit = Math.min(500, Math.max(1, Number(c.req.query('limit') ?? 100) || 100));
    const rows = await deps.db.selectFrom('hits_incoming').selectAll().orderBy('at', 'desc').limit(limit).execute();
    return c.json({
      hits: rows.map((h) => ({
        id: h.id,
        at: h.at,
        peer: { nodeId: h.peer_id, country: h.peer_country },
        record: { ref: h.record_ref, category: h.category, owningUnit: h.owning_unit },
        keyType: h.key_type,
        searchId: h.search_id,
        caseReference: h.case_reference,
        purpose: h.purpose,
        justification: h.justification,
      })),
    });
  });
  return r;
}
