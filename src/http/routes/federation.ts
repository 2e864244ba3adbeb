/**
 * Peer-facing match and confirmation routes of protocol cairn/2, under
 * /federation/v2 with their own media type. Every request must carry a valid
 * signature of a registered, active peer addressed to this node; every
 * answer to an authenticated request is signed and bound to it. The cairn/1
 * paths answer a problem that names the version this node speaks.
 */
import { Hono, type Context } from 'hono';
import { hitConfirmRequestSchema, matchRequestSchema } from '../../../schemas/federation.js';
import { fromUtf8, utf8 } from '../../core/bytes.js';
import { FEDERATION, MEDIA_TYPES, PROTOCOL_VERSION } from '../../core/constants.js';
import { CairnError, isCairnError } from '../../core/errors.js';
import type { Peer } from '../../core/federation/peers.js';
import type { AppContext, Env } from '../context.js';
import { parseJsonText, readBody, validate } from '../../core/decode/json-body.js';
import { problemOf } from '../problem.js';
import { indexSyncRoutes } from './index-sync.js';

export const FEDERATION_PREFIX = FEDERATION.prefix;

/** The problem a cairn/1 peer gets: what this node speaks, and where. */
function versionUnsupported(what: string): CairnError {
  return new CairnError('protocol_version_unsupported', `${what} is protocol cairn/1; this node speaks ${PROTOCOL_VERSION} only (${FEDERATION.prefix}/match and /hits, content-type ${FEDERATION.mediaType})`, {
    details: { supported: [PROTOCOL_VERSION] },
  });
}

/** A cairn/2 body must say so by its media type; a cairn/1 body (elements with key types and buckets) is named as such. */
function requireCairn2(c: Context<Env>, body: unknown): unknown {
  const ct = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (typeof body === 'object' && body !== null && 'elements' in body) throw versionUnsupported('this match request');
  if (ct !== FEDERATION.mediaType) {
    throw new CairnError('unsupported_media_type', `expected content-type ${FEDERATION.mediaType}, got ${ct === '' ? 'none' : JSON.stringify(ct.slice(0, 100))}`);
  }
  return body;
}

/**
 * A peer-facing route: authenticate the signed request, run `handle`, and
 * sign whatever comes back (answer or problem) bound to the request.
 */
export function signedFederationRoute({ services, metrics }: AppContext, handle: (peer: Peer, body: unknown, c: Context<Env>) => Promise<unknown>, mediaType: string = MEDIA_TYPES.json) {
  return async (c: Context<Env>): Promise<Response> => {
    const raw = await readBody(c.req.raw, services.config.http.maxBodyBytes);
    const { peer: p, binding } = await services.answers.authenticate(c.req.raw, raw, (peer, e) => {
      if (isCairnError(e)) c.get('log').warn({ peer: peer.id, code: e.code }, 'federation request refused');
    });
    let status: number;
    let body: unknown;
    try {
      const text = fromUtf8(raw);
      body = await handle(p, text === '' ? {} : parseJsonText(text), c);
      status = 200;
    } catch (e) {
      const problem = problemOf(e, c.get('requestId'));
      if (!isCairnError(e) || e.code === 'internal') c.get('log').error({ err: String(e), peer: p.id }, 'federation handler failed');
      status = problem.status;
      body = problem;
    }
    metrics.federationAnswers.inc({ route: c.req.routePath, code: status === 200 ? 'ok' : String((body as { code?: string }).code) });
    const bytes = utf8(JSON.stringify(body));
    const headers = services.answers.signResponse(status, bytes, binding);
    headers.set('content-type', status === 200 ? mediaType : MEDIA_TYPES.problem);
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status, headers });
  };
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
  // Before authentication: a cairn/1 peer learns why, whatever else is wrong with its request.
  for (const path of FEDERATION.retiredPaths) {
    r.post(path, () => {
      throw versionUnsupported(`POST ${path}`);
    });
  }
  return r;
}

