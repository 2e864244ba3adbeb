/**
 * User administration over HTTP (operators). The CLI does the same locally.
 */
import { Hono } from 'hono';
import { newUserSchema } from '../../../schemas/users.js';
import { addUser, listUsers, revokeUser } from '../../core/users/users.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { Env, Services } from '../app.js';
import { readJson } from '../../core/decode/json-body.js';

export function userRoutes(deps: Services): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const operator = requireRole(deps.db, 'operator');
  r.get('/v1/users', operator, async (c) => c.json({ users: await listUsers(deps.db) }));
  r.post('/v1/users', operator, async (c) => {
    const body = await readJson(c.req.raw, deps.config.http.maxBodyBytes, newUserSchema);
    const { user, token } = await addUser(deps, body, `user:${c.get('user').id}`);
    return c.json({ user, token }, 201);
  });
  r.delete('/v1/users/:id', operator, async (c) => c.json({ user: await revokeUser(deps, c.req.param('id'), `user:${c.get('user').id}`) }));
  return r;
}
