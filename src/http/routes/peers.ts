/**
 * Operator routes: peers, their pinned keys and their policy.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { addPeerSchema, repinPeerSchema } from '../../../schemas/federation.js';
import { describePeer } from '../../core/federation/peers.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson } from '../../core/decode/json-body.js';

export function peerRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { peers, index } = services;
  const maxBody = services.config.http.maxBodyBytes;
  const operator = requireRole(services.users, 'operator');
  const actor = (c: { get(k: 'user'): { id: string } }) => `user:${c.get('user').id}`;

  r.get('/v1/peers', operator, async (c) => c.json({ peers: (await peers.list()).map(describePeer) }));

  r.post('/v1/peers', operator, async (c) => {
    const body = await readJson(c.req.raw, maxBody, addPeerSchema);
    const peer = await peers.add(await peers.fetchDescriptor(body.url), actor(c), body.fingerprint);
    // Replicate the indexes the new peer lets us fetch, in the background.
    index.schedule(peer.id);
    return c.json({ peer: describePeer(peer) }, 201);
  });

  r.put('/v1/peers/:id/policy', operator, async (c) => {
    const body = await readJson(c.req.raw, maxBody, z.unknown());
    const peer = await peers.setPolicy(c.req.param('id'), body, actor(c));
    // Policies usually change on both sides together: refresh what the peer lets us fetch.
    index.schedule(peer.id);
    return c.json({ peer: describePeer(peer) });
  });

  r.post('/v1/peers/:id/repin', operator, async (c) => {
    const body = await readJson(c.req.raw, maxBody, repinPeerSchema);
    const current = await peers.find(c.req.param('id'));
    const peer = await peers.update(current.id, await peers.fetchDescriptor(current.baseUrl), actor(c), body.fingerprint);
    index.schedule(peer.id);
    return c.json({ peer: describePeer(peer) });
  });

  r.post('/v1/peers/:id/revoke', operator, async (c) => {
    const peer = await peers.revoke(c.req.param('id'), actor(c));
    await index.forget(peer.id);
    return c.json({ peer: describePeer(peer) });
  });

  r.get('/v1/peers/replicas', operator, async (c) => c.json({ replicas: await index.states() }));

  r.delete('/v1/peers/:id', operator, async (c) => {
    const peer = await peers.remove(c.req.param('id'), actor(c));
    await index.forget(peer.id);
    return c.json({ removed: describePeer(peer) });
  });
  return r;
}
