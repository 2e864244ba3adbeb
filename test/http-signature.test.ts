/**
 * Federation request/response signatures (protocol/30-federation-auth.md):
 * round trips, one distinct problem code per failure, tampering with every
 * covered component, replay, clock skew both ways, responses bound to their
 * request, and fast-check properties over random bodies and URLs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64, toBase64Url, utf8 } from '../src/core/bytes.js';
import { isCairnError, type ErrorCode } from '../src/core/errors.js';
import {
  buildSignedRequest,
  contentDigest,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
  type PeerKey,
  type RequestBinding,
  type VerifyRequestOptions,
} from '../src/core/federation/http-signature.js';
import { MemoryNonceStore, type NonceStore } from '../src/core/federation/replay.js';
import { statusOf } from '../src/http/problem.js';
import type { Clock, Random } from '../src/core/ports.js';
import { ed25519Signer, type Signer } from '../src/core/signing.js';
import { nodeSha256 } from '../src/node/sha256.js';

const A = ed25519Signer(new Uint8Array(32).fill(0x11)); // asking node
const B = ed25519Signer(new Uint8Array(32).fill(0x22)); // answering node
const C = ed25519Signer(new Uint8Array(32).fill(0x33)); // another registered peer
const B2 = ed25519Signer(new Uint8Array(32).fill(0x44)); // B's next key, during a rotation
const R = ed25519Signer(new Uint8Array(32).fill(0x55)); // a revoked peer

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const URL_B = 'https://node-b.example/federation/v2/match?page=1';
const BODY = utf8('{"searchId":"s_1","blindedElements":["AAEC"]}');

const clockAt = (seconds: number): Clock => ({ now: () => new Date(seconds * 1000) });
/** A mutable clock for tests that move time. */
function movingClock(seconds: number): Clock & { set(s: number): void } {
  let ms = seconds * 1000;
  return { now: () => new Date(ms), set: (s) => (ms = s * 1000) };
}
/** Distinct, reproducible nonces. */
function counterRandom(start = 0): Random {
  let n = start;
  return {
    bytes(len) {
      const out = new Uint8Array(len);
      new DataView(out.buffer).setUint32(0, n++);
      return out;
    },
  };
}

const registry = new Map<string, PeerKey>([
  [A.keyId, { peerId: 'node-a', publicKey: A.publicKey, status: 'active' }],
  [C.keyId, { peerId: 'node-c', publicKey: C.publicKey, status: 'active' }],
  [R.keyId, { peerId: 'node-r', publicKey: R.publicKey, status: 'revoked' }],
]);

function verifierOf(over: Partial<VerifyRequestOptions> = {}): VerifyRequestOptions {
  const clock = over.clock ?? clockAt(T0);
  return {
    lookupKey: (keyId) => registry.get(keyId),
    ownKeyIds: [B.keyId, B2.keyId],
    clock,
    nonceStore: new MemoryNonceStore({ clock }),
    ...over,
  };
}

interface Sent {
  request: Request;
  binding: RequestBinding;
  body: Uint8Array;
}

function send(over: { method?: string; url?: string; body?: Uint8Array; signer?: Signer; recipientKeyId?: string; at?: number; random?: Random } = {}): Sent {
  const body = over.body ?? BODY;
  const { request, binding } = buildSignedRequest({
    method: over.method ?? 'POST',
    url: over.url ?? URL_B,
    body,
    signer: over.signer ?? A,
    recipientKeyId: over.recipientKeyId ?? B.keyId,
    clock: clockAt(over.at ?? T0),
    random: over.random ?? counterRandom(),
  });
  return { request, binding, body };
}

/** The same request with header changes (null deletes), another method or URL. */
function alter(r: Request, change: { headers?: Record<string, string | null>; method?: string; url?: string; append?: [string, string] }): Request {
  const headers = new Headers(r.headers);
  for (const [k, v] of Object.entries(change.headers ?? {})) {
    if (v === null) headers.delete(k);
    else headers.set(k, v);
  }
  if (change.append) headers.append(...change.append);
  return new Request(change.url ?? r.url, { method: change.method ?? r.method, headers });
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<{ code: ErrorCode; field: string | undefined; message: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isCairnError(e)) return { code: e.code, field: e.location?.field, message: e.message };
    throw e;
  }
  throw new Error('expected a CairnError, but the call succeeded');
}

describe('request round trip', () => {
  it('verifies a signed request and returns the authenticated peer', async () => {
    const { request, binding, body } = send();
    const peer = await verifyRequest(request, body, verifierOf());
    expect(peer).toEqual({ peerId: 'node-a', keyId: A.keyId, timestamp: new Date(T0 * 1000), binding });
    expect(binding.keyId).toBe(A.keyId);
    expect(request.headers.get('content-digest')).toBe(contentDigest(body));
  });

  it('takes the runtime\'s SHA-256 for both digests: the bytes are the same, and a digest it computes is what is checked', async () => {
    const { headers, binding } = signRequest({ method: 'POST', url: URL_B, body: BODY, signer: A, recipientKeyId: B.keyId, clock: clockAt(T0), random: counterRandom(), sha256: nodeSha256 });
    expect(headers.get('content-digest')).toBe(contentDigest(BODY));
    const request = new Request(URL_B, { method: 'POST', headers });
    await verifyRequest(request, BODY, verifierOf({ sha256: nodeSha256 }));
    // A hash that disagrees with the one that signed fails the digest, so the option is what verifies.
    const zeros = () => new Uint8Array(32);
    expect((await codeOf(verifyRequest(request, BODY, verifierOf({ sha256: zeros })))).code).toBe('digest_mismatch');
    const res = signResponse({ status: 200, body: BODY, request: binding, signer: B, clock: clockAt(T0), sha256: nodeSha256 });
    expect(res.get('content-digest')).toBe(contentDigest(BODY));
    const response = new Response(BODY as Uint8Array<ArrayBuffer>, { status: 200, headers: res });
    expect(verifyResponse(response, BODY, { peerPublicKey: B.publicKey, request: binding, clock: clockAt(T0), sha256: nodeSha256 }).keyId).toBe(B.keyId);
    expect((await codeOf(() => verifyResponse(response, BODY, { peerPublicKey: B.publicKey, request: binding, clock: clockAt(T0), sha256: zeros }))).code).toBe('digest_mismatch');
  });

  it('signs GET requests over the empty body and any method in upper case', async () => {
    const get = send({ method: 'get', body: new Uint8Array() });
    expect(get.request.method).toBe('GET');
    expect(get.request.headers.get('Content-Digest')).toBe(`sha-256=:${toBase64(new Uint8Array([0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55]))}:`);
    await expect(verifyRequest(get.request, get.body, verifierOf())).resolves.toMatchObject({ peerId: 'node-a' });
    const patch = send({ method: 'patch' });
    await expect(verifyRequest(patch.request, patch.body, verifierOf())).resolves.toMatchObject({ peerId: 'node-a' });
  });

  it('accepts a request addressed to either key of a node in rotation', async () => {
    const r = send({ recipientKeyId: B2.keyId });
    await expect(verifyRequest(r.request, r.body, verifierOf())).resolves.toMatchObject({ peerId: 'node-a' });
  });

  it('does not cover scheme or host: the recipient key id names the node', async () => {
    const { request, body } = send();
    const moved = alter(request, { url: 'http://10.0.0.7:8080/federation/v2/match?page=1' });
    await expect(verifyRequest(moved, body, verifierOf())).resolves.toMatchObject({ peerId: 'node-a' });
  });

  it('refuses to sign what it could not send or verify', async () => {
    const base = { url: URL_B, signer: A, recipientKeyId: B.keyId, clock: clockAt(T0), random: counterRandom() };
    expect((await codeOf(() => signRequest({ ...base, method: 'GET', body: BODY }))).field).toBe('body');
    expect((await codeOf(() => signRequest({ ...base, method: 'PO ST', body: BODY }))).field).toBe('method');
    expect((await codeOf(() => signRequest({ ...base, method: 'POST', body: BODY, url: '/relative' }))).field).toBe('url');
    expect((await codeOf(() => signRequest({ ...base, method: 'POST', body: BODY, recipientKeyId: B.keyId.toUpperCase() }))).field).toBe('recipientKeyId');
  });
});

describe('each failure has its own problem code', () => {
  const H = ['Content-Digest', 'Cairn-Key-Id', 'Cairn-Recipient', 'Cairn-Timestamp', 'Cairn-Nonce', 'Cairn-Signature'];

  it.each(H)('missing %s: signature_missing naming the header', async (name) => {
    const { request, body } = send();
    const r = await codeOf(verifyRequest(alter(request, { headers: { [name]: null } }), body, verifierOf()));
    expect(r).toMatchObject({ code: 'signature_missing', field: name });
    const empty = await codeOf(verifyRequest(alter(request, { headers: { [name]: '' } }), body, verifierOf()));
    expect(empty).toMatchObject({ code: 'signature_missing', field: name });
  });

  const sha512 = `sha-512=:${toBase64(new Uint8Array(64))}:`;
  const d = contentDigest(BODY);
  const malformed: [string, string][] = [
    ['Content-Digest', sha512],
    ['Content-Digest', d.replace('sha-256', 'SHA-256')],
    ['Content-Digest', `${d}, ${sha512}`],
    ['Content-Digest', `${d};p=1`],
    ['Content-Digest', d.slice(0, -1)],
    ['Content-Digest', `sha-256=:${toBase64(new Uint8Array(31))}:`],
    ['Content-Digest', `sha-256=:${toBase64Url(new Uint8Array(32))}A:`],
    ['Content-Digest', 'x'.repeat(10_000)],
    ['Cairn-Key-Id', A.keyId.toUpperCase()],
    ['Cairn-Key-Id', A.keyId.slice(2)],
    ['Cairn-Key-Id', `${A.keyId}00`],
    ['Cairn-Recipient', `0x${B.keyId.slice(2)}`],
    ['Cairn-Timestamp', `0${T0}`],
    ['Cairn-Timestamp', `${T0}.5`],
    ['Cairn-Timestamp', `-${T0}`],
    ['Cairn-Timestamp', ' 1'.repeat(8)],
    ['Cairn-Timestamp', '9'.repeat(12)],
    ['Cairn-Nonce', 'AAECAwQFBgcICQoLDA0ODw=='],
    ['Cairn-Nonce', 'AAECAwQFBgcICQoLDA0OD+'],
    ['Cairn-Nonce', 'AAECAwQFBgcICQoLDA0ODx'], // non-zero trailing bits
    ['Cairn-Nonce', 'AAECAwQFBgcICQoLDA0O'],
    ['Cairn-Signature', toBase64Url(new Uint8Array(63))],
    ['Cairn-Signature', toBase64(new Uint8Array(64))],
  ];

  it.each(malformed)('malformed %s (%s): invalid_request naming the header', async (name, value) => {
    const { request, body } = send();
    const r = await codeOf(verifyRequest(alter(request, { headers: { [name]: value } }), body, verifierOf()));
    expect(r).toMatchObject({ code: 'invalid_request', field: name });
  });

  it('a header sent twice is malformed', async () => {
    const { request, body } = send();
    const twice = alter(request, { append: ['Cairn-Nonce', 'AAECAwQFBgcICQoLDA0ODw'] });
    expect(await codeOf(verifyRequest(twice, body, verifierOf()))).toMatchObject({ code: 'invalid_request', field: 'Cairn-Nonce' });
  });

  it('names the digest algorithm it refuses', async () => {
    const { request, body } = send();
    const r = await codeOf(verifyRequest(alter(request, { headers: { 'Content-Digest': sha512 } }), body, verifierOf()));
    expect(r.message).toContain('only sha-256 is accepted, not sha-512');
  });

  it('walks the whole verification order with a distinct code at each step', async () => {
    const codes: ErrorCode[] = [];
    const v = () => verifierOf();
    const ok = send();
    codes.push((await codeOf(verifyRequest(alter(ok.request, { headers: { 'Cairn-Signature': null } }), ok.body, v()))).code);
    codes.push((await codeOf(verifyRequest(alter(ok.request, { headers: { 'Cairn-Timestamp': 'soon' } }), ok.body, v()))).code);
    const unknown = send({ signer: ed25519Signer(new Uint8Array(32).fill(0x66)) });
    codes.push((await codeOf(verifyRequest(unknown.request, unknown.body, v()))).code);
    const revoked = send({ signer: R });
    codes.push((await codeOf(verifyRequest(revoked.request, revoked.body, v()))).code);
    const stale = send({ at: T0 - 301 });
    codes.push((await codeOf(verifyRequest(stale.request, stale.body, v()))).code);
    codes.push((await codeOf(verifyRequest(ok.request, utf8('{"searchId":"s_2"}'), v()))).code);
    const forged = alter(ok.request, { headers: { 'Cairn-Signature': toBase64Url(new Uint8Array(64).fill(7)) } });
    codes.push((await codeOf(verifyRequest(forged, ok.body, v()))).code);
    const shared = v();
    await verifyRequest(ok.request, ok.body, shared);
    codes.push((await codeOf(verifyRequest(ok.request.clone(), ok.body, shared))).code);
    expect(codes).toEqual([
      'signature_missing',
      'invalid_request',
      'peer_unknown',
      'peer_revoked',
      'timestamp_skew',
      'digest_mismatch',
      'signature_invalid',
      'nonce_replayed',
    ]);
    expect(codes.map(statusOf)).toEqual([401, 400, 401, 403, 401, 400, 401, 409]);
  });

  it('a request for another node fails naming Cairn-Recipient', async () => {
    const r = send({ recipientKeyId: C.keyId });
    expect(await codeOf(verifyRequest(r.request, r.body, verifierOf()))).toMatchObject({ code: 'signature_invalid', field: 'Cairn-Recipient' });
  });

  it('a revoked peer is refused even with a valid signature', async () => {
    const revoked = send({ signer: R });
    expect(await codeOf(verifyRequest(revoked.request, revoked.body, verifierOf()))).toMatchObject({ code: 'peer_revoked', field: 'Cairn-Key-Id' });
  });
});

describe('tampering with any covered component breaks the signature', () => {
  const cases: [string, (s: Sent) => { request: Request; body: Uint8Array }, ErrorCode][] = [
    ['method', (s) => ({ request: alter(s.request, { method: 'PUT' }), body: s.body }), 'signature_invalid'],
    ['path', (s) => ({ request: alter(s.request, { url: 'https://node-b.example/federation/v2/other?page=1' }), body: s.body }), 'signature_invalid'],
    ['path case', (s) => ({ request: alter(s.request, { url: 'https://node-b.example/Federation/v2/match?page=1' }), body: s.body }), 'signature_invalid'],
    ['query', (s) => ({ request: alter(s.request, { url: 'https://node-b.example/federation/v2/match?page=2' }), body: s.body }), 'signature_invalid'],
    ['query removed', (s) => ({ request: alter(s.request, { url: 'https://node-b.example/federation/v2/match' }), body: s.body }), 'signature_invalid'],
    ['body', (s) => ({ request: s.request, body: utf8('{"searchId":"s_1","blindedElements":[]}') }), 'digest_mismatch'],
    [
      'body with a matching digest',
      (s) => {
        const body = utf8('{"searchId":"s_3","blindedElements":["AAEC"]}');
        return { request: alter(s.request, { headers: { 'Content-Digest': contentDigest(body) } }), body };
      },
      'signature_invalid',
    ],
    ['timestamp', (s) => ({ request: alter(s.request, { headers: { 'Cairn-Timestamp': String(T0 - 1) } }), body: s.body }), 'signature_invalid'],
    ['nonce', (s) => ({ request: alter(s.request, { headers: { 'Cairn-Nonce': toBase64Url(new Uint8Array(16).fill(9)) } }), body: s.body }), 'signature_invalid'],
    ['key id (another registered peer)', (s) => ({ request: alter(s.request, { headers: { 'Cairn-Key-Id': C.keyId } }), body: s.body }), 'signature_invalid'],
    ['recipient (the node\'s other key)', (s) => ({ request: alter(s.request, { headers: { 'Cairn-Recipient': B2.keyId } }), body: s.body }), 'signature_invalid'],
    ['recipient (another node)', (s) => ({ request: alter(s.request, { headers: { 'Cairn-Recipient': C.keyId } }), body: s.body }), 'signature_invalid'],
    [
      'signature (one bit)',
      (s) => {
        const sig = s.request.headers.get('Cairn-Signature')!;
        const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
        return { request: alter(s.request, { headers: { 'Cairn-Signature': flipped } }), body: s.body };
      },
      'signature_invalid',
    ],
  ];

  it.each(cases)('%s', async (_name, tamper, code) => {
    const sent = send();
    const { request, body } = tamper(sent);
    expect((await codeOf(verifyRequest(request, body, verifierOf()))).code).toBe(code);
    // The untouched request still verifies: the failure is the tampering.
    await expect(verifyRequest(sent.request, sent.body, verifierOf())).resolves.toBeDefined();
  });
});

describe('replay', () => {
  it('refuses the same request twice, and only after the signature verified', async () => {
    const opts = verifierOf();
    const store = opts.nonceStore as MemoryNonceStore;
    const { request, body } = send();
    const forged = alter(request, { headers: { 'Cairn-Signature': toBase64Url(new Uint8Array(64)) } });
    expect((await codeOf(verifyRequest(forged, body, opts))).code).toBe('signature_invalid');
    expect(store.size).toBe(0);
    await verifyRequest(request.clone(), body, opts);
    expect(store.size).toBe(1);
    expect(await codeOf(verifyRequest(request, body, opts))).toMatchObject({ code: 'nonce_replayed', field: 'Cairn-Nonce' });
  });

  it('keeps nonces per peer, and forgets them once the timestamp alone refuses the request', async () => {
    const clock = movingClock(T0);
    const opts = verifierOf({ clock, nonceStore: new MemoryNonceStore({ clock }) });
    const fromA = send({ random: counterRandom(7) });
    const fromC = send({ signer: C, random: counterRandom(7) });
    expect(fromA.binding.nonce).toBe(fromC.binding.nonce);
    await verifyRequest(fromA.request.clone(), fromA.body, opts);
    await verifyRequest(fromC.request, fromC.body, opts);
    clock.set(T0 + 300);
    expect((await codeOf(verifyRequest(fromA.request.clone(), fromA.body, opts))).code).toBe('nonce_replayed');
    clock.set(T0 + 301);
    expect((await codeOf(verifyRequest(fromA.request, fromA.body, opts))).code).toBe('timestamp_skew');
  });

  it('uses the nonce store port with the peer id and the end of the window', async () => {
    const calls: [string, string, number][] = [];
    const nonceStore: NonceStore = {
      async checkAndRemember(peerId, nonce, expiresAt) {
        calls.push([peerId, nonce, expiresAt.getTime()]);
        return true;
      },
    };
    const { request, body, binding } = send();
    await verifyRequest(request, body, verifierOf({ nonceStore, maxSkewSeconds: 60 }));
    expect(calls).toEqual([['node-a', binding.nonce, (T0 + 61) * 1000]]);
  });
});

describe('clock skew', () => {
  it.each([
    [-300, null],
    [300, null],
    [-301, '301 s in the past'],
    [301, '301 s in the future'],
    [-86_400, '86400 s in the past'],
    [86_400, '86400 s in the future'],
  ] as const)('sent %i s from the verifier clock: %s', async (offset, message) => {
    const { request, body } = send({ at: T0 + offset });
    const p = verifyRequest(request, body, verifierOf());
    if (message === null) {
      await expect(p).resolves.toBeDefined();
    } else {
      const r = await codeOf(p);
      expect(r).toMatchObject({ code: 'timestamp_skew', field: 'Cairn-Timestamp' });
      expect(r.message).toContain(message);
    }
  });

  it('honours maxSkewSeconds and reports the difference in details', async () => {
    const { request, body } = send({ at: T0 - 61 });
    try {
      await verifyRequest(request, body, verifierOf({ maxSkewSeconds: 60 }));
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e, 'timestamp_skew')).toBe(true);
      expect((e as { details?: unknown }).details).toEqual({ skewSeconds: 61, maxSkewSeconds: 60 });
    }
  });
});

describe('responses', () => {
  function answer(binding: RequestBinding, over: { status?: number; body?: Uint8Array; signer?: Signer; at?: number } = {}) {
    const body = over.body ?? utf8('{"hit":false}');
    const status = over.status ?? 200;
    const headers = signResponse({ status, body, request: binding, signer: over.signer ?? B, clock: clockAt(over.at ?? T0 + 1) });
    return { response: new Response(body.slice(), { status, headers }), body };
  }
  const asking = (binding: RequestBinding, over: { maxSkewSeconds?: number } = {}) => ({ peerPublicKey: B.publicKey, request: binding, clock: clockAt(T0 + 2), ...over });

  it('round trip, problem responses included', async () => {
    const { binding } = send();
    const ok = answer(binding);
    expect(verifyResponse(ok.response, ok.body, asking(binding))).toEqual({ keyId: B.keyId, timestamp: new Date((T0 + 1) * 1000) });
    const refused = answer(binding, { status: 403, body: utf8('{"code":"purpose_denied"}') });
    expect(verifyResponse(refused.response, refused.body, asking(binding)).keyId).toBe(B.keyId);
  });

  it('is bound to its request: the answer to one request fails for another', async () => {
    const first = send({ random: counterRandom(1) });
    const second = send({ random: counterRandom(2) });
    const { response, body } = answer(first.binding);
    expect((await codeOf(() => verifyResponse(response, body, asking(second.binding)))).code).toBe('signature_invalid');
  });

  it('is bound to the exact request, even if its sender ever repeated a nonce', async () => {
    const first = send({ random: counterRandom(5) });
    const second = send({ random: counterRandom(5), body: utf8('{"searchId":"s_1","blindedElements":[]}') });
    expect(second.binding.nonce).toBe(first.binding.nonce);
    const { response, body } = answer(first.binding);
    expect((await codeOf(() => verifyResponse(response, body, asking(second.binding)))).code).toBe('signature_invalid');
  });

  it('a peer reusing our nonce cannot obtain an answer that verifies for our request', async () => {
    // A asks B; C copies A's nonce into a request of its own, which B accepts (nonces are per peer).
    const ours = send({ random: counterRandom(42) });
    const theirs = send({ signer: C, random: counterRandom(42), body: utf8('{"searchId":"s_0","blindedElements":[]}') });
    const atB = await verifyRequest(theirs.request, theirs.body, verifierOf());
    expect(atB.binding.nonce).toBe(ours.binding.nonce);
    const { response, body } = answer(atB.binding);
    expect((await codeOf(() => verifyResponse(response, body, asking(ours.binding)))).code).toBe('signature_invalid');
  });

  it('each response failure has its own code', async () => {
    const { binding } = send();
    const ok = answer(binding);
    const without = (name: string) => {
      const headers = new Headers(ok.response.headers);
      headers.delete(name);
      return new Response(ok.body.slice(), { status: 200, headers });
    };
    for (const name of ['Content-Digest', 'Cairn-Key-Id', 'Cairn-Timestamp', 'Cairn-Signature']) {
      expect(await codeOf(() => verifyResponse(without(name), ok.body, asking(binding)))).toMatchObject({ code: 'signature_missing', field: name });
    }
    const badTs = new Headers(ok.response.headers);
    badTs.set('Cairn-Timestamp', 'yesterday');
    expect((await codeOf(() => verifyResponse(new Response(null, { headers: badTs }), ok.body, asking(binding)))).code).toBe('invalid_request');
    const byC = answer(binding, { signer: C });
    expect(await codeOf(() => verifyResponse(byC.response, byC.body, asking(binding)))).toMatchObject({ code: 'peer_unknown', field: 'Cairn-Key-Id' });
    const late = answer(binding, { at: T0 + 400 });
    expect((await codeOf(() => verifyResponse(late.response, late.body, asking(binding)))).message).toContain('398 s in the future');
    expect((await codeOf(() => verifyResponse(ok.response, utf8('{"hit":true}'), asking(binding)))).code).toBe('digest_mismatch');
    const status = new Response(ok.body.slice(), { status: 202, headers: ok.response.headers });
    expect((await codeOf(() => verifyResponse(status, ok.body, asking(binding)))).code).toBe('signature_invalid');
  });

  it('a response that flips no-hit to hit with a fresh digest fails the signature', async () => {
    const { binding } = send();
    const ok = answer(binding);
    const hit = utf8('{"hit":true}');
    const headers = new Headers(ok.response.headers);
    headers.set('Content-Digest', contentDigest(hit));
    expect((await codeOf(() => verifyResponse(new Response(hit.slice(), { headers }), hit, asking(binding)))).code).toBe('signature_invalid');
  });
});

describe('MemoryNonceStore', () => {
  it('expires entries and refuses a peer past its bound instead of evicting live nonces', async () => {
    const clock = movingClock(T0);
    const store = new MemoryNonceStore({ clock, maxPerPeer: 2 });
    const until = new Date((T0 + 10) * 1000);
    expect(await store.checkAndRemember('p', 'n1', until)).toBe(true);
    expect(await store.checkAndRemember('p', 'n1', until)).toBe(false);
    expect(await store.checkAndRemember('p', 'n2', until)).toBe(true);
    expect(await store.checkAndRemember('q', 'n3', until)).toBe(true);
    expect((await codeOf(store.checkAndRemember('p', 'n3', until))).code).toBe('rate_limited');
    clock.set(T0 + 10);
    expect(await store.checkAndRemember('p', 'n3', new Date((T0 + 20) * 1000))).toBe(true);
    expect(await store.checkAndRemember('p', 'n1', new Date((T0 + 20) * 1000))).toBe(true);
  });

  it('does not store what is already outside the window', async () => {
    const store = new MemoryNonceStore({ clock: clockAt(T0) });
    expect(await store.checkAndRemember('p', 'n', new Date(T0 * 1000))).toBe(true);
    expect(store.size).toBe(0);
  });
});

describe('properties', () => {
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');

  it('sign then verify succeeds for any body, path and query; any changed body byte fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        fc.webUrl({ withQueryParameters: true }),
        fc.uint8Array({ minLength: 0, maxLength: 4096 }),
        fc.nat(),
        async (m, url, rawBody, at) => {
          const body = m === 'GET' ? new Uint8Array() : rawBody;
          const { request, binding } = buildSignedRequest({ method: m, url, body, signer: A, recipientKeyId: B.keyId, clock: clockAt(T0), random: counterRandom(at) });
          const peer = await verifyRequest(request, body, verifierOf());
          expect(peer.binding).toEqual(binding);
          if (body.length > 0) {
            const changed = body.slice();
            changed[at % body.length]! ^= 1 << (at % 8);
            expect((await codeOf(verifyRequest(request.clone(), changed, verifierOf()))).code).toBe('digest_mismatch');
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any other path or query fails the signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.webPath(), fc.webPath(), fc.webQueryParameters(), fc.webQueryParameters(), async (p1, p2, q1, q2) => {
        const u1 = new URL(`https://node-b.example${p1}?${q1}`);
        const u2 = new URL(`https://node-b.example${p2}?${q2}`);
        fc.pre(u1.pathname + u1.search !== u2.pathname + u2.search);
        const { request, body } = send({ url: u1.href });
        const moved = new Request(u2, { method: 'POST', headers: request.headers, body: body.slice() });
        expect((await codeOf(verifyRequest(moved, body, verifierOf()))).code).toBe('signature_invalid');
      }),
      { numRuns: 150 },
    );
  });
});
