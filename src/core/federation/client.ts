/**
 * The searching side of the federation: signed requests to a peer, blind
 * match queries verified against the peer's pinned VOPRF key, and hit
 * confirmations that return signed receipts. Everything a peer sends back
 * is attacker-controlled: size-limited, signature-checked, schema-checked.
 */
import { z } from 'zod';
import {
  hitReceiptSchema,
  matchResponseSchema,
  MAX_MATCH_ELEMENTS,
  type HitReceipt,
  type MatchRequest,
  type Purpose,
} from '../../../schemas/federation.js';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../bytes.js';
import { MEDIA_TYPES } from '../constants.js';
import { verifyJsonEnvelope, type DsseEnvelope } from '../dsse.js';
import { CairnError, isCairnError } from '../errors.js';
import { readBody } from '../decode/json-body.js';
import { bucketOf, MATCH_KEY_TYPES, type MatchKey, type MatchKeyStrength } from '../identity/index.js';
import { blind, finalizeBatch } from '../oprf/index.js';
import type { Clock, Random } from '../ports.js';
import { tokenConfirm, tokenDigest } from '../records/token-layout.js';
import type { Ed25519Verify, Signer } from '../signing.js';
import { buildSignedRequest, verifyResponse } from './http-signature.js';
import type { Peer } from './peers.js';

/** The searching side of the VOPRF: portable (noble) by default, libsodium on Node. */
export interface OprfClient {
  blind(input: Uint8Array): { blind: Uint8Array; blindedElement: Uint8Array };
  finalizeBatch: typeof finalizeBatch;
}

/** The portable client: noble, with `rng` for the blinds. */
export const portableOprfClient = (rng: (n: number) => Uint8Array): OprfClient => ({ blind: (input) => blind(input, rng), finalizeBatch });

export interface ClientDeps {
  /** Blinding and finalization (default: the portable path with `random`). */
  oprf?: OprfClient;
  signer: Signer;
  /** Ed25519 verification of responses (default: noble). */
  verify?: Ed25519Verify;
  clock: Clock;
  random: Random;
  fetch: typeof fetch;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Largest response body accepted from a peer. */
  maxResponseBytes: number;
}

export interface SearchContext {
  searchId: string;
  purpose: Purpose;
  legalBasis: string;
  caseReference: string;
}

/** A token of ours found in a peer's bucket. */
export interface Hit {
  keyType: string;
  /** The bucket the peer listed the digest in; confirmation names it. */
  bucket: number;
  strength: MatchKeyStrength;
  digest: string;
  confirm: string;
}

export interface PeerAnswer {
  hits: Hit[];
  checkpoint: string | undefined;
  logIndex: number | undefined;
}

/** POST a signed JSON body to a peer and return its verified, schema-checked answer. */
export async function postSigned<T extends z.ZodType>(deps: ClientDeps, peer: Peer, path: string, body: unknown, schema: T): Promise<z.infer<T>> {
  const bytes = utf8(JSON.stringify(body));
  const url = new URL(path, peer.baseUrl);
  const { request, binding } = buildSignedRequest({
    method: 'POST',
    url,
    body: bytes,
    signer: deps.signer,
    recipientKeyId: peer.signingKeyId,
    clock: deps.clock,
    random: deps.random,
    headers: { 'content-type': MEDIA_TYPES.json, accept: MEDIA_TYPES.json },
  });
  let res: Response;
  try {
    res = await deps.fetch(request, { signal: AbortSignal.timeout(deps.timeoutMs) });
  } catch (cause) {
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new CairnError('peer_timeout', `${peer.country} did not answer within ${deps.timeoutMs} ms`, { cause });
    throw new CairnError('peer_unreachable', `${peer.country} is unreachable at ${url.origin}`, { cause });
  }
  let raw: Uint8Array;
  try {
    raw = await readBody(res, deps.maxResponseBytes);
  } catch (cause) {
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new CairnError('peer_timeout', `${peer.country} did not finish its answer within ${deps.timeoutMs} ms`, { cause });
    throw new CairnError('peer_response_invalid', `${peer.country}: ${isCairnError(cause) ? cause.message : 'could not read the answer'}`, { cause });
  }
  let text: string;
  let json: unknown;
  try {
    text = fromUtf8(raw);
    json = JSON.parse(text);
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country} answered ${res.status} with a body that is not JSON`, { cause });
  }
  if (!res.ok) {
    const p = json as { code?: unknown; detail?: unknown };
    const code = typeof p.code === 'string' ? p.code.slice(0, 64) : `http_${res.status}`;
    const detail = typeof p.detail === 'string' ? p.detail.slice(0, 500) : '';
    throw new CairnError('peer_response_invalid', `${peer.country} refused: ${code}${detail ? `: ${detail}` : ''}`, { details: { peerCode: code, peerStatus: res.status } });
  }
  try {
    verifyResponse(res, raw, { peerPublicKey: peer.signingPublicKey, request: binding, clock: deps.clock, ...(deps.verify ? { verify: deps.verify } : {}) });
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country}: response signature: ${isCairnError(cause) ? cause.message : String(cause)}`, { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CairnError('peer_response_invalid', `${peer.country}: answer field ${i?.path.join('.')}: ${i?.message}`);
  }
  return parsed.data;
}

/**
 * Ask one peer whether it holds any of `keys` (PROTOCOL.md "Match"): blind
 * each key, send type, bucket and blinded element; verify the batch DLEQ
 * proof against the peer's pinned VOPRF key; finalize; look the digests up.
 */
export async function queryPeer(deps: ClientDeps, peer: Peer, keys: readonly MatchKey[], ctx: SearchContext): Promise<PeerAnswer> {
  const usable = keys.filter((k) => peer.matchKeyTypes.includes(k.type)).slice(0, MAX_MATCH_ELEMENTS);
  if (usable.length === 0) return { hits: [], checkpoint: undefined, logIndex: undefined };
  // Fresh blinds per peer: the same blinded element sent to two peers would let them link the searches.
  const oprf = deps.oprf ?? portableOprfClient(deps.random.bytes);
  const blinds = usable.map((k) => oprf.blind(k.encoded));
  const request: MatchRequest = {
    ...ctx,
    elements: usable.map((k, i) => ({ keyType: k.type, bucket: bucketOf(k.encoded, peer.bucketBits), blindedElement: toBase64Url(blinds[i]!.blindedElement) })),
  };
  const answer = await postSigned(deps, peer, '/federation/v1/match', request, matchResponseSchema);
  if (answer.searchId !== ctx.searchId || answer.evaluatedElements.length !== usable.length) {
    throw new CairnError('peer_response_invalid', `${peer.country}: the answer does not match the request (search id or element count)`);
  }
  let tokens: Uint8Array[];
  try {
    tokens = oprf.finalizeBatch(
      usable.map((k) => k.encoded),
      blinds.map((b) => b.blind),
      answer.evaluatedElements.map((e, i) => fromBase64Url(e, `evaluatedElements[${i}]`)),
      blinds.map((b) => b.blindedElement),
      peer.oprfPublicKey,
      fromBase64Url(answer.proof, 'proof'),
    );
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country}: the evaluation proof does not verify against its published VOPRF key`, { cause });
  }
  const listed = new Map<string, Set<string>>();
  for (const b of answer.buckets) listed.set(`${b.keyType}/${b.bucket}`, new Set(b.digests));
  const hits: Hit[] = [];
  usable.forEach((k, i) => {
    const digest = toBase64Url(tokenDigest(tokens[i]!));
    const bucket = request.elements[i]!.bucket;
    if (listed.get(`${k.type}/${bucket}`)?.has(digest)) {
      hits.push({ keyType: k.type, bucket, strength: MATCH_KEY_TYPES[k.type].strength, digest, confirm: toBase64Url(tokenConfirm(tokens[i]!)) });
    }
  });
  return { hits, checkpoint: answer.checkpoint, logIndex: answer.logIndex };
}

const receiptsResponse = z.object({ receipts: z.array(z.unknown()).min(1).max(20) }).strict();

/** Ask the peer for the reference behind a hit; returns its verified signed receipts. */
export async function confirmHit(deps: ClientDeps, peer: Peer, ctx: SearchContext, hit: Hit, justification?: string): Promise<{ envelopes: DsseEnvelope[]; receipts: HitReceipt[] }> {
  const body = { ...ctx, keyType: hit.keyType, bucket: hit.bucket, digest: hit.digest, confirm: hit.confirm, ...(justification ? { justification } : {}) };
  const answer = await postSigned(deps, peer, '/federation/v1/hits', body, receiptsResponse);
  const receipts = answer.receipts.map((env, i) => {
    let payload: unknown;
    try {
      payload = verifyJsonEnvelope(env, MEDIA_TYPES.hitReceipt, peer.signingPublicKey);
    } catch (cause) {
      throw new CairnError('peer_response_invalid', `${peer.country}: receipt ${i} does not verify`, { cause });
    }
    const r = hitReceiptSchema.safeParse(payload);
    if (!r.success || r.data.searchId !== ctx.searchId || r.data.issuer.nodeId !== peer.id) {
      throw new CairnError('peer_response_invalid', `${peer.country}: receipt ${i} is malformed or for another search`);
    }
    return r.data;
  });
  return { envelopes: answer.receipts as DsseEnvelope[], receipts };
}
