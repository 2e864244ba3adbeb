/**
 * The federation wire between two real nodes, driven by hand: each
 * authentication failure and each malformed element gets its own problem
 * code, none counts as a query, and the node keeps serving. The OPRF side of
 * the exchange is also driven with an independent RFC 9497 implementation
 * (@cloudflare/voprf-ts) to show a compatible client finds the hit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DLEQProof, Evaluation, Oprf, VOPRFClient } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { fromBase64Url, fromHex, toBase64Url, utf8 } from '../src/core/bytes.js';
import { buildSignedRequest } from '../src/core/federation/http-signature.js';
import { bucketOf, deriveMatchKeys, parseIdentifiers } from '../src/core/identity/index.js';
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
  let xaDescriptor: { oprfKey: { publicKey: string }; bucketBits: number; signingKey: { publicKey: string } };
  const signerB = () => ed25519Signer(fromHex(readFileSync(join(xb.home, 'keys/signing.key'), 'utf8').trim()));

  async function send(path: string, body: unknown, opts: { clock?: Clock; mutate?: (h: Headers) => void; bodyOverride?: Uint8Array; signer?: ReturnType<typeof ed25519Signer>; recipient?: string } = {}) {
    const bytes = utf8(JSON.stringify(body));
    const { request } = buildSignedRequest({
      method: 'POST',
      url: new URL(path, xa.url),
      body: bytes,
      signer: opts.signer ?? signerB(),
      recipientKeyId: opts.recipient ?? xaKeyId,
      clock: opts.clock ?? systemClock,
      random: webRandom,
      headers: { 'content-type': 'application/json' },
    });
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
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  function element(i = 0) {
    const keys = deriveMatchKeys(parseIdentifiers(IDS));
    const k = keys[i]!;
    return { keyType: k.type, bucket: bucketOf(k.encoded, xaDescriptor.bucketBits), blindedElement: toBase64Url(new Uint8Array(32).fill(0)) };
  }

  it('an independent RFC 9497 client (voprf-ts) finds the record through the node over HTTP', async () => {
    const keys = deriveMatchKeys(parseIdentifiers(IDS));
    const suite = Oprf.Suite.RISTRETTO255_SHA512;
    const group = Oprf.getGroup(suite, CryptoNoble);
    const client = new VOPRFClient(suite, fromBase64Url(xaDescriptor.oprfKey.publicKey), CryptoNoble);
    const [finData, evalReq] = await client.blind(keys.map((k) => k.encoded));
    const elements = keys.map((k, i) => ({ keyType: k.type, bucket: bucketOf(k.encoded, xaDescriptor.bucketBits), blindedElement: toBase64Url(evalReq.blinded[i]!.serialize()) }));
    const r = await send('/federation/v1/match', { ...CTX, elements });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const evaluation = new Evaluation(
      Oprf.Mode.VOPRF,
      r.json.evaluatedElements.map((e: string) => group.desElt(fromBase64Url(e))),
      DLEQProof.deserialize(group.id, fromBase64Url(r.json.proof), CryptoNoble),
    );
    const outputs: Uint8Array[] = await client.finalize(finData, evaluation);
    const listed = new Set(r.json.buckets.flatMap((b: { digests: string[] }) => b.digests));
    const found = outputs.filter((o) => listed.has(toBase64Url(o.slice(0, 16))));
    expect(found.length).toBeGreaterThanOrEqual(3);
    // Confirmation names the key type and bucket the digest was listed in.
    const i = outputs.findIndex((o) => listed.has(toBase64Url(o.slice(0, 16))));
    const hit = { ...CTX, keyType: elements[i]!.keyType, bucket: elements[i]!.bucket, digest: toBase64Url(outputs[i]!.slice(0, 16)), confirm: toBase64Url(outputs[i]!.slice(16, 24)) };
    const confirmed = await send('/federation/v1/hits', hit);
    expect(confirmed.status, JSON.stringify(confirmed.json)).toBe(200);
    expect(confirmed.json.receipts).toHaveLength(1);
    const otherBucket = await send('/federation/v1/hits', { ...hit, bucket: (hit.bucket + 1) % 2 ** xaDescriptor.bucketBits });
    expect([otherBucket.status, otherBucket.json.code]).toEqual([404, 'hit_not_found']);
    const outOfRange = await send('/federation/v1/hits', { ...hit, bucket: 2 ** xaDescriptor.bucketBits });
    expect([outOfRange.status, outOfRange.json.code, outOfRange.json.field]).toEqual([400, 'bucket_out_of_range', 'bucket']);
    // The response is signed and bound to this request.
    expect(r.headers.get('cairn-signature')).toMatch(/^[A-Za-z0-9_-]{86}$/);
  });

  it('gives each authentication failure its own problem code, and none counts as a query', async () => {
    const usage = () => {
      const d = new Database(join(xa.home, 'cairn.db'), { readonly: true });
      const r = d.prepare('select coalesce(sum(requests), 0) n from peer_usage').get() as { n: number };
      d.close();
      return r.n;
    };
    const before = usage();
    const body = { ...CTX, elements: [element()] };
    const cases: [string, Parameters<typeof send>[2], number, string][] = [
      ['missing signature', { mutate: (h) => h.delete('cairn-signature') }, 401, 'signature_missing'],
      ['unknown key', { signer: ed25519Signer(new Uint8Array(32).fill(9)) }, 401, 'peer_unknown'],
      ['stale timestamp', { clock: { now: () => new Date(Date.now() - 3600_000) } }, 401, 'timestamp_skew'],
      ['body swapped', { bodyOverride: utf8(JSON.stringify({ ...body, caseReference: 'X' })) }, 400, 'digest_mismatch'],
      ['bad signature', { mutate: (h) => h.set('cairn-signature', toBase64Url(new Uint8Array(64).fill(1))) }, 401, 'signature_invalid'],
      ['wrong recipient', { recipient: 'ab'.repeat(32) }, 401, 'signature_invalid'],
    ];
    for (const [name, opts, status, code] of cases) {
      const r = await send('/federation/v1/match', body, opts);
      expect([name, r.status, r.json.code]).toEqual([name, status, code]);
    }
    // Replay: the same signed request twice.
    const first = await send('/federation/v1/match', body);
    expect(first.status).toBe(400); // the all-zero element is the identity: refused after authentication
    const replay = await fetch(`${xa.url}/federation/v1/match`, { method: 'POST', headers: first.requestHeaders, body: first.bytes as Uint8Array<ArrayBuffer> });
    expect(replay.status).toBe(409);
    expect((await replay.json()).code).toBe('nonce_replayed');
    expect(usage()).toBe(before);
  });

  it('refuses malformed elements, buckets and batches with distinct problems and keeps serving', async () => {
    const good = deriveMatchKeys(parseIdentifiers(IDS))[0]!;
    const el = (blindedElement: string, bucket = bucketOf(good.encoded, xaDescriptor.bucketBits)) => ({ keyType: good.type, bucket, blindedElement });
    const identity = await send('/federation/v1/match', { ...CTX, elements: [el(toBase64Url(new Uint8Array(32)))] });
    expect([identity.status, identity.json.code, identity.json.field]).toEqual([400, 'oprf_invalid_element', 'elements[0].blindedElement']);
    const nonCanonical = await send('/federation/v1/match', { ...CTX, elements: [el(toBase64Url(new Uint8Array(32).fill(0xff)))] });
    expect([nonCanonical.status, nonCanonical.json.code]).toEqual([400, 'oprf_invalid_element']);
    const short = await send('/federation/v1/match', { ...CTX, elements: [el('AAAA')] });
    expect([short.status, short.json.code, short.json.field]).toEqual([400, 'invalid_request', 'elements[0].blindedElement']);
    const bucket = await send('/federation/v1/match', { ...CTX, elements: [el(toBase64Url(new Uint8Array(32)), 2 ** xaDescriptor.bucketBits)] });
    expect([bucket.status, bucket.json.code, bucket.json.field]).toEqual([400, 'bucket_out_of_range', 'elements[0].bucket']);
    const many = await send('/federation/v1/match', { ...CTX, elements: Array.from({ length: 65 }, () => el(toBase64Url(new Uint8Array(32)))) });
    expect([many.status, many.json.code]).toEqual([413, 'batch_too_large']);
    const unknownType = await send('/federation/v1/match', { ...CTX, elements: [{ ...el(toBase64Url(new Uint8Array(32))), keyType: 'shoeSize' }] });
    expect([unknownType.status, unknownType.json.field]).toEqual([400, 'elements[0].keyType']);
    const garbage = await send('/federation/v1/match', 'not an object');
    expect(garbage.status).toBe(400);
    // Still serving: a real search from XB finds the record.
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, identifiers: IDS, searchId: undefined });
    expect(r.json.results[0]).toMatchObject({ status: 'hit', strength: 'probable' });
  });

  it('refuses a revoked peer with its own code', async () => {
    cli(['peers', 'revoke', 'XB', '--home', xa.home, '--reason', 'test']);
    const r = await send('/federation/v1/match', { ...CTX, elements: [element()] });
    expect([r.status, r.json.code]).toEqual([403, 'peer_revoked']);
  });
});
