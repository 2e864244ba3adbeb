/**
 * Analyst routes: searches across the federation, confirmations of possible
 * hits, and the hits peers confirmed on our own records.
 */
import { Hono } from 'hono';
import { confirmRequestSchema, incomingHitsQuerySchema, searchListQuerySchema, searchRequestSchema } from '../../../schemas/federation.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson, validateQuery } from '../../core/decode/json-body.js';

export function searchRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { searches } = services;
  const maxBody = services.config.http.maxBodyBytes;
  const analyst = requireRole(services.users, 'analyst');

  r.post('/v1/searches', analyst, async (c) => {
    const body = await readJson(c.req.raw, maxBody, searchRequestSchema);
    // Per-peer outcomes are counted for every path through the search service's onPeerOutcome (app.ts).
    const result = await searches.run(c.get('user'), { ...body, path: 'api' });
    return c.json({ ...(await searches.get(result.id)) }, 201, { location: `/v1/searches/${result.id}` });
  });

  r.get('/v1/searches', analyst, async (c) => {
    // A query parameter misspelt or out of range is refused by name, never ignored.
    const q = validateQuery(searchListQuerySchema, c.req.query());
    const list = await searches.list({ caseReference: q.caseReference, limit: q.limit });
    return c.json({ searches: list.map(({ id, createdAt, user, purpose, caseReference, hits, peers }) => ({ id, createdAt, user, purpose, caseReference, hits, peers })) });
  });

  r.get('/v1/searches/:id', analyst, async (c) => c.json(await searches.get(c.req.param('id'))));

  r.post('/v1/searches/:id/confirm', analyst, async (c) => {
    const body = await readJson(c.req.raw, maxBody, confirmRequestSchema);
    return c.json(await searches.confirm(c.get('user'), c.req.param('id'), body.peer, body.justification));
  });

  r.get('/v1/hits/incoming', analyst, async (c) => {
    const rows = await searches.incomingHits(validateQuery(incomingHitsQuerySchema, c.req.query()).limit);
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
