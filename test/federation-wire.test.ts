/**
 * The federation wire (cairn/2) between two real nodes, driven by hand: each
 * authentication failure and each malformed request gets its own problem
 * code, none counts as a query, and the node keeps serving; a cairn/1
 * request is told which version the node speaks. The OPRF side of the
 * exchange is also driven with an independent RFC 9497 implementation
 * (@cloudflare/voprf-ts) to show a compatible client finds the hit through
 * the index delta of the answer and confirms it.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DLEQProof, Evaluation, Oprf, VOPRFClient } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { fromBase64Url, fromHex, toBase64Url, utf8 } from '../src/core/bytes.js';
import { fingerprintsWith } from '../src/core/federation/index/chain.js';
import { CHANGE_OP } from '../src/core/federation/index/changes.js';
import { blind } from '../src/core/oprf/index.js';
import { buildSignedRequest } from '../src/core/federation/http-signature.js';
import { FEDERATION } from '../src/core/constants.js';
import { indexFingerprint } from '../src/core/federation/index/fingerprint.js';
import { deriveQueryKeys, parseIdentifiers } from '../src/core/identity/index.js';
import { systemClock, webRandom, type Clock } from '../src/core/ports.js';
import { ed25519Signer, keyIdOf } from '../src/core/signing.js';
import { freePort, tempDir } from './helpers/cli.js';

const CTX = { searchId: 'wire-test-1', purpose: 'missing_child_tracing', legalBasis: 'test', caseReference: 'W-1' };
const IDS = { names: [{ given: 'Amina', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2014-07-30' } };

describe('federation wire', () => {
  const t = tempDir('cairn-wire-');
  let xa: FedNode;
  let xb: FedNode;
  let xaKeyId: string;
  let xaDescriptor: { protocol: string; oprfKey: { publicKey: string }; signingKey: { publicKey: string } };
  const signerB = () => ed25519Signer(fromHex(readFileSync(join(xb.home, 'keys/signing.key'), 'utf8').trim()));

  type SignOptions = { clock?: Clock; signer?: ReturnType<typeof ed25519Signer>; recipient?: string; contentType?: string };

  /** A POST of `bytes` to XA's `path`, signed by XB unless told otherwise. */
  function signedTo(path: string, bytes: Uint8Array, opts: SignOptions = {}): Request {
    return buildSignedRequest({
      method: 'POST',
      url: new URL(path, xa.url),
      body: bytes,
      signer: opts.signer ?? signerB(),
      recipientKeyId: opts.recipient ?? xaKeyId,
      clock: opts.clock ?? systemClock,
      random: webRandom,
      headers: { 'content-type': opts.contentType ?? FEDERATION.mediaType },
    }).request;
  }

  async function send(path: string, body: unknown, opts: SignOptions & { mutate?: (h: Headers) => void; bodyOverride?: Uint8Array } = {}) {
    const bytes = utf8(JSON.stringify(body));
    const request = signedTo(path, bytes, opts);
    const headers = new Headers(request.headers);
    opts.mutate?.(headers);
    const res = await fetch(request.url, { method: 'POST', headers, body: (opts.bodyOverride ?? bytes) as Uint8Array<ArrayBuffer> });
    return { status: res.status, json: await res.json(), headers: res.headers, requestHeaders: headers, bytes };
  }

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(t.dir, [{ country: 'XA', name: 'A', port: ports[0]! }, { country: 'XB', name: 'B', port: ports[1]! }], { missing_child_tracing: ['missing_child'] })) as [FedNode, FedNode];
    const env = await (await fetch(`${xa.url}/.well-known/cairn/node`)).json();
    xaDescriptor = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    xaKeyId = keyIdOf(fromBase64Url(xaDescriptor.signingKey.publicKey));
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XA-W-1', category: 'missing_child', owningUnit: 'U', contactPoint: 'c@x.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.status).toBe(200);
    await untilReplicasReady(xb);
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  /** A random valid blinded element (the blind of a random input). */
  const randomElement = () => toBase64Url(blind(webRandom.bytes(32)).blindedElement);
  const padded = (elements: string[], n = 8) => [...elements, ...Array.from({ length: n - elements.length }, randomElement)];

  it('an independent RFC 9497 client (voprf-ts) finds the record through the answer\'s index delta and confirms it', async () => {
    expect(xaDescriptor.protocol).toBe('cairn/2');
    const keys = deriveQueryKeys(parseIdentifiers(IDS));
    const suite = Oprf.Suite.RISTRETTO255_SHA512;
    const group = Oprf.getGroup(suite, CryptoNoble);
    const client = new VOPRFClient(suite, fromBase64Url(xaDescriptor.oprfKey.publicKey), CryptoNoble);
    // Padded with random inputs, blinded by voprf-ts like the real ones.
    const inputs = [...keys.map((k) => k.encoded), ...Array.from({ length: 8 - keys.length }, () => webRandom.bytes(32))];
    const [finData, evalReq] = await client.blind(inputs);
    // A replica at version 0 (empty): the delta of the answer holds every fingerprint of the index.
    const r = await send('/federation/v2/match', { ...CTX, replicaVersions: { missing_child: 0 }, blindedElements: evalReq.blinded.map((b) => toBase64Url(b.serialize())) });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.headers.get('content-type')).toBe(FEDERATION.mediaType);
    const evaluation = new Evaluation(
      Oprf.Mode.VOPRF,
      r.json.evaluatedElements.map((e: string) => group.desElt(fromBase64Url(e))),
      DLEQProof.deserialize(group.id, fromBase64Url(r.json.proof), CryptoNoble),
    );
    const outputs: Uint8Array[] = (await client.finalize(finData, evaluation)).slice(0, keys.length);
    expect(r.json.deltas.map((d: { category: string; fromVersion: number }) => [d.category, d.fromVersion])).toEqual([['missing_child', 0]]);
    const listed = new Set(fingerprintsWith(fromBase64Url(r.json.deltas[0].changes), CHANGE_OP.add).map(toBase64Url));
    const found = outputs.filter((o) => listed.has(toBase64Url(indexFingerprint(o))));
    expect(found.length).toBeGreaterThanOrEqual(3);
    // Confirmation names the category, the listed fingerprint and the unlisted bytes 16..24 of the token.
    const hit = { ...CTX, category: 'missing_child', fingerprint: toBase64Url(indexFingerprint(found[0]!)), confirm: toBase64Url(found[0]!.slice(16, 24)) };
    const confirmed = await send('/federation/v2/hits', hit);
    expect(confirmed.status, JSON.stringify(confirmed.json)).toBe(200);
    expect(confirmed.json.receipts).toHaveLength(1);
    const receipt = JSON.parse(Buffer.from(confirmed.json.receipts[0].payload, 'base64').toString('utf8'));
    expect(receipt).toMatchObject({ record: { ref: 'XA-W-1', category: 'missing_child' }, searchId: CTX.searchId });
    const wrongConfirm = await send('/federation/v2/hits', { ...hit, confirm: toBase64Url(found[1]!.slice(16, 24)) });
    expect([wrongConfirm.status, wrongConfirm.json.code]).toEqual([404, 'hit_not_found']);
    const otherCategory = await send('/federation/v2/hits', { ...hit, category: 'suspect' });
    expect([otherCategory.status, otherCategory.json.code]).toEqual([404, 'hit_not_found']);
    // The response is signed and bound to this request.
    expect(r.headers.get('cairn-signature')).toMatch(/^[A-Za-z0-9_-]{86}$/);
    // Without a replica of a category, the answer carries its signed head only: the searcher syncs a snapshot.
    const none = await send('/federation/v2/match', { ...CTX, replicaVersions: {}, blindedElements: padded([]) });
    expect(none.json.deltas).toEqual([{ category: 'missing_child', head: expect.objectContaining({ payloadType: 'application/vnd.cairn.index-head+json' }), resync: true }]);
  });

  it('tells a cairn/1 peer which protocol it speaks', async () => {
    const v1 = await send('/federation/v1/match', { ...CTX, elements: [{ keyType: 'phone', bucket: 1, blindedElement: randomElement() }] }, { contentType: 'application/json' });
    expect([v1.status, v1.json.code]).toEqual([400, 'protocol_version_unsupported']);
    expect(v1.json.detail).toContain('cairn/2');
    const hits = await send('/federation/v1/hits', {}, { contentType: 'application/json' });
    expect([hits.status, hits.json.code]).toEqual([400, 'protocol_version_unsupported']);
    const v1Body = await send('/federation/v2/match', { ...CTX, elements: [{ keyType: 'phone', bucket: 1, blindedElement: randomElement() }] });
    expect([v1Body.status, v1Body.json.code]).toEqual([400, 'protocol_version_unsupported']);
    const plainJson = await send('/federation/v2/match', { ...CTX, replicaVersions: {}, blindedElements: padded([]) }, { contentType: 'application/json' });
    expect([plainJson.status, plainJson.json.code]).toEqual([415, 'unsupported_media_type']);
    expect(plainJson.json.detail).toContain(FEDERATION.mediaType);
    // The index routes moved from the v1 prefix to v2: the old paths name the version too.
    for (const path of ['/federation/v1/index/heads', '/federation/v1/index/changes', '/federation/v1/index/snapshot']) {
      const old = await send(path, {}, { contentType: 'application/json' });
      expect([path, old.status, old.json.code]).toEqual([path, 400, 'protocol_version_unsupported']);
      expect(old.json.detail).toContain('/federation/v2');
    }
  });

  it('enforces the cairn/2 media type on every v2 route: a wrong or missing Content-Type is a signed 415 problem', async () => {
    const hit = { ...CTX, category: 'missing_child', fingerprint: toBase64Url(new Uint8Array(8)), confirm: toBase64Url(new Uint8Array(8)) };
    const cases: [string, unknown][] = [
      ['/federation/v2/match', { ...CTX, replicaVersions: {}, blindedElements: padded([]) }],
      ['/federation/v2/hits', hit],
      ['/federation/v2/index/heads', {}],
      ['/federation/v2/index/changes', { category: 'missing_child', sinceVersion: 0 }],
      ['/federation/v2/index/snapshot', { category: 'missing_child', version: 0, fromShard: 0, toShard: 16 }],
    ];
    for (const [path, body] of cases) {
      for (const contentType of ['application/json', 'text/plain', '']) {
        const r = await send(path, body, { contentType, mutate: (h) => (contentType === '' ? h.delete('content-type') : undefined) });
        expect([path, contentType, r.status, r.json.code]).toEqual([path, contentType, 415, 'unsupported_media_type']);
        expect(r.headers.get('content-type')).toBe('application/problem+json');
        expect(r.headers.get('cairn-signature')).toMatch(/^[A-Za-z0-9_-]{86}$/);
      }
      // With the media type (and a charset parameter, which is ignored) the route answers.
      const ok = await send(path, body, { contentType: `${FEDERATION.mediaType}; charset=utf-8` });
      expect([path, ok.status === 415]).toEqual([path, false]);
    }
    // Objects are strict: the heads request is `{}` and nothing else (section 37).
    const extra = await send('/federation/v2/index/heads', { x: 1 }, { contentType: FEDERATION.mediaType });
    expect([extra.status, extra.json.code]).toEqual([400, 'invalid_request']);
    expect((await send('/federation/v2/index/heads', {}, { contentType: FEDERATION.mediaType })).status).toBe(200);
  });

  it('gives each authentication failure its own problem code, and none counts as a query', async () => {
    const usage = () => {
      const d = new Database(join(xa.home, 'cairn.db'), { readonly: true });
      const r = d.prepare('select coalesce(sum(requests), 0) n from peer_usage').get() as { n: number };
      d.close();
      return r.n;
    };
    const before = usage();
    const body = { ...CTX, replicaVersions: {}, blindedElements: padded([toBase64Url(new Uint8Array(32))]) };
    const cases: [string, Parameters<typeof send>[2], number, string][] = [
      ['missing signature', { mutate: (h) => h.delete('cairn-signature') }, 401, 'signature_missing'],
      ['unknown key', { signer: ed25519Signer(new Uint8Array(32).fill(9)) }, 401, 'peer_unknown'],
      ['stale timestamp', { clock: { now: () => new Date(Date.now() - 3600_000) } }, 401, 'timestamp_skew'],
      ['body swapped', { bodyOverride: utf8(JSON.stringify({ ...body, caseReference: 'X' })) }, 400, 'digest_mismatch'],
      ['bad signature', { mutate: (h) => h.set('cairn-signature', toBase64Url(new Uint8Array(64).fill(1))) }, 401, 'signature_invalid'],
      ['wrong recipient', { recipient: 'ab'.repeat(32) }, 401, 'signature_invalid'],
    ];
    for (const [name, opts, status, code] of cases) {
      const r = await send('/federation/v2/match', body, opts);
      expect([name, r.status, r.json.code]).toEqual([name, status, code]);
    }
    // Replay: the same signed request twice.
    const first = await send('/federation/v2/match', body);
    expect(first.status).toBe(400); // the all-zero element is the identity: refused after authentication
    const replay = await fetch(`${xa.url}/federation/v2/match`, { method: 'POST', headers: first.requestHeaders, body: first.bytes as Uint8Array<ArrayBuffer> });
    expect(replay.status).toBe(409);
    expect((await replay.json()).code).toBe('nonce_replayed');
    expect(usage()).toBe(before);
  });

  it('refuses malformed elements, unpadded counts and batches with distinct problems and keeps serving', async () => {
    const req = (blindedElements: string[], extra: Record<string, unknown> = {}) => send('/federation/v2/match', { ...CTX, replicaVersions: {}, blindedElements, ...extra });
    const identity = await req(padded([randomElement(), toBase64Url(new Uint8Array(32))]));
    expect([identity.status, identity.json.code, identity.json.field]).toEqual([400, 'oprf_invalid_element', 'blindedElements[1]']);
    const nonCanonical = await req(padded([toBase64Url(new Uint8Array(32).fill(0xff))]));
    expect([nonCanonical.status, nonCanonical.json.code, nonCanonical.json.field]).toEqual([400, 'oprf_invalid_element', 'blindedElements[0]']);
    const short = await req(padded(['AAAA']));
    expect([short.status, short.json.code, short.json.field]).toEqual([400, 'invalid_request', 'blindedElements[0]']);
    const unpadded = await req(padded([], 7));
    expect([unpadded.status, unpadded.json.code, unpadded.json.field]).toEqual([400, 'invalid_request', 'blindedElements']);
    expect(unpadded.json.detail).toMatch(/8, 16, 32, 64/);
    const many = await req(padded([], 65));
    expect([many.status, many.json.code]).toEqual([413, 'batch_too_large']);
    const keyTypes = await send('/federation/v2/match', { ...CTX, replicaVersions: {}, blindedElements: padded([]), keyTypes: ['phone'] });
    expect([keyTypes.status, keyTypes.json.code]).toEqual([400, 'invalid_request']);
    const badVersion = await req(padded([]), { replicaVersions: { missing_child: -1 } });
    expect([badVersion.status, badVersion.json.field]).toEqual([400, 'replicaVersions.missing_child']);
    const garbage = await send('/federation/v2/match', 'not an object');
    expect(garbage.status).toBe(400);
    // Still serving: a real search from XB finds the record.
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, identifiers: IDS, searchId: undefined });
    expect(r.json.results[0]).toMatchObject({ status: 'hit', strength: 'probable' });
  });

  it('reads a body sent in chunks without a declared length, and cuts one off past the limit', async () => {
    // Chunked transfer: no Content-Length for the early check, so the body reader enforces the limit itself.
    // Each exchange either ends or fails within 20 s, naming itself: a hang says which one hung.
    const post = (bytes: Uint8Array, label: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const signed = signedTo('/federation/v2/match', bytes);
        const headers = Object.fromEntries(signed.headers);
        const req = httpRequest(signed.url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.setTimeout(20_000, () => req.destroy(Object.assign(new Error(`${label}: neither answered nor cut within 20 s`), { code: 'TEST_TIMEOUT' })));
        for (let off = 0; off < bytes.length; off += 1000) req.write(bytes.subarray(off, off + 1000));
        req.end();
      });
    const small = await post(utf8(JSON.stringify({ ...CTX, replicaVersions: {}, blindedElements: padded([]) })), 'the small body');
    expect(small.status).toBe(200);
    expect(JSON.parse(small.body).evaluatedElements).toHaveLength(8);
    // Past http.maxBodyBytes (1 MiB): refused as too large, or the connection cut before the rest is read.
    const big = await post(new Uint8Array(1024 * 1024 + 4096).fill(0x20), 'the body past the limit').catch((e: NodeJS.ErrnoException) => {
      // The server may close the connection before or while it answers; it must do one or the other.
      if (e.code === 'TEST_TIMEOUT') throw e;
      return { status: 0, body: e.message };
    });
    if (big.status !== 0) expect([big.status, JSON.parse(big.body).code]).toEqual([413, 'body_too_large']);
    // Still serving.
    const again = await post(utf8(JSON.stringify({ ...CTX, replicaVersions: {}, blindedElements: padded([]) })), 'the small body again');
    expect(again.status).toBe(200);
  });

  it('refuses a revoked peer with its own code', async () => {
    cli(['peers', 'revoke', 'XB', '--home', xa.home, '--reason', 'test']);
    const r = await send('/federation/v2/match', { ...CTX, replicaVersions: {}, blindedElements: padded([]) });
    expect([r.status, r.json.code]).toEqual([403, 'peer_revoked']);
  });
});
