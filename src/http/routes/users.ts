/**
 * User administration over HTTP (operators). The CLI does the same locally.
 */
import { Hono } from 'hono';
import { newUserSchema } from '../../../schemas/users.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson } from '../../core/decode/json-body.js';

export function userRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { users } = services;
  const operator = requireRole(users, 'operator');
  r.get('/v1/users', operator, async (c) => c.json({ users: await users.list() }));
  r.post('/v1/users', operator, async (c) => {
    const body = await readJson(c.req.raw, services.config.http.maxBodyBytes, newUserSchema);
    const { user, token } = await users.add(body, `user:${c.get('user').id}`);
    return c.json({ user, token }, 201);
  });
  r.delete('/v1/users/:id', operator, async (c) => c.json({ user: await users.revoke(c.req.param('id'), `user:${c.get('user').id}`) }));
  return r;
}
