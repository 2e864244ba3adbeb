/**
 * Peer-facing match, confirmation and token index routes of protocol
 * cairn/2, under /federation/v2 with their own media type. Every request must carry a valid
 * signature of a registered, active peer addressed to this node; every
 * answer to an authenticated request is signed and bound to it. The cairn/1
 * paths answer a problem that names the version this node speaks.
 */
import { Hono, type Context } from 'hono';
import { hitConfirmRequestSchema, matchRequestSchema } from '../../../schemas/federation.js';
import { FEDERATION, PROTOCOL_VERSION } from '../../core/constants.js';
import { CairnError } from '../../core/errors.js';
import type { Peer } from '../../core/federation/peers.js';
import type { AppContext, Env } from '../context.js';
import { validate } from '../../core/decode/json-body.js';
import { indexSyncRoutes } from './index-sync.js';
import { requireMediaType, signedFederationRoute } from './signed.js';

export const FEDERATION_PREFIX = FEDERATION.prefix;

/** The problem a cairn/1 peer gets: what this node speaks, and where. */
function versionUnsupported(what: string): CairnError {
  return new CairnError('protocol_version_unsupported', `${what} is not protocol ${PROTOCOL_VERSION}; this node speaks ${PROTOCOL_VERSION} only (${FEDERATION.prefix}/match, /hits and /index/..., content-type ${FEDERATION.mediaType})`, {
    details: { supported: [PROTOCOL_VERSION] },
  });
}

/** A cairn/2 body must say so by its media type; a cairn/1 body (elements with key types and buckets) is named as such. */
function requireCairn2(c: Context<Env>, body: unknown): unknown {
  if (typeof body === 'object' && body !== null && 'elements' in body) throw versionUnsupported('this match request (cairn/1 elements)');
  requireMediaType(c, FEDERATION.mediaType);
  return body;
}

export function federationRoutes(ctx: AppContext): Hono<Env> {
  const r = new Hono<Env>();
  const { answers } = ctx.services;
  const signed = (handle: (peer: Peer, body: unknown, c: Context<Env>) => Promise<unknown>) => signedFederationRoute(ctx, handle, FEDERATION.mediaType);

  r.post(
    `${FEDERATION_PREFIX}/match`,
    signed(async (peer, body, c) => answers.match(peer, validate(matchRequestSchema, requireCairn2(c, body)))),
  );
  r.post(
    `${FEDERATION_PREFIX}/hits`,
    signed(async (peer, body, c) => answers.hit(peer, validate(hitConfirmRequestSchema, requireCairn2(c, body)))),
  );
  indexSyncRoutes(r, ctx);
  // Before authentication: a cairn/1 (or early cairn/2) peer learns why, whatever else is wrong with its request.
  for (const path of FEDERATION.retiredPaths) {
    r.post(path, () => {
      throw versionUnsupported(`POST ${path}`);
    });
  }
  return r;
}

