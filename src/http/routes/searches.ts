/**
 * Analyst routes: searches across the federation, confirmations of possible
 * hits, and the hits peers confirmed on our own records.
 */
import { Hono } from 'hono';
import { confirmRequestSchema, searchRequestSchema } from '../../../schemas/federation.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson } from '../../core/decode/json-body.js';

/** A positive integer query parameter, clamped to 1..max (default `fallback`). */
const limitOf = (v: string | undefined, fallback: number, max: number): number => Math.min(max, Math.max(1, Number(v ?? fallback) || fallback));

export function searchRoutes({ services, metrics }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { searches } = services;
  const maxBody = services.config.http.maxBodyBytes;
  const analyst = requireRole(services.users, 'analyst');

  r.post('/v1/searches', analyst, async (c) => {
    const body = await readJson(c.req.raw, maxBody, searchRequestSchema);
    const result = await searches.run(c.get('user'), body);
    for (const r of result.results) metrics.searchOutcomes.inc({ outcome: r.status });
    return c.json({ ...(await searches.get(result.id)) }, 201, { location: `/v1/searches/${result.id}` });
  });

  r.get('/v1/searches', analyst, async (c) => {
    const list = await searches.list({ caseReference: c.req.query('caseReference') || undefined, limit: limitOf(c.req.query('limit'), 50, 90) });
    return c.json({ searches: list.map(({ id, createdAt, user, purpose, caseReference, hits, peers }) => ({ id, createdAt, user, purpose, caseReference, hits, peers })) });
  });

  r.get('/v1/searches/:id', analyst, async (c) => c.json(await searches.get(c.req.param('id'))));

  r.post('/v1/searches/:id/confirm', analyst, async (c) => {
    const body = await readJson(c.req.raw, maxBody, confirmRequestSchema);
    return c.json(await searches.confirm(c.get('user'), c.req.param('id'), body.peer, body.justification));
  });

  r.get('/v1/hits/incoming', analyst, async (c) => {
    const rows = await searches.incomingHits(limitOf(c.req.query('limit'), 100, 500));
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
