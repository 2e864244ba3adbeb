/**
 * Bulk import over HTTP (operators): chunked NDJSON under a client-chosen
 * import id, resumable and idempotent (src/core/records/bulk-import.ts).
 * `cairn import FILE --node URL` is the client.
 */
import { Hono } from 'hono';
import { MEDIA_TYPES } from '../../core/constants.js';
import { readBody } from '../../core/decode/json-body.js';
import { CairnError } from '../../core/errors.js';
import { searchOnRegistration } from '../../core/federation/registration.js';
import { applyImportChunk, completeImport, importState } from '../../core/records/bulk-import.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { Env, Services } from '../app.js';

export function importRoutes(deps: Services): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const operator = requireRole(deps.db, 'operator');
  const bulk = { db: deps.db, importer: deps.importer, clock: deps.clock };

  r.put('/v1/imports/:importId/chunks/:seq', operator, async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== MEDIA_TYPES.ndjson) {
      throw new CairnError('unsupported_media_type', `a chunk is ${MEDIA_TYPES.ndjson} (one JSON record per line), not ${JSON.stringify(type || '(none)')}`);
    }
    const seqText = c.req.param('seq');
    if (!/^\d{1,9}$/.test(seqText)) throw new CairnError('invalid_request', `chunk seq ${JSON.stringify(seqText.slice(0, 20))} must be an integer >= 0`, { location: { field: 'seq' } });
    const body = await readBody(c.req.raw, deps.config.http.maxBodyBytes);
    const res = await applyImportChunk(bulk, c.req.param('importId'), Number(seqText), body, `user:${c.get('user').id}`);
    const searches =
      !res.replayed && deps.config.federation.searchOnRegistration ? await searchOnRegistration(deps.search, res.records, res.changedRefs) : [];
    const { changedRefs: _c, records: _r, ...out } = res;
    return c.json({ ...out, ...(searches.length ? { searches: searches.length } : {}) });
  });

  r.get('/v1/imports/:importId', operator, async (c) => c.json(await importState(deps.db, c.req.param('importId'))));

  r.post('/v1/imports/:importId/complete', operator, async (c) => c.json(await completeImport(bulk, c.req.param('importId'))));

  return r;
}
