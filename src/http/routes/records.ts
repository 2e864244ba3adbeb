/**
 * Local record routes (analysts): batch import, deletion, statistics.
 */
import { Hono } from 'hono';
import { routeRoles } from '../../../schemas/api.js';
import { recordsBatchSchema } from '../../../schemas/records.js';
import type { ParsedRecord } from '../../core/records/parse.js';
import { parseRecord } from '../../core/records/parse.js';
import { importBatch } from '../../core/records/importer.js';
import { deleteRecord, recordStats, utcDate } from '../../core/records/manage.js';
import { searchOnRegistration } from '../../core/federation/registration.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { Env, Services } from '../app.js';
import { readJson } from '../../core/decode/json-body.js';

export function recordRoutes(deps: Services): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();

  r.post('/v1/records', requireRole(deps.db, 'analyst'), async (c) => {
    const body = await readJson(c.req.raw, deps.config.http.maxBodyBytes, recordsBatchSchema);
    const today = utcDate(deps.clock.now());
    const errors: { row: number; ref?: string; field: string; reason: string }[] = [];
    const valid: ParsedRecord[] = [];
    const seen = new Map<string, number>();
    body.records.forEach((item, i) => {
      const p = parseRecord(item, today);
      if (!p.ok) {
        for (const e of p.errors) errors.push({ row: i + 1, ...(p.ref !== undefined ? { ref: p.ref } : {}), field: e.field, reason: e.reason });
        return;
      }
      const first = seen.get(p.record.ref);
      if (first !== undefined) {
        errors.push({ row: i + 1, ref: p.record.ref, field: 'ref', reason: `duplicate reference in this batch (first at record ${first})` });
        return;
      }
      seen.set(p.record.ref, i + 1);
      valid.push(p.record);
    });
    const user = c.get('user');
    const res = valid.length
      ? await importBatch(deps.importer, valid, `user:${user.id}`, 'api')
      : { imported: 0, updated: 0, unchanged: 0, tokens: 0, changedRefs: [] };
    const rejected = new Set(errors.map((e) => e.row)).size;
    const searches = deps.config.federation.searchOnRegistration ? await searchOnRegistration(deps.search, valid, res.changedRefs) : [];
    return c.json(
      { imported: res.imported, updated: res.updated, unchanged: res.unchanged, rejected, errors, ...(searches.length ? { searches } : {}) },
      errors.length && !valid.length ? 422 : 200,
    );
  });

  r.delete('/v1/records/:ref{.+}', requireRole(deps.db, 'analyst'), async (c) => {
    // hono has decoded the parameter once already; the app refused malformed encodings.
    const ref = c.req.param('ref');
    const res = await deleteRecord(deps.importer, ref, `user:${c.get('user').id}`);
    return c.json({ deleted: res.ref, tokens: res.tokens });
  });

  r.get('/v1/records/stats', requireRole(deps.db, ...routeRoles('get', '/v1/records/stats')), async (c) => c.json(await recordStats(deps.db)));

  return r;
}
