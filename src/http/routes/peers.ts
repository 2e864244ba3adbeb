/**
 * Operator routes: peers, their pinned keys and their policy.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { addPeerSchema } from '../../../schemas/federation.js';
import { CairnError } from '../../core/errors.js';
import { addPeer, describePeer, fetchDescriptor, listPeers, removePeer, revokePeer, setPeerPolicy } from '../../core/federation/peers.js';
import { fingerprintOf } from '../../core/signing.js';
import { fromBase64Url } from '../../core/bytes.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { Env, Services } from '../app.js';
import { readJson } from '../../core/decode/json-body.js';

export function peerRoutes(deps: Services): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const operator = requireRole(deps.db, 'operator');
  const actor = (c: { get(k: 'user'): { id: string } }) => `user:${c.get('user').id}`;

  r.get('/v1/peers', operator, async (c) => c.json({ peers: (await listPeers(deps.db)).map(describePeer) }));

  r.post('/v1/peers', operator, async (c) => {
    const body = await readJson(c.req.raw, deps.config.http.maxBodyBytes, addPeerSchema);
    const { envelope, descriptor } = await fetchDescriptor(deps.fetch, body.url);
    const fp = fingerprintOf(fromBase64Url(descriptor.signingKey.publicKey));
    if (fp !== body.fingerprint) {
      throw new CairnError('signature_invalid', `the node at ${body.url} has signing key fingerprint ${fp}, not the one given`, { location: { field: 'fingerprint' } });
    }
    const peer = await addPeer(deps, envelope, descriptor, actor(c), deps.config.node.id);
    // Replicate the indexes the new peer lets us fetch, in the background.
    deps.index.schedule(peer.id);
    return c.json({ peer: describePeer(peer) }, 201);
  });

  r.put('/v1/peers/:id/policy', operator, async (c) => {
    const body = await readJson(c.req.raw, deps.config.http.maxBodyBytes, z.unknown());
    const peer = await setPeerPolicy(deps, c.req.param('id'), body, actor(c));
    // Policies usually change on both sides together: refresh what the peer lets us fetch.
    deps.index.schedule(peer.id);
    return c.json({ peer: describePeer(peer) });
  });

  r.post('/v1/peers/:id/revoke', operator, async (c) => {
    const peer = await revokePeer(deps, c.req.param('id'), actor(c));
    await deps.index.forget(peer.id);
    return c.json({ peer: describePeer(peer) });
  });

  r.get('/v1/peers/replicas', operator, async (c) => c.json({ replicas: await deps.index.states() }));

  r.delete('/v1/peers/:id', operator, async (c) => {
    const peer = await removePeer(deps, c.req.param('id'), actor(c));
    await deps.index.forget(peer.id);
    return c.json({ removed: describePeer(peer) });
  });
  return r;
}
