/**
 * Federation signatures with real Request and Response objects: a tiny hono
 * app verifies requests and signs its answers, called through
 * `app.request()` without opening a port; errors become RFC 9457 problems
 * through the same problem table the node uses.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../src/core/bytes.js';
import { buildSignedRequest, signResponse, verifyRequest, verifyResponse, type PeerKey } from '../src/core/federation/http-signature.js';
import { MemoryNonceStore } from '../src/core/federation/replay.js';
import { problemOf, problemResponse } from '../src/http/problem.js';
import type { Clock } from '../src/core/ports.js';
import { ed25519Signer, type Signer } from '../src/core/signing.js';

const A = ed25519Signer(new Uint8Array(32).fill(0x11));
const B = ed25519Signer(new Uint8Array(32).fill(0x22));
const R = ed25519Signer(new Uint8Array(32).fill(0x55));
const T0 = 1_767_225_600;
const clock: Clock = { now: () => new Date(T0 * 1000) };

const peers = new Map<string, PeerKey>([
  [A.keyId, { peerId: 'node-a', publicKey: A.publicKey, status: 'active' }],
  [R.keyId, { peerId: 'node-r', publicKey: R.publicKey, status: 'revoked' }],
]);

/** Node B: one federation route that answers "no hit" to authenticated peers. */
function nodeB() {
  const nonceStore = new MemoryNonceStore({ clock });
  const app = new Hono();
  app.onError((err) => problemResponse(problemOf(err)));
  app.post('/federation/v2/match', async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const peer = await verifyRequest(c.req.raw, body, { lookupKey: (id) => peers.get(id), ownKeyIds: [B.keyId], clock, nonceStore });
    const answer = utf8(JSON.stringify({ hit: false, askedBy: peer.peerId }));
    const headers = signResponse({ status: 200, body: answer, request: peer.binding, signer: B, clock });
    headers.set('content-type', 'application/json');
    return new Response(answer.slice(), { status: 200, headers });
  });
  return app;
}

let counter = 0;
function ask(signer: Signer = A, body = utf8('{"searchId":"s_1","blindedElements":[]}')) {
  return buildSignedRequest({
    method: 'POST',
    url: 'https://node-b.example/federation/v2/match?page=1',
    body,
    signer,
    recipientKeyId: B.keyId,
    clock,
    random: { bytes: (n) => new Uint8Array(n).fill(++counter % 256) },
    headers: { 'content-type': 'application/json' },
  });
}

describe('federation signatures through a hono app', () => {
  it('answers an authenticated request with a response the asking node verifies', async () => {
    const app = nodeB();
    const { request, binding } = ask();
    const res = await app.request(request);
    expect(res.status).toBe(200);
    const body = new Uint8Array(await res.arrayBuffer());
    expect(verifyResponse(res, body, { peerPublicKey: B.publicKey, request: binding, clock }).keyId).toBe(B.keyId);
    expect(JSON.parse(new TextDecoder().decode(body))).toEqual({ hit: false, askedBy: 'node-a' });
  });

  it('maps each failure to its problem status; refusals of unauthenticated requests are not signed', async () => {
    const app = nodeB();
    const problem = async (res: Response) => {
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('Cairn-Signature')).toBeNull();
      return { status: res.status, code: ((await res.json()) as { code: string }).code };
    };

    const ok = ask();
    const headers = new Headers(ok.request.headers);
    headers.delete('Cairn-Signature');
    const unsigned = new Request(ok.request.url, { method: 'POST', headers, body: '{}' });
    expect(await problem(await app.request(unsigned))).toEqual({ status: 401, code: 'signature_missing' });

    const unknown = ask(ed25519Signer(new Uint8Array(32).fill(0x66)));
    expect(await problem(await app.request(unknown.request))).toEqual({ status: 401, code: 'peer_unknown' });

    const revoked = ask(R);
    expect(await problem(await app.request(revoked.request))).toEqual({ status: 403, code: 'peer_revoked' });

    const swapped = new Request(ok.request.url, { method: 'POST', headers: ok.request.headers, body: '{"searchId":"s_3","blindedElements":[]}' });
    expect(await problem(await app.request(swapped))).toEqual({ status: 400, code: 'digest_mismatch' });

    const replay = ok.request.clone();
    expect((await app.request(ok.request)).status).toBe(200);
    expect(await problem(await app.request(replay))).toEqual({ status: 409, code: 'nonce_replayed' });
  });

  it('a late request is refused with timestamp_skew and 401', async () => {
    const app = nodeB();
    const late = buildSignedRequest({
      method: 'POST',
      url: 'https://node-b.example/federation/v2/match',
      body: utf8('{}'),
      signer: A,
      recipientKeyId: B.keyId,
      clock: { now: () => new Date((T0 - 3600) * 1000) },
      random: { bytes: (n) => new Uint8Array(n).fill(200) },
    });
    const res = await app.request(late.request);
    expect(res.status).toBe(401);
    const p = (await res.json()) as { code: string; detail: string; field: string };
    expect(p).toMatchObject({ code: 'timestamp_skew', field: 'Cairn-Timestamp' });
    expect(p.detail).toContain('3600 s in the past');
  });
});
