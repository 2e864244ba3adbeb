/**
 * Operator routes: peers, their pinned keys and their policy.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { addPeerSchema, repinPeerSchema } from '../../../schemas/federation.js';
import { nodeBaseUrlProblem, type NodeDescriptor } from '../../../schemas/node.js';
import { CairnError, isCairnError } from '../../core/errors.js';
import { describePeer, pinnedBaseUrl } from '../../core/federation/peers.js';
import { requireRole, type AuthEnv } from '../auth.js';
import type { AppContext, Env } from '../context.js';
import { readJson } from '../../core/decode/json-body.js';

/** Refuse a URL that cannot be a node's base URL (schemas/node.ts, the rule the descriptor's baseUrl meets). */
function usableBaseUrl(url: string, field: 'url' | 'baseUrl'): void {
  const problem = nodeBaseUrlProblem(url);
  if (problem !== undefined) {
    throw new CairnError('invalid_request', `${field} ${problem}${field === 'baseUrl' ? ' (the one pinned for this peer: remove the peer and add it again)' : ''}`, { location: { field } });
  }
}

/**
 * The base URL a fetched descriptor declares must be the one asked for, as
 * on the command line (pinnedBaseUrl): a typo or a redirect is never pinned
 * silently. The API has no --use-descriptor-url: add the peer by the URL it
 * declares, or move it from the command line.
 */
function samePinnedUrl(asked: string, descriptor: NodeDescriptor, repin: boolean): void {
  try {
    pinnedBaseUrl(asked, descriptor);
  } catch (e) {
    if (!isCairnError(e, 'invalid_request')) throw e;
    const next = repin ? `move the peer first: cairn peers update ${descriptor.country} --url ${descriptor.baseUrl}` : 'add it by that URL';
    throw new CairnError('invalid_request', `the node at ${asked} declares its base URL as ${descriptor.baseUrl}; nothing was changed: ${next}`, { location: { field: repin ? 'baseUrl' : 'url' } });
  }
}

export function peerRoutes({ services }: AppContext): Hono<Env & AuthEnv> {
  const r = new Hono<Env & AuthEnv>();
  const { peers, index } = services;
  const maxBody = services.config.http.maxBodyBytes;
  const operator = requireRole(services.users, 'operator');
  const actor = (c: { get(k: 'user'): { id: string } }) => `user:${c.get('user').id}`;

  r.get('/v1/peers', operator, async (c) => c.json({ peers: (await peers.list()).map(describePeer) }));

  r.post('/v1/peers', operator, async (c) => {
    const body = await readJson(c.req.raw, maxBody, addPeerSchema);
    usableBaseUrl(body.url, 'url');
    const fetched = await peers.fetchDescriptor(body.url);
    samePinnedUrl(body.url, fetched.descriptor, false);
    const peer = await peers.add(fetched, actor(c), body.fingerprint);
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
    usableBaseUrl(current.baseUrl, 'baseUrl');
    const fetched = await peers.fetchDescriptor(current.baseUrl);
    samePinnedUrl(current.baseUrl, fetched.descriptor, true);
    const peer = await peers.update(current.id, fetched, actor(c), body.fingerprint);
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
