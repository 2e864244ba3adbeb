/**
 * Bulk import over HTTP (operators): chunked NDJSON under a client-chosen
 * import id, resumable and idempotent (src/core/records/bulk-import.ts).
 * `cairn import FILE --node URL` is the client.
 */
import { Hono } from 'hono';
import { MEDIA_TYPES } from '../../core/constants.js';
import { readBody } from '../../core/decode/json-body.js';
import { CairnError } from '../../core/errors.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';

export function importRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { records } = services;
  const operator = requireRole(services.users, 'operator');

  r.put('/v1/imports/:importId/chunks/:seq', operator, async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== MEDIA_TYPES.ndjson) {
      throw new CairnError('unsupported_media_type', `a chunk is ${MEDIA_TYPES.ndjson} (one JSON record per line), not ${JSON.stringify(type || '(none)')}`);
    }
    const seqText = c.req.param('seq');
    if (!/^\d{1,9}$/.test(seqText)) throw new CairnError('invalid_request', `chunk seq ${JSON.stringify(seqText.slice(0, 20))} must be an integer >= 0`, { location: { field: 'seq' } });
    const epoch = c.req.query('epoch');
    if (epoch !== undefined && epoch !== 'current' && epoch !== 'next') throw new CairnError('invalid_request', `epoch must be current or next, not ${JSON.stringify(epoch.slice(0, 20))}`, { location: { field: 'epoch' } });
    const body = await readBody(c.req.raw, services.config.http.maxBodyBytes);
    // epoch=next: into the pending OPRF epoch, beside the served records (protocol/38-key-epochs.md).
    const { searches, ...out } = await records.applyChunk(c.req.param('importId'), Number(seqText), body, `user:${c.get('user').id}`, epoch ?? 'current');
    return c.json({ ...out, ...(searches ? { searches } : {}) });
  });

  r.get('/v1/imports/:importId', operator, async (c) => c.json(await records.importState(c.req.param('importId'))));

  r.post('/v1/imports/:importId/complete', operator, async (c) => c.json(await records.completeImport(c.req.param('importId'))));

  return r;
}
