/**
 * Authentication of every federation request and response between Cairn
 * nodes (protocol/30-federation-auth.md), in the manner of RFC 9421 (HTTP
 * Message Signatures) with an RFC 9530 Content-Digest over the body.
 *
 * A request carries five headers besides its body:
 *
 *   Content-Digest:  sha-256=:<base64 SHA-256(body)>:
 *   Cairn-Key-Id:    <hex key id of the sender's Ed25519 key>
 *   Cairn-Recipient: <hex key id of the recipient node's Ed25519 key>
 *   Cairn-Timestamp: <unix seconds>
 *   Cairn-Nonce:     <base64url of 16 random bytes>
 *   Cairn-Signature: <base64url Ed25519 signature over the signature base>
 *
 * and the signature base is a fixed list of lines (see requestSignatureBase).
 * A response carries Content-Digest, Cairn-Key-Id, Cairn-Timestamp and
 * Cairn-Signature, and its base binds it to the request it answers through
 * the request's key id, nonce and signature (see responseSignatureBase).
 *
 * Unlike RFC 9421 the covered components are fixed, not chosen by the signer:
 * a verifier never has to decide whether a signature covers "enough"
 * (RFC 9421 §7.2.1), and there is no Signature-Input structured field to parse.
 *
 * Misuse to avoid:
 * - Pass the exact body bytes that were (or will be) sent, read with a size
 *   limit, and sent without Content-Encoding: the digest covers those bytes.
 * - Trust nothing from a request (not even its key id) until verifyRequest
 *   has returned; it checks the signature before it touches the nonce store.
 * - Several instances of one node need one shared NonceStore, or a request
 *   replayed to another instance is accepted.
 * - Proxies in front of a node must not rewrite the path or query.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, fromBase64, fromBase64Url, toBase64, toBase64Url, utf8 } from '../bytes.js';
import { FEDERATION_SIGNATURE } from '../constants.js';
import { CairnError } from '../errors.js';
import type { Clock, Random, Sha256 } from '../ports.js';
import { ed25519Verify, keyIdOf, type Ed25519Verify, type Signer } from '../signing.js';
import type { NonceStore } from './replay.js';

const H = FEDERATION_SIGNATURE.headers;

/** Exact lengths of the fixed-size header values. */
const KEY_ID_CHARS = 64;
const NONCE_CHARS = Math.ceil((FEDERATION_SIGNATURE.nonceBytes * 4) / 3);
const SIGNATURE_CHARS = Math.ceil((FEDERATION_SIGNATURE.signatureBytes * 4) / 3);
const DIGEST_PREFIX = `${FEDERATION_SIGNATURE.digestAlgorithm}=:`;
const DIGEST_CHARS = DIGEST_PREFIX.length + 44 + 1;
/** 11 digits reach the year 5138; more is not a timestamp. */
const TIMESTAMP_RE = /^(?:0|[1-9][0-9]{0,10})$/;
const KEY_ID_RE = /^[0-9a-f]{64}$/;
/** RFC 9110 §5.6.2 token characters, upper-case letters only. */
const METHOD_RE = /^[!#$%&'*+.^_`|~0-9A-Z-]{1,32}$/;

/** What a response is bound to: the request it answers, as its sender signed it. */
export interface RequestBinding {
  /** Cairn-Key-Id of the request: the node that asked. */
  readonly keyId: string;
  /** Cairn-Nonce of the request. */
  readonly nonce: string;
  /** Cairn-Signature of the request (base64url). */
  readonly signature: string;
}

/** The covered components of a request, in signature-base order. */
export interface RequestComponents {
  /** Upper-case method. */
  method: string;
  /** URL pathname + search, exactly as the WHATWG URL parser serialises them. */
  target: string;
  /** The Content-Digest header value. */
  contentDigest: string;
  /** Unix seconds. */
  timestamp: number;
  nonce: string;
  keyId: string;
  recipientKeyId: string;
}

/** The covered components of a response, in signature-base order. */
export interface ResponseComponents {
  status: number;
  request: RequestBinding;
  contentDigest: string;
  timestamp: number;
  keyId: string;
}

/** A federation peer's signing key, as the verifier's registry knows it. */
export interface PeerKey {
  peerId: string;
  publicKey: Uint8Array;
  status: 'active' | 'revoked' | 'repin_required';
}

export interface SignRequestInput {
  method: string;
  url: string | URL;
  body: Uint8Array;
  signer: Signer;
  /** Key id of the node the request is for: the signing key pinned from its descriptor. */
  recipientKeyId: string;
  clock: Clock;
  random: Random;
  /** SHA-256 of the Content-Digest (default: noble; the Node entry passes OpenSSL's). */
  sha256?: Sha256;
}

export interface SignedRequestHeaders {
  headers: Headers;
  /** Keep it to verify the response (verifyResponse). */
  binding: RequestBinding;
}

export interface VerifyRequestOptions {
  /** The registry of peers' signing keys (trust material; not from the request). */
  lookupKey(keyId: string): PeerKey | undefined | Promise<PeerKey | undefined>;
  /** This node's own signing key ids: a request must name one of them as recipient. */
  ownKeyIds: readonly string[];
  clock: Clock;
  nonceStore: NonceStore;
  /** Accepted clock difference in either direction; default 300 s. */
  maxSkewSeconds?: number;
  /** Ed25519 verification (default: noble; the Node entry passes OpenSSL's). */
  verify?: Ed25519Verify;
  /** SHA-256 of the Content-Digest (default: noble; the Node entry passes OpenSSL's). */
  sha256?: Sha256;
}

/** A request whose signature, freshness and nonce have been checked. */
export interface AuthenticatedRequest {
  peerId: string;
  keyId: string;
  timestamp: Date;
  /** Pass to signResponse. */
  binding: RequestBinding;
}

export interface SignResponseInput {
  status: number;
  body: Uint8Array;
  /** The authenticated request being answered (AuthenticatedRequest.binding). */
  request: RequestBinding;
  signer: Signer;
  clock: Clock;
  /** SHA-256 of the Content-Digest (default: noble; the Node entry passes OpenSSL's). */
  sha256?: Sha256;
}

export interface VerifyResponseOptions {
  /** The pinned signing key of the peer that was asked. */
  peerPublicKey: Uint8Array;
  /** SignedRequestHeaders.binding of the request this response answers. */
  request: RequestBinding;
  clock: Clock;
  /** Accepted clock difference in either direction; default 300 s. */
  maxSkewSeconds?: number;
  /** Ed25519 verification (default: noble; the Node entry passes OpenSSL's). */
  verify?: Ed25519Verify;
  /** SHA-256 of the Content-Digest (default: noble; the Node entry passes OpenSSL's). */
  sha256?: Sha256;
}

/** A response whose signature, freshness and binding to its request have been checked. */
export interface AuthenticatedResponse {
  keyId: string;
  timestamp: Date;
}

/** Content-Digest field value for `body`: `sha-256=:<base64>:` (RFC 9530 §2, RFC 8941 §3.3.5 byte sequence). */
export function contentDigest(body: Uint8Array, hash: Sha256 = sha256): string {
  return `${DIGEST_PREFIX}${toBase64(hash(body))}:`;
}

/** The signed part of a request URL: pathname + search (RFC 9421 §2.2.5 `@request-target`, origin form). */
export function requestTarget(url: URL): string {
  return url.pathname + url.search;
}

/**
 * Request signature base (cf. RFC 9421 §2.5): the lines below joined by LF,
 * no trailing LF, UTF-8. No line can contain LF: every value is checked
 * against a character set without it, and URL serialisation percent-encodes.
 *
 *   cairn-request-v1 / method / target / Content-Digest / timestamp / nonce / key id / recipient key id
 */
export function requestSignatureBase(c: RequestComponents): string {
  return joinLines([
    FEDERATION_SIGNATURE.requestLabel,
    c.method,
    c.target,
    c.contentDigest,
    String(c.timestamp),
    c.nonce,
    c.keyId,
    c.recipientKeyId,
  ]);
}

/**
 * Response signature base: the lines below joined by LF. The request's key
 * id, nonce and signature bind the response to exactly one request (cf.
 * RFC 9421 §2.4, request components in a response signature).
 *
 *   cairn-response-v1 / status / request key id / request nonce / request signature / Content-Digest / timestamp / key id
 */
export function responseSignatureBase(c: ResponseComponents): string {
  return joinLines([
    FEDERATION_SIGNATURE.responseLabel,
    String(c.status),
    c.request.keyId,
    c.request.nonce,
    c.request.signature,
    c.contentDigest,
    String(c.timestamp),
    c.keyId,
  ]);
}

/**
 * Sign a federation request (RFC 9421 §3.1, Ed25519 as in §3.3.6) and return
 * the headers to send with it, plus the binding its response must carry.
 */
export function signRequest(input: SignRequestInput): SignedRequestHeaders {
  const method = checkMethod(input.method);
  const url = parseUrl(input.url);
  if (!(input.body instanceof Uint8Array)) throw new TypeError('signRequest: body must be a Uint8Array');
  if ((method === 'GET' || method === 'HEAD') && input.body.length > 0) {
    throw new CairnError('invalid_request', `a ${method} request cannot carry a body`, { location: { field: 'body' } });
  }
  const recipientKeyId = checkOwnKeyId(input.recipientKeyId, 'recipientKeyId');
  const nonceBytes = input.random.bytes(FEDERATION_SIGNATURE.nonceBytes);
  if (nonceBytes.length !== FEDERATION_SIGNATURE.nonceBytes) throw new TypeError('signRequest: random.bytes returned the wrong length');
  const c: RequestComponents = {
    method,
    target: requestTarget(url),
    contentDigest: contentDigest(input.body, input.sha256),
    timestamp: unixSeconds(input.clock),
    nonce: toBase64Url(nonceBytes),
    keyId: input.signer.keyId,
    recipientKeyId,
  };
  const signature = toBase64Url(signBase(input.signer, requestSignatureBase(c)));
  const headers = new Headers();
  headers.set(H.contentDigest, c.contentDigest);
  headers.set(H.keyId, c.keyId);
  headers.set(H.recipient, c.recipientKeyId);
  headers.set(H.timestamp, String(c.timestamp));
  headers.set(H.nonce, c.nonce);
  headers.set(H.signature, signature);
  return { headers, binding: { keyId: c.keyId, nonce: c.nonce, signature } };
}

/**
 * Sign a request and give what `fetch(url, init)` takes, plus the binding
 * for its response. The body goes as bytes: a `Request` built first would
 * hand fetch its body as a stream, which costs undici about half a
 * millisecond of CPU more per request, paid per peer in every search.
 */
export function signedFetchInit(input: SignRequestInput & { headers?: HeadersInit }): { url: URL; init: RequestInit; binding: RequestBinding } {
  const signed = signRequest(input);
  const headers = new Headers(input.headers);
  for (const [name, value] of signed.headers) headers.set(name, value);
  const init: RequestInit = { method: checkMethod(input.method), headers };
  if (input.body.length > 0) init.body = input.body.slice();
  return { url: parseUrl(input.url), init, binding: signed.binding };
}

/** Sign a request and build it: a ready `Request` plus the binding for its response. */
export function buildSignedRequest(input: SignRequestInput & { headers?: HeadersInit }): { request: Request; binding: RequestBinding } {
  const { url, init, binding } = signedFetchInit(input);
  return { request: new Request(url, init), binding };
}

/**
 * Verify a federation request (RFC 9421 §3.2) against the peer registry and
 * return the authenticated peer. `body` is the request body as received.
 * Attacker-controlled input: every header is length- and syntax-checked
 * before use. Order: headers present, well-formed, addressed to this node,
 * known key, not revoked, fresh, body digest, signature, then the nonce
 * (RFC 9421 §7.2.2), so unauthenticated requests never fill the nonce store.
 */
export async function verifyRequest(req: Request, body: Uint8Array, opts: VerifyRequestOptions): Promise<AuthenticatedRequest> {
  const maxSkew = checkMaxSkew(opts.maxSkewSeconds);
  const h = req.headers;
  const raw = {
    digest: required(h, H.contentDigest),
    keyId: required(h, H.keyId),
    recipient: required(h, H.recipient),
    timestamp: required(h, H.timestamp),
    nonce: required(h, H.nonce),
    signature: required(h, H.signature),
  };
  const digest = parseContentDigest(raw.digest);
  const keyId = parseKeyId(raw.keyId, H.keyId);
  const recipientKeyId = parseKeyId(raw.recipient, H.recipient);
  const timestamp = parseTimestamp(raw.timestamp);
  parseNonce(raw.nonce);
  const signature = parseSignature(raw.signature);
  const method = req.method.toUpperCase();
  if (!METHOD_RE.test(method)) throw new CairnError('invalid_request', 'request method is not a token', { location: { field: 'method' } });

  if (!opts.ownKeyIds.includes(recipientKeyId)) {
    throw new CairnError('signature_invalid', `the request is addressed to node key ${recipientKeyId}, which is not a key of this node`, {
      location: { field: H.recipient },
    });
  }
  const peer = await opts.lookupKey(keyId);
  if (peer === undefined) {
    throw new CairnError('peer_unknown', `no peer holds the signing key ${keyId}`, { location: { field: H.keyId } });
  }
  if (peer.status === 'repin_required') {
    throw new CairnError('peer_repin_required', `peer ${peer.peerId} changed its signing key without a cross-signature; its operator must be called and the new fingerprint pinned by hand`, {
      location: { field: H.keyId },
    });
  }
  if (peer.status !== 'active') {
    throw new CairnError('peer_revoked', `peer ${peer.peerId} has been revoked`, { location: { field: H.keyId } });
  }
  checkSkew(timestamp, opts.clock, maxSkew);
  checkDigest(body, digest, opts.sha256);
  const base = requestSignatureBase({
    method,
    target: requestTarget(new URL(req.url)),
    contentDigest: raw.digest,
    timestamp,
    nonce: raw.nonce,
    keyId,
    recipientKeyId,
  });
  if (!(opts.verify ?? ed25519Verify)(peer.publicKey, utf8(base), signature)) {
    throw new CairnError('signature_invalid', `the request signature does not verify under the key of peer ${peer.peerId}`, {
      location: { field: H.signature },
    });
  }
  const expiresAt = nonceExpiry(timestamp, maxSkew);
  if (!(await opts.nonceStore.checkAndRemember(peer.peerId, raw.nonce, expiresAt))) {
    throw new CairnError('nonce_replayed', `peer ${peer.peerId} already sent a request with this nonce`, { location: { field: H.nonce } });
  }
  return { peerId: peer.peerId, keyId, timestamp: new Date(timestamp * 1000), binding: { keyId, nonce: raw.nonce, signature: raw.signature } };
}

/** Sign a response to an authenticated request; returns the headers to add to it. */
export function signResponse(input: SignResponseInput): Headers {
  const status = checkStatus(input.status);
  if (!(input.body instanceof Uint8Array)) throw new TypeError('signResponse: body must be a Uint8Array');
  const request = checkBinding(input.request);
  const c: ResponseComponents = {
    status,
    request,
    contentDigest: contentDigest(input.body, input.sha256),
    timestamp: unixSeconds(input.clock),
    keyId: input.signer.keyId,
  };
  const headers = new Headers();
  headers.set(H.contentDigest, c.contentDigest);
  headers.set(H.keyId, c.keyId);
  headers.set(H.timestamp, String(c.timestamp));
  headers.set(H.signature, toBase64Url(signBase(input.signer, responseSignatureBase(c))));
  return headers;
}

/**
 * Verify a peer's response to a request this node sent (RFC 9421 §3.2):
 * signed by the peer's pinned key, fresh, body digest, and bound to exactly
 * that request. Attacker-controlled input: parsed defensively.
 */
export function verifyResponse(res: Response, body: Uint8Array, opts: VerifyResponseOptions): AuthenticatedResponse {
  const maxSkew = checkMaxSkew(opts.maxSkewSeconds);
  const request = checkBinding(opts.request);
  const h = res.headers;
  const raw = {
    digest: required(h, H.contentDigest),
    keyId: required(h, H.keyId),
    timestamp: required(h, H.timestamp),
    signature: required(h, H.signature),
  };
  const digest = parseContentDigest(raw.digest);
  const keyId = parseKeyId(raw.keyId, H.keyId);
  const timestamp = parseTimestamp(raw.timestamp);
  const signature = parseSignature(raw.signature);

  const expected = keyIdOf(opts.peerPublicKey);
  if (keyId !== expected) {
    throw new CairnError('peer_unknown', `the response is signed by key ${keyId}, not by the peer's key ${expected}`, { location: { field: H.keyId } });
  }
  checkSkew(timestamp, opts.clock, maxSkew);
  checkDigest(body, digest, opts.sha256);
  const base = responseSignatureBase({ status: res.status, request, contentDigest: raw.digest, timestamp, keyId });
  if (!(opts.verify ?? ed25519Verify)(opts.peerPublicKey, utf8(base), signature)) {
    throw new CairnError('signature_invalid', 'the response signature does not verify for this request under the peer key', {
      location: { field: H.signature },
    });
  }
  return { keyId, timestamp: new Date(timestamp * 1000) };
}

// ---------------------------------------------------------------------------
// Parsing (attacker-controlled header values) and checks.

function required(headers: Headers, name: string): string {
  const value = headers.get(name);
  if (value === null || value === '') {
    throw new CairnError('signature_missing', `the ${name} header is missing`, { location: { field: name } });
  }
  return value;
}

function malformed(name: string, what: string): CairnError {
  return new CairnError('invalid_request', `${name}: ${what}`, { location: { field: name } });
}

/** RFC 9530 §2 with the one algorithm Cairn accepts; exactly one dictionary member. */
function parseContentDigest(value: string): Uint8Array {
  const name = H.contentDigest;
  if (!value.startsWith(DIGEST_PREFIX)) {
    const alg = /^([a-z0-9-]{1,16})=/.exec(value)?.[1];
    throw malformed(name, alg !== undefined && alg !== FEDERATION_SIGNATURE.digestAlgorithm
      ? `only ${FEDERATION_SIGNATURE.digestAlgorithm} is accepted, not ${alg}`
      : `must be ${DIGEST_PREFIX}<base64 of 32 bytes>:`);
  }
  if (value.length !== DIGEST_CHARS || !value.endsWith(':')) {
    throw malformed(name, `must be exactly one ${DIGEST_PREFIX}<base64 of 32 bytes>: member`);
  }
  const digest = fromBase64(value.slice(DIGEST_PREFIX.length, -1), name);
  if (digest.length !== 32) throw malformed(name, 'the sha-256 digest must be 32 bytes');
  return digest;
}

function parseKeyId(value: string, name: string): string {
  if (value.length !== KEY_ID_CHARS || !KEY_ID_RE.test(value)) throw malformed(name, 'must be 64 lower-case hex digits');
  return value;
}

function parseTimestamp(value: string): number {
  if (value.length > 11 || !TIMESTAMP_RE.test(value)) throw malformed(H.timestamp, 'must be unix seconds in decimal, without leading zeros');
  return Number(value);
}

function parseNonce(value: string): Uint8Array {
  if (value.length !== NONCE_CHARS) throw malformed(H.nonce, `must be base64url of ${FEDERATION_SIGNATURE.nonceBytes} bytes`);
  return fromBase64Url(value, H.nonce);
}

function parseSignature(value: string): Uint8Array {
  if (value.length !== SIGNATURE_CHARS) throw malformed(H.signature, `must be base64url of ${FEDERATION_SIGNATURE.signatureBytes} bytes`);
  return fromBase64Url(value, H.signature);
}

function checkSkew(timestamp: number, clock: Clock, maxSkew: number): void {
  const diff = unixSeconds(clock) - timestamp;
  if (Math.abs(diff) <= maxSkew) return;
  const when = diff > 0 ? `${diff} s in the past` : `${-diff} s in the future`;
  throw new CairnError('timestamp_skew', `${H.timestamp} is ${when}; at most ${maxSkew} s either way is accepted`, {
    location: { field: H.timestamp },
    details: { skewSeconds: diff, maxSkewSeconds: maxSkew },
  });
}

function checkDigest(body: Uint8Array, claimed: Uint8Array, hash: Sha256 = sha256): void {
  if (!(body instanceof Uint8Array)) throw new TypeError('body must be a Uint8Array');
  if (!equalBytes(hash(body), claimed)) {
    throw new CairnError('digest_mismatch', `the body does not match its ${H.contentDigest}`, { location: { field: H.contentDigest } });
  }
}

/**
 * The verifier accepts a timestamp while floor(now) - timestamp <= maxSkew,
 * that is before (timestamp + maxSkew + 1) s; the nonce is kept until then.
 */
function nonceExpiry(timestamp: number, maxSkew: number): Date {
  return new Date((timestamp + maxSkew + 1) * 1000);
}

function unixSeconds(clock: Clock): number {
  const ms = clock.now().getTime();
  if (!Number.isFinite(ms) || ms < 0) throw new TypeError('clock.now() is not a time after 1970');
  return Math.floor(ms / 1000);
}

function checkMaxSkew(value: number | undefined): number {
  const v = value ?? FEDERATION_SIGNATURE.maxSkewSeconds;
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('maxSkewSeconds must be a non-negative integer');
  return v;
}

function checkMethod(method: string): string {
  const m = method.toUpperCase();
  if (!METHOD_RE.test(m)) throw new CairnError('invalid_request', `method ${JSON.stringify(method)} is not an HTTP token`, { location: { field: 'method' } });
  return m;
}

function parseUrl(url: string | URL): URL {
  try {
    return new URL(url);
  } catch (cause) {
    throw new CairnError('invalid_request', 'url must be an absolute URL', { cause, location: { field: 'url' } });
  }
}

function checkOwnKeyId(keyId: string, field: string): string {
  if (typeof keyId !== 'string' || !KEY_ID_RE.test(keyId)) {
    throw new CairnError('invalid_request', `${field} must be 64 lower-case hex digits`, { location: { field } });
  }
  return keyId;
}

function checkStatus(status: number): number {
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError('status must be an HTTP status code');
  return status;
}

/** A binding is this node's own data (its request, or a verified one), but it lands in a signature base. */
function checkBinding(b: RequestBinding): RequestBinding {
  checkOwnKeyId(b.keyId, 'request.keyId');
  if (typeof b.nonce !== 'string' || b.nonce.length !== NONCE_CHARS) throw new TypeError('request.nonce is not a Cairn-Nonce');
  fromBase64Url(b.nonce, 'request.nonce');
  if (typeof b.signature !== 'string' || b.signature.length !== SIGNATURE_CHARS) throw new TypeError('request.signature is not a Cairn-Signature');
  fromBase64Url(b.signature, 'request.signature');
  return b;
}

function signBase(signer: Signer, base: string): Uint8Array {
  const sig = signer.sign(utf8(base));
  if (sig.length !== FEDERATION_SIGNATURE.signatureBytes) throw new TypeError('signer returned a signature of the wrong length');
  return sig;
}

function joinLines(lines: readonly string[]): string {
  for (const line of lines) {
    if (/[\r\n]/.test(line)) throw new TypeError('a signature base line contains a line break');
  }
  return lines.join('\n');
}
