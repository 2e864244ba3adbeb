/**
 * The fixed test vector of protocol/30-federation-auth.md. The expected
 * values are written out here as well as in the document, so neither the
 * code nor the document can drift without this test failing. Another
 * country's implementation can check itself against the same values; they
 * were also reproduced with OpenSSL's Ed25519 (through node:crypto).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { problemSchema } from '../schemas/common.js';
import { matchRequestSchema } from '../schemas/federation.js';
import { fromBase64Url, toBase64Url, toHex, utf8 } from '../src/core/bytes.js';
import { CairnError } from '../src/core/errors.js';
import { deserializeElement } from '../src/core/oprf/serialization.js';
import { problemOf } from '../src/http/problem.js';
import {
  contentDigest,
  requestSignatureBase,
  requestTarget,
  responseSignatureBase,
  signRequest,
  signResponse,
  verifyRequest,
  verifyResponse,
} from '../src/core/federation/http-signature.js';
import { MemoryNonceStore } from '../src/core/federation/replay.js';
import { ed25519Signer } from '../src/core/signing.js';

const doc = readFileSync(new URL('../protocol/30-federation-auth.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/^```\n([\s\S]*?)\n```$/gm)].map((m) => m[1]!);
const values = new Map<string, string>();
for (const m of doc.matchAll(/^([A-Za-z]+) = (\S+)$/gm)) values.set(m[1]!, m[2]!);

const SENDER_SEED = new Uint8Array(32).fill(0x11);
const RECIPIENT_SEED = new Uint8Array(32).fill(0x22);
const URL_B = 'https://node-b.example/federation/v2/match';
/** A valid section 35 match request: its eight blinded elements are 1·G .. 8·G (RFC 9496 Appendix A.1). */
const ELEMENTS = Array.from({ length: 8 }, (_, i) => toBase64Url(ristretto255.Point.BASE.multiply(BigInt(i + 1)).toBytes()));
const REQUEST_TEXT = JSON.stringify({ searchId: 's_vector_30', purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act', caseReference: 'XB-2026-0042', replicaVersions: {}, blindedElements: ELEMENTS });
const REQUEST_BODY = utf8(REQUEST_TEXT);
/** The signed problem B answers: its policy does not allow A this purpose. */
const RESPONSE_STATUS = 403;
const RESPONSE_TEXT = JSON.stringify(problemOf(new CairnError('purpose_denied', "this node's policy does not allow XA (node-a) to search for missing_child_tracing", { location: { field: 'purpose' } })));
const RESPONSE_BODY = utf8(RESPONSE_TEXT);
const T_REQUEST = 1_767_225_600;
const T_RESPONSE = 1_767_225_601;
const NONCE_BYTES = Uint8Array.from({ length: 16 }, (_, i) => i);

const EXPECTED = {
  senderPublicKey: 'd04ab232742bb4ab3a1368bd4615e4e6d0224ab71a016baf8520a332c9778737',
  senderKeyId: '10ba682c8ad13513971e8b56881aab8bd702bb807796eca81932c735a94d6e6d',
  recipientPublicKey: 'a09aa5f47a6759802ff955f8dc2d2a14a5c99d23be97f864127ff9383455a4f0',
  recipientKeyId: '1325b850c2871916eae203f0efc3c8987f64e5e3cdb27679e6d1fa97808357e6',
  requestDigest: 'sha-256=:rrxOuNg66btO9PCjc6nJmxbSgCP2jbAc4W+coNzEUfQ=:',
  nonce: 'AAECAwQFBgcICQoLDA0ODw',
  requestSignature: 'ZKljCDctKrSnpc3xAcb4zHMhNtC3ZN2z2K5CKduhPO4Xl7VTd94k05zVDdyoP1vc2Z6bkZihDP7iMJrYYebUDA',
  responseDigest: 'sha-256=:SWFsHN5IoMmKFCTDkVDGj7yYRR2GD62JI6O5sVCZlik=:',
  responseSignature: 'JOSlBSYcXKVhmo0_3OTvv1cyMy_MZW_mLurrm5ooPpilifeY-j2t3jjTShcGbjTsJ_RtT_04vLOtah586eV0Bw',
  emptyDigest: 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
};

const sender = ed25519Signer(SENDER_SEED);
const recipient = ed25519Signer(RECIPIENT_SEED);

function signVector() {
  return signRequest({
    method: 'POST',
    url: URL_B,
    body: REQUEST_BODY,
    signer: sender,
    recipientKeyId: recipient.keyId,
    clock: { now: () => new Date(T_REQUEST * 1000) },
    random: { bytes: () => NONCE_BYTES.slice() },
  });
}

const requestBase = [
  'cairn-request-v1',
  'POST',
  '/federation/v2/match',
  EXPECTED.requestDigest,
  String(T_REQUEST),
  EXPECTED.nonce,
  EXPECTED.senderKeyId,
  EXPECTED.recipientKeyId,
].join('\n');

const responseBase = [
  'cairn-response-v1',
  String(RESPONSE_STATUS),
  EXPECTED.senderKeyId,
  EXPECTED.nonce,
  EXPECTED.requestSignature,
  EXPECTED.responseDigest,
  String(T_RESPONSE),
  EXPECTED.recipientKeyId,
].join('\n');

const requestHeaders = [
  `Content-Digest: ${EXPECTED.requestDigest}`,
  `Cairn-Key-Id: ${EXPECTED.senderKeyId}`,
  `Cairn-Recipient: ${EXPECTED.recipientKeyId}`,
  `Cairn-Timestamp: ${T_REQUEST}`,
  `Cairn-Nonce: ${EXPECTED.nonce}`,
  `Cairn-Signature: ${EXPECTED.requestSignature}`,
].join('\n');

const responseHeaders = [
  `Content-Digest: ${EXPECTED.responseDigest}`,
  `Cairn-Key-Id: ${EXPECTED.recipientKeyId}`,
  `Cairn-Timestamp: ${T_RESPONSE}`,
  `Cairn-Signature: ${EXPECTED.responseSignature}`,
].join('\n');

describe('protocol/30-federation-auth.md test vector', () => {
  it('the document states the keys the code derives', () => {
    expect(values.get('SenderSeed')).toBe(toHex(SENDER_SEED));
    expect(values.get('RecipientSeed')).toBe(toHex(RECIPIENT_SEED));
    expect(toHex(sender.publicKey)).toBe(EXPECTED.senderPublicKey);
    expect(sender.keyId).toBe(EXPECTED.senderKeyId);
    expect(toHex(recipient.publicKey)).toBe(EXPECTED.recipientPublicKey);
    expect(recipient.keyId).toBe(EXPECTED.recipientKeyId);
    expect(values.get('SenderPublicKey')).toBe(EXPECTED.senderPublicKey);
    expect(values.get('SenderKeyId')).toBe(EXPECTED.senderKeyId);
    expect(values.get('RecipientPublicKey')).toBe(EXPECTED.recipientPublicKey);
    expect(values.get('RecipientKeyId')).toBe(EXPECTED.recipientKeyId);
  });

  it('the document shows the exact headers and signature bases', () => {
    expect(blocks).toContain(requestHeaders);
    expect(blocks).toContain(requestBase);
    expect(blocks).toContain(responseHeaders);
    expect(blocks).toContain(responseBase);
    expect(doc).toContain(`\`${EXPECTED.emptyDigest}\``);
    expect(blocks).toContain(REQUEST_TEXT);
    expect(doc).toContain(`this ${REQUEST_BODY.length}-byte body, a valid match request`);
    expect(blocks).toContain(RESPONSE_TEXT);
    expect(doc).toContain(`status ${RESPONSE_STATUS}, content type\n\`application/problem+json\`, this ${RESPONSE_BODY.length}-byte body`);
  });

  it('the bodies are a valid section 35 match request and a valid problem', () => {
    expect(matchRequestSchema.safeParse(JSON.parse(REQUEST_TEXT)).success).toBe(true);
    // Canonical, non-identity ristretto255 encodings, as the answering node requires.
    for (const e of ELEMENTS) expect(() => deserializeElement(fromBase64Url(e))).not.toThrow();
    expect(problemSchema.safeParse(JSON.parse(RESPONSE_TEXT)).success).toBe(true);
  });

  it('the code produces the vector', () => {
    const { headers, binding } = signVector();
    expect([...headers].length).toBe(6);
    for (const line of requestHeaders.split('\n')) {
      const [name, value] = line.split(': ') as [string, string];
      expect(headers.get(name)).toBe(value);
    }
    expect(
      requestSignatureBase({
        method: 'POST',
        target: requestTarget(new URL(URL_B)),
        contentDigest: contentDigest(REQUEST_BODY),
        timestamp: T_REQUEST,
        nonce: binding.nonce,
        keyId: sender.keyId,
        recipientKeyId: recipient.keyId,
      }),
    ).toBe(requestBase);
    expect(contentDigest(new Uint8Array())).toBe(EXPECTED.emptyDigest);

    const res = signResponse({ status: RESPONSE_STATUS, body: RESPONSE_BODY, request: binding, signer: recipient, clock: { now: () => new Date(T_RESPONSE * 1000) } });
    expect([...res].length).toBe(4);
    for (const line of responseHeaders.split('\n')) {
      const [name, value] = line.split(': ') as [string, string];
      expect(res.get(name)).toBe(value);
    }
    expect(responseSignatureBase({ status: RESPONSE_STATUS, request: binding, contentDigest: contentDigest(RESPONSE_BODY), timestamp: T_RESPONSE, keyId: recipient.keyId })).toBe(
      responseBase,
    );
  });

  it('the vector verifies, built from the document text alone', async () => {
    const headers = new Headers(requestHeaders.split('\n').map((l) => l.split(': ') as [string, string]));
    const request = new Request(URL_B, { method: 'POST', headers, body: REQUEST_BODY.slice() });
    const clock = { now: () => new Date((T_REQUEST + 30) * 1000) };
    const peer = await verifyRequest(request, REQUEST_BODY, {
      lookupKey: (keyId) => (keyId === EXPECTED.senderKeyId ? { peerId: 'node-a', publicKey: sender.publicKey, status: 'active' } : undefined),
      ownKeyIds: [EXPECTED.recipientKeyId],
      clock,
      nonceStore: new MemoryNonceStore({ clock }),
    });
    expect(peer.binding).toEqual({ keyId: EXPECTED.senderKeyId, nonce: EXPECTED.nonce, signature: EXPECTED.requestSignature });

    const resHeaders = new Headers(responseHeaders.split('\n').map((l) => l.split(': ') as [string, string]));
    const response = new Response(RESPONSE_BODY.slice(), { status: RESPONSE_STATUS, headers: resHeaders });
    expect(verifyResponse(response, RESPONSE_BODY, { peerPublicKey: recipient.publicKey, request: peer.binding, clock }).keyId).toBe(EXPECTED.recipientKeyId);
  });
});
