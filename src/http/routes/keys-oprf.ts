/**
 * OPRF key epochs for operators (protocol/38-key-epochs.md): where a
 * rotation stands, starting one, and the switch. A serving node is the only
 * writer of its database, so `cairn keys rotate oprf --node URL` and
 * `cairn keys activate --node URL` come here; on Workers this is the way.
 */
import { Hono } from 'hono';
import { oprfActivateRequestSchema } from '../../../schemas/oprf-epochs.js';
import { readJson } from '../../core/decode/json-body.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';

export function oprfKeyRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const operator = requireRole(services.users, 'operator');
  const epochs = services.oprfEpochs;

  r.get('/v1/keys/oprf', operator, async (c) => c.json(await epochs.progress()));

  r.post('/v1/keys/oprf/rotate', operator, async (c) => {
    await epochs.rotate(`user:${c.get('user').id}`);
    return c.json(await epochs.progress());
  });

  r.post('/v1/keys/oprf/activate', operator, async (c) => {
    const body = await readJson(c.req.raw, services.config.http.maxBodyBytes, oprfActivateRequestSchema);
    const activated = await epochs.activate(`user:${c.get('user').id}`, body.dropMissing ? { dropMissing: true } : {});
    // /metrics and the console report the key now active, not the one the node started with.
    await services.keys.refresh();
    return c.json(activated);
  });

  return r;
}
