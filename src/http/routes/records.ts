/**
 * Local record routes (analysts): batch import, deletion, statistics.
 * Import runs the one import use case (records.importBatch), as the CLI does.
 */
import { Hono } from 'hono';
import { recordsBatchSchema } from '../../../schemas/records.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson } from '../../core/decode/json-body.js';

export function recordRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { records, users } = services;

  r.post('/v1/records', requireRole(users, 'analyst'), async (c) => {
    const body = await readJson(c.req.raw, services.config.http.maxBodyBytes, recordsBatchSchema);
    const res = await records.importBatch(
      body.records.map((value, i) => ({ row: i + 1, value })),
      { actor: `user:${c.get('user').id}`, source: 'api' },
    );
    const { imported, updated, unchanged, rejected, errors, searches } = res;
    return c.json({ imported, updated, unchanged, rejected, errors, ...(searches.length ? { searches } : {}) }, errors.length && rejected === body.records.length ? 422 : 200);
  });

  r.delete('/v1/records/:ref{.+}', requireRole(users, 'analyst'), async (c) => {
    const ref = decodeURIComponent(c.req.param('ref'));
    const res = await records.delete(ref, `user:${c.get('user').id}`);
    return c.json({ deleted: res.ref, tokens: res.tokens });
  });

  r.get('/v1/records/stats', requireRole(users, 'analyst', 'dpo', 'operator'), async (c) => c.json(await records.stats()));

  return r;
}
