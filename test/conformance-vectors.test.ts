/**
 * The conformance vector set (test/vectors/conformance/, PROTOCOL.md section
 * 50): one whole cairn/2 match exchange under the TEST keys. The files must
 * be exactly what the real node code computes with the fixed clock,
 * randomness and proof scalar; every body validates against schemas/; the
 * proof verifies and finalizes with an independent RFC 9497 implementation
 * (@cloudflare/voprf-ts); and the requests, replayed against a real
 * `cairn serve` process holding the TEST keys, get the same evaluated
 * elements, a proof that finalizes into the same tokens, and a receipt for
 * the same record that verifies.
 */
import { execFile } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { DLEQProof, Evaluation, EvaluationRequest, FinalizeData, Oprf, VOPRFClient } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hitConfirmRequestSchema, hitReceiptSchema, matchRequestSchema, matchResponseSchema } from '../schemas/federation.js';
import { dsseEnvelopeWire, nodeDescriptorSchema } from '../schemas/node.js';
import { CONFORMANCE, computeConformanceVectors } from '../scripts/lib/conformance-exchange.js';
import { BIN, cli, ROOT, serve } from '../scripts/lib/federation.js';
import { conformanceFiles } from '../scripts/conformance-vectors.js';
import { fromBase64, fromBase64Url, fromHex, fromUtf8, toBase64Url, toHex, utf8 } from '../src/core/bytes.js';
import { fingerprintsWith } from '../src/core/federation/index/chain.js';
import { CHANGE_OP } from '../src/core/federation/index/changes.js';
import { FEDERATION, MEDIA_TYPES } from '../src/core/constants.js';
import { verifyDescriptor, signDescriptor } from '../src/core/descriptor.js';
import { verifyJsonEnvelope } from '../src/core/dsse.js';
import { buildSignedRequest, verifyRequest, verifyResponse } from '../src/core/federation/http-signature.js';
import { MemoryNonceStore } from '../src/core/federation/replay.js';
import { MATCH_KEY_TYPES } from '../src/core/identity/index.js';
import { deriveOprfKeyPair, finalizeBatch } from '../src/core/oprf/index.js';
import { systemClock, webRandom } from '../src/core/ports.js';
import { ed25519Signer, fingerprintOf } from '../src/core/signing.js';
import { freePort, tempDir } from './helpers/cli.js';

const DIR = new URL('./vectors/conformance/', import.meta.url);
const read = (name: string): any => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));
const files = Object.fromEntries(['keys.json', 'record.json', 'searcher-state.json', '1-match-request.json', '2-match-answer.json', '3-confirm-request.json', '4-confirm-answer.json'].map((f) => [f, read(f)]));
const keys = files['keys.json'];
const state = files['searcher-state.json'];
const matchRequest = files['1-match-request.json'];
const matchAnswer = files['2-match-answer.json'];
const confirmRequest = files['3-confirm-request.json'];
const confirmAnswer = files['4-confirm-answer.json'];
const A = ed25519Signer(fromHex(keys.searcher.ed25519Seed));
const B = ed25519Signer(fromHex(keys.answerer.ed25519Seed));
const clockAt = (iso: string) => ({ now: () => new Date(iso) });

/** Run the CLI without blocking this process, which serves A's descriptor meanwhile. */
function cliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, stdout, stderr) =>
      err ? reject(new Error(`cairn ${args.join(' ')} failed: ${stderr}`)) : resolve(stdout),
    );
  });
}

describe('conformance vectors (test/vectors/conformance/)', () => {
  it('are exactly what the node code computes from the TEST keys, clock, randomness and proof scalar', async () => {
    const computed = conformanceFiles(await computeConformanceVectors());
    expect(Object.keys(computed).sort()).toEqual(Object.keys(files).sort());
    for (const [name, content] of Object.entries(computed)) expect(files[name], `${name}: run npx tsx scripts/conformance-vectors.ts`).toEqual(JSON.parse(JSON.stringify(content)));
  });

  it('validate against the schemas', () => {
    expect(() => matchRequestSchema.parse(JSON.parse(matchRequest.body))).not.toThrow();
    expect(() => matchResponseSchema.parse(JSON.parse(matchAnswer.body))).not.toThrow();
    expect(() => hitConfirmRequestSchema.parse(JSON.parse(confirmRequest.body))).not.toThrow();
    const receipts = z.object({ receipts: z.array(dsseEnvelopeWire).min(1) }).strict().parse(JSON.parse(confirmAnswer.body)).receipts;
    expect(hitReceiptSchema.parse(verifyJsonEnvelope(receipts[0], MEDIA_TYPES.hitReceipt, B.publicKey))).toEqual(confirmAnswer.receipt);
    for (const [who, signer] of [['searcher', A], ['answerer', B]] as const) {
      const d = verifyDescriptor(keys.descriptors[who], signer.keyId);
      expect(nodeDescriptorSchema.parse(d).signingKey.keyId).toBe(keys[who].keyId);
    }
    expect(verifyDescriptor(keys.descriptors.answerer).oprfKey).toMatchObject({ keyId: keys.answerer.oprfKeyId, publicKey: toBase64Url(fromHex(keys.answerer.oprfPublicKey)) });
    for (const m of [matchRequest, matchAnswer, confirmRequest, confirmAnswer]) expect(m.headers['content-type']).toBe(FEDERATION.mediaType);
  });

  it('state the TEST keys as derived, and sign and bind every message as section 30 says', async () => {
    expect([A.keyId, toHex(A.publicKey)]).toEqual([keys.searcher.keyId, keys.searcher.publicKey]);
    expect([B.keyId, toHex(B.publicKey)]).toEqual([keys.answerer.keyId, keys.answerer.publicKey]);
    const oprf = deriveOprfKeyPair(fromHex(keys.answerer.oprfSeed), fromHex(keys.answerer.oprfKeyInfo));
    expect([toHex(oprf.secretKey), toHex(oprf.publicKey)]).toEqual([keys.answerer.oprfSecretKey, keys.answerer.oprfPublicKey]);
    const clock = clockAt(CONFORMANCE.time);
    const nonceStore = new MemoryNonceStore({ clock });
    for (const [req, res] of [
      [matchRequest, matchAnswer],
      [confirmRequest, confirmAnswer],
    ]) {
      const body = utf8(req.body);
      const request = new Request(req.url, { method: req.method, headers: req.headers, body: body.slice() });
      const { binding } = await verifyRequest(request, body, {
        lookupKey: (id) => (id === A.keyId ? { peerId: 'node-a', publicKey: A.publicKey, status: 'active' } : undefined),
        ownKeyIds: [B.keyId],
        clock,
        nonceStore,
      });
      const resBody = utf8(res.body);
      expect(verifyResponse(new Response(resBody.slice(), { status: res.status, headers: res.headers }), resBody, { peerPublicKey: B.publicKey, request: binding, clock }).keyId).toBe(B.keyId);
    }
  });

  it('finalize with @cloudflare/voprf-ts into the stated tokens, and the hit is listed in the delta', async () => {
    const suite = Oprf.Suite.RISTRETTO255_SHA512;
    const group = Oprf.getGroup(suite, CryptoNoble);
    const req = JSON.parse(matchRequest.body);
    const ans = JSON.parse(matchAnswer.body);
    const client = new VOPRFClient(suite, fromHex(keys.answerer.oprfPublicKey), CryptoNoble);
    const finData = new FinalizeData(
      state.inputs.map((x: { input: string }) => fromHex(x.input)),
      state.inputs.map((x: { blind: string }) => group.desScalar(fromHex(x.blind))),
      new EvaluationRequest(req.blindedElements.map((e: string) => group.desElt(fromBase64Url(e)))),
    );
    const evaluation = new Evaluation(Oprf.Mode.VOPRF, ans.evaluatedElements.map((e: string) => group.desElt(fromBase64Url(e))), DLEQProof.deserialize(group.id, fromBase64Url(ans.proof), CryptoNoble));
    const outputs = await client.finalize(finData, evaluation);
    expect(outputs.slice(0, state.tokens.length).map((o) => toHex(o))).toEqual(state.tokens.map((t: { token: string }) => t.token));
    expect(req.blindedElements).toHaveLength(state.paddedSize);
    const confirm = JSON.parse(confirmRequest.body);
    expect(fingerprintsWith(fromBase64Url(ans.deltas[0].changes), CHANGE_OP.add).map(toBase64Url)).toContain(confirm.fingerprint);
    expect(state.tokens).toContainEqual(expect.objectContaining({ fingerprint: confirm.fingerprint, confirm: confirm.confirm }));
    // The checkpoint in the answer covers the answer's own audit entry.
    const size = Number(ans.checkpoint.split('\n')[1]);
    expect(ans.logIndex).toBeLessThan(size);
  });

  describe('replayed against a real node holding the TEST keys', () => {
    const t = tempDir('cairn-conformance-');
    const home = join(t.dir, 'XB');
    const env = { CAIRN_NODE_ID: CONFORMANCE.answerer.nodeId };
    let node: Awaited<ReturnType<typeof serve>> | undefined;
    let descriptorServer: Server | undefined;
    let url = '';

    beforeAll(async () => {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      cli(['init', '--home', home, '--country', CONFORMANCE.answerer.country, '--name', CONFORMANCE.answerer.name, '--url', url, '--port', String(port)], env);
      // The TEST keys replace the generated ones (hex, mode 0600, as `cairn init` writes them).
      for (const [file, hex] of [
        ['keys/signing.key', keys.answerer.ed25519Seed],
        ['keys/oprf.key', keys.answerer.oprfSecretKey],
      ]) {
        writeFileSync(join(home, file), `${hex}\n`, { mode: 0o600 });
        chmodSync(join(home, file), 0o600);
      }
      const records = join(t.dir, 'record.ndjson');
      writeFileSync(records, `${JSON.stringify(files['record.json'])}\n`);
      cli(['import', records, '--home', home, '--out', t.dir], env);
      // A's descriptor, served over loopback for `peers add` (same key, so the vector's key id).
      const aPort = await freePort();
      const aUrl = `http://127.0.0.1:${aPort}`;
      const aOprf = deriveOprfKeyPair(fromHex(keys.answerer.oprfSeed), utf8('cairn test key A'));
      const descriptor = JSON.stringify(signDescriptor({ ...CONFORMANCE.searcher, baseUrl: aUrl, signer: A, oprfPublicKey: aOprf.publicKey, matchKeyTypes: Object.keys(MATCH_KEY_TYPES), issuedAt: new Date() }));
      descriptorServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(descriptor));
      await new Promise<void>((r) => descriptorServer!.listen(aPort, '127.0.0.1', r));
      await cliAsync(['peers', 'add', aUrl, '--home', home, '--fingerprint', fingerprintOf(A.publicKey), '--no-sync'], env);
      cli(['peers', 'policy', CONFORMANCE.searcher.country, '--home', home, '--allow', `${CONFORMANCE.purpose}=${CONFORMANCE.category}`], env);
      node = await serve(home, port, env);
    });
    afterAll(async () => {
      await node?.stop();
      await new Promise((r) => (descriptorServer ? descriptorServer.close(r) : r(undefined)));
      t.cleanup();
    });

    /** Send a vector's exact body, signed afresh by A now (the vector's own timestamp is long outside the skew). */
    async function replay(vector: { url: string; body: string }) {
      const body = utf8(vector.body);
      const { request, binding } = buildSignedRequest({
        method: 'POST',
        url: new URL(new URL(vector.url).pathname, url),
        body,
        signer: A,
        recipientKeyId: B.keyId,
        clock: systemClock,
        random: webRandom,
        headers: { 'content-type': FEDERATION.mediaType },
      });
      const res = await fetch(request);
      const raw = new Uint8Array(await res.arrayBuffer());
      verifyResponse(res, raw, { peerPublicKey: B.publicKey, request: binding, clock: systemClock });
      return { status: res.status, contentType: res.headers.get('content-type'), json: JSON.parse(fromUtf8(raw)) };
    }

    it('publishes the TEST keys in its descriptor', async () => {
      const d = verifyDescriptor(await (await fetch(`${url}/.well-known/cairn/node`)).json(), B.keyId);
      expect(d.oprfKey.publicKey).toBe(toBase64Url(fromHex(keys.answerer.oprfPublicKey)));
      expect(d.oprfKey.keyId).toBe(keys.answerer.oprfKeyId);
    });

    it('answers the match request with the same evaluated elements and a proof that finalizes into the same tokens', async () => {
      const r = await replay(matchRequest);
      expect([r.status, r.contentType], JSON.stringify(r.json)).toEqual([200, FEDERATION.mediaType]);
      const ans = matchResponseSchema.parse(r.json);
      const vector = JSON.parse(matchAnswer.body);
      // skS · B_i is deterministic; only the proof's random scalar differs.
      expect(ans.evaluatedElements).toEqual(vector.evaluatedElements);
      const req = JSON.parse(matchRequest.body);
      const tokens = finalizeBatch(
        state.inputs.map((x: { input: string }) => fromHex(x.input)),
        state.inputs.map((x: { blind: string }) => fromHex(x.blind)),
        ans.evaluatedElements.map((e) => fromBase64Url(e)),
        req.blindedElements.map((e: string) => fromBase64Url(e)),
        fromHex(keys.answerer.oprfPublicKey),
        fromBase64Url(ans.proof),
      );
      expect(tokens.slice(0, state.tokens.length).map(toHex)).toEqual(state.tokens.map((t: { token: string }) => t.token));
      // The same record gives the same changes (adds of the same fingerprints) in the delta from version 0.
      expect(ans.deltas).toHaveLength(1);
      const changesOf = (b64: string) => toHex(fromBase64Url(b64)).match(/.{18}/g)!.sort();
      expect(changesOf((ans.deltas[0] as { changes: string }).changes)).toEqual(changesOf(vector.deltas[0].changes));
      expect(ans.checkpoint).toMatch(/^127\.0\.0\.1:\d+\/cairn-audit\n\d+\n/);
      expect(ans.logIndex).toBeGreaterThanOrEqual(0);
    });

    it('answers the confirmation with a receipt for the same record that verifies under the TEST key', async () => {
      const r = await replay(confirmRequest);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      expect(r.json.receipts).toHaveLength(1);
      const receipt = hitReceiptSchema.parse(verifyJsonEnvelope(r.json.receipts[0], MEDIA_TYPES.hitReceipt, B.publicKey));
      const { receiptId, issuedAt, logIndex, ...rest } = confirmAnswer.receipt;
      void receiptId;
      void issuedAt;
      void logIndex;
      expect(receipt).toMatchObject(rest);
      expect(fromBase64(r.json.receipts[0].signatures[0].sig).length).toBe(64);
    });
  });
});
