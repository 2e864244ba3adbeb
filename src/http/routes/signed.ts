/**
 * The signed peer-facing route every federation endpoint uses (match, hits,
 * index sync, audit proofs). Its own module so the routers that use it do
 * not import each other.
 */
import type { Context } from 'hono';
import { utf8 } from '../../core/bytes.js';
import { MEDIA_TYPES } from '../../core/constants.js';
import { CairnError, isCairnError, isDatabaseBusy, isStorageFull } from '../../core/errors.js';
import { failureFields } from '../../core/failure-log.js';
import type { Peer } from '../../core/federation/peers.js';
import { decodeUtf8Body, parseJsonText, readBody } from '../../core/decode/json-body.js';
import { problemOf } from '../problem.js';
import type { AppContext, Env } from '../context.js';

/**
 * A peer-facing route: authenticate the signed request, run `handle`, and
 * sign whatever comes back (answer or problem) bound to the request.
 */
export function signedFederationRoute({ services, metrics, requestBody }: AppContext, handle: (peer: Peer, body: unknown, c: Context<Env>) => Promise<unknown>, mediaType: string = MEDIA_TYPES.json) {
  return async (c: Context<Env>): Promise<Response> => {
    const limit = services.config.http.maxBodyBytes;
    const raw = await (requestBody ? requestBody(c, limit) : readBody(c.req.raw, limit));
    const { peer: p, binding } = await services.answers.authenticate(c.req.raw, raw, (peer, e) => {
      if (isCairnError(e)) c.get('log').warn({ peer: peer.id, code: e.code }, 'federation request refused');
    });
    let status: number;
    let body: unknown;
    try {
      const text = decodeUtf8Body(raw);
      body = await handle(p, text === '' ? {} : parseJsonText(text), c);
      status = 200;
    } catch (e) {
      const problem = problemOf(e, c.get('requestId'));
      if (isDatabaseBusy(e)) c.get('log').warn({ code: 'unavailable', peer: p.id }, 'database busy: federation request refused');
      else if (isStorageFull(e)) c.get('log').error({ ...failureFields(e), peer: p.id }, 'storage full: federation request refused, nothing of it stored');
      else if (!isCairnError(e) || e.code === 'internal') c.get('log').error({ err: String(e), peer: p.id }, 'federation handler failed');
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

/**
 * Refuse a request whose Content-Type is not `mediaType` (parameters such as
 * charset are ignored): a route under the cairn/2 prefix speaks one media type.
 */
export function requireMediaType(c: Context<Env>, mediaType: string): void {
  const ct = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct !== mediaType) {
    throw new CairnError('unsupported_media_type', `expected content-type ${mediaType}, got ${ct === '' ? 'none' : JSON.stringify(ct.slice(0, 100))}`);
  }
}
