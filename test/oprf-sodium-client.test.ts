/**
 * The libsodium client (Blind, Finalize with the batch VerifyProof) against
 * the portable noble path and against @cloudflare/voprf-ts as the server.
 */
import { randomBytes } from 'node:crypto';
import { EvaluationRequest, Oprf, VOPRFServer, type Elt } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import { blind, blindEvaluateBatch, evaluateToken, finalizeBatch, generateOprfKeyPair } from '../src/core/oprf/index.js';
import type { OprfClient } from '../src/core/federation/client.js';
import { createSodiumOprfClient } from '../src/node/oprf/sodium-client.js';

const inputs = (n: number) => Array.from({ length: n }, () => new Uint8Array(randomBytes(1 + (randomBytes(1)[0]! % 80))));
/** A deterministic rng: the same bytes for both paths. */
const fixedRng = (seed: number) => {
  let i = seed;
  return (n: number) => Uint8Array.from({ length: n }, () => (i = (i * 1103515245 + 12345) >>> 0) & 0xff);
};

describe('libsodium OPRF client', () => {
  let sodium: OprfClient;
  const { secretKey, publicKey } = generateOprfKeyPair();
  beforeAll(async () => {
    sodium = await createSodiumOprfClient();
  });

  it('blinds byte-identically to the portable path for the same randomness', async () => {
    const s = await createSodiumOprfClient(fixedRng(7));
    const rng = fixedRng(7);
    for (const x of inputs(40)) {
      const a = s.blind(x);
      const b = blind(x, rng);
      expect(toHex(a.blind)).toBe(toHex(b.blind));
      expect(toHex(a.blindedElement)).toBe(toHex(b.blindedElement));
    }
  });

  it('verifies the batch proof and finalizes to the same tokens as noble and as Evaluate', () => {
    for (const n of [1, 2, 7, 17, 30]) {
      const xs = inputs(n);
      const bl = xs.map((x) => sodium.blind(x));
      const ev = blindEvaluateBatch(secretKey, publicKey, bl.map((b) => b.blindedElement));
      const args = [xs, bl.map((b) => b.blind), ev.evaluatedElements, bl.map((b) => b.blindedElement), publicKey, ev.proof] as const;
      const ours = sodium.finalizeBatch(...args).map(toHex);
      expect(ours).toEqual(finalizeBatch(...args).map(toHex));
      expect(ours).toEqual(xs.map((x) => toHex(evaluateToken(secretKey, x))));
    }
  });

  it('finalizes a voprf-ts server\'s batch evaluation', async () => {
    const server = new VOPRFServer(Oprf.Suite.RISTRETTO255_SHA512, secretKey, CryptoNoble);
    const group = Oprf.getGroup(Oprf.Suite.RISTRETTO255_SHA512, CryptoNoble);
    const xs = inputs(12);
    const bl = xs.map((x) => sodium.blind(x));
    const theirs = await server.blindEvaluate(new EvaluationRequest(bl.map((b) => group.desElt(b.blindedElement))));
    const out = sodium.finalizeBatch(xs, bl.map((b) => b.blind), theirs.evaluated.map((e: Elt) => e.serialize()), bl.map((b) => b.blindedElement), publicKey, theirs.proof!.serialize());
    expect(out.map(toHex)).toEqual((await Promise.all(xs.map((x) => server.evaluate(x)))).map(toHex));
  });

  it('refuses a tampered proof, a swapped element, another key and the identity', () => {
    const xs = inputs(5);
    const bl = xs.map((x) => sodium.blind(x));
    const ev = blindEvaluateBatch(secretKey, publicKey, bl.map((b) => b.blindedElement));
    const run = (over: { evaluated?: Uint8Array[]; pk?: Uint8Array; proof?: Uint8Array }) => {
      try {
        sodium.finalizeBatch(xs, bl.map((b) => b.blind), over.evaluated ?? ev.evaluatedElements, bl.map((b) => b.blindedElement), over.pk ?? publicKey, over.proof ?? ev.proof);
        return 'ok';
      } catch (e) {
        return isCairnError(e) ? `${e.code} ${e.location?.field}` : String(e);
      }
    };
    const flipped = ev.proof.slice();
    flipped[3]! ^= 1;
    expect(run({ proof: flipped })).toMatch(/^oprf_proof_invalid proof/);
    expect(run({ evaluated: [ev.evaluatedElements[1]!, ev.evaluatedElements[0]!, ...ev.evaluatedElements.slice(2)] })).toBe('oprf_proof_invalid proof');
    expect(run({ pk: generateOprfKeyPair().publicKey })).toBe('oprf_proof_invalid proof');
    expect(run({ evaluated: [new Uint8Array(32), ...ev.evaluatedElements.slice(1)] })).toBe('oprf_invalid_element evaluatedElements[0]');
    expect(run({})).toBe('ok');
  });

  it('pads with random elements and finalizes only the real prefix, the proof covering the dummies too', () => {
    const dummy = sodium.dummyElement!;
    const finalizePrefix = sodium.finalizePrefix!;
    // A dummy is a valid element, fresh each time, and the evaluator takes it as any blinded element.
    const ds = Array.from({ length: 8 }, () => dummy());
    expect(new Set(ds.map(toHex)).size).toBe(8);
    for (const n of [1, 5, 8]) {
      const xs = inputs(n);
      const bl = xs.map((x) => sodium.blind(x));
      const elements = [...bl.map((b) => b.blindedElement), ...Array.from({ length: 16 - n }, () => dummy())];
      const ev = blindEvaluateBatch(secretKey, publicKey, elements);
      const out = finalizePrefix(xs, bl.map((b) => b.blind), ev.evaluatedElements, elements, publicKey, ev.proof);
      expect(out.map(toHex)).toEqual(xs.map((x) => toHex(evaluateToken(secretKey, x))));
      // A dummy's evaluation swapped with another's breaks the proof: the peer cannot answer them carelessly.
      const swapped = [...ev.evaluatedElements];
      [swapped[14], swapped[15]] = [swapped[15]!, swapped[14]!];
      expect(() => finalizePrefix(xs, bl.map((b) => b.blind), swapped, elements, publicKey, ev.proof)).toThrow(/does not verify/);
    }
    const xs = inputs(3);
    const bl = xs.map((x) => sodium.blind(x));
    const ev = blindEvaluateBatch(secretKey, publicKey, bl.map((b) => b.blindedElement));
    const shape = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return isCairnError(e) ? `${e.code} ${e.location?.field}` : String(e);
      }
    };
    // More inputs than elements, blinds that do not pair with the inputs, elements that do not pair with their evaluations.
    expect(shape(() => finalizePrefix([...xs, xs[0]!, xs[1]!], bl.map((b) => b.blind), ev.evaluatedElements, bl.map((b) => b.blindedElement), publicKey, ev.proof))).toBe('oprf_invalid_input inputs');
    expect(shape(() => finalizePrefix(xs, bl.slice(1).map((b) => b.blind), ev.evaluatedElements, bl.map((b) => b.blindedElement), publicKey, ev.proof))).toBe('oprf_invalid_input blinds');
    expect(shape(() => finalizePrefix(xs, bl.map((b) => b.blind), ev.evaluatedElements, bl.slice(1).map((b) => b.blindedElement), publicKey, ev.proof))).toBe('oprf_invalid_input blindedElements');
    expect(shape(() => finalizePrefix(xs.slice(0, 2), bl.slice(0, 2).map((b) => b.blind), ev.evaluatedElements, bl.map((b) => b.blindedElement), publicKey, ev.proof))).toBe('ok');
  });
});
