/**
 * The libsodium client (Blind, Finalize with the batch VerifyProof) against
 * the portable noble path and against @cloudflare/voprf-ts as the server.
 */
import { randomBytes } from 'node:crypto';
import { EvaluationRequest, Oprf, VOPRFServer, type Elt } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { beforeAll, describe, expect, it } from 'vitest';
import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { toHex } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import { blind, blindEvaluateBatch, evaluateToken, finalizeBatch, generateOprfKeyPair } from '../src/core/oprf/index.js';
import type { OprfClient } from '../src/core/federation/client.js';
import { createSodiumOprfClient, invertAll } from '../src/node/oprf/sodium-client.js';
import { loadSodium } from '../src/node/oprf/sodium.js';

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

  it('blinds in two steps (HashToGroup once, then a blind per peer) exactly as in one', async () => {
    const one = await createSodiumOprfClient(fixedRng(11));
    const two = await createSodiumOprfClient(fixedRng(11));
    for (const x of inputs(20)) {
      const a = one.blind(x);
      const b = two.blindElement!(two.hashToGroup!(x));
      expect(toHex(b.blind)).toBe(toHex(a.blind));
      expect(toHex(b.blindedElement)).toBe(toHex(a.blindedElement));
    }
    // One hashed element blinded twice: two unlinkable elements that both finalize to the key's token.
    const x = inputs(1)[0]!;
    const element = sodium.hashToGroup!(x);
    const [p, q] = [sodium.blindElement!(element), sodium.blindElement!(element)];
    expect(toHex(p.blindedElement)).not.toBe(toHex(q.blindedElement));
    for (const b of [p, q]) {
      const ev = blindEvaluateBatch(secretKey, publicKey, [b.blindedElement]);
      expect(toHex(sodium.finalizeBatch([x], [b.blind], ev.evaluatedElements, [b.blindedElement], publicKey, ev.proof)[0]!)).toBe(toHex(evaluateToken(secretKey, x)));
    }
    expect(() => sodium.hashToGroup!('not bytes' as never)).toThrow(/input/);
  });

  it('inverts a batch of scalars with one inversion, as inverting each would', async () => {
    const lib = await loadSodium();
    expect(invertAll(lib, [])).toEqual([]);
    for (const n of [1, 2, 3, 16, 64]) {
      const scalars = Array.from({ length: n }, () => lib.crypto_core_ristretto255_scalar_reduce(randomBytes(64)));
      const inverses = invertAll(lib, scalars);
      expect(inverses.map(toHex)).toEqual(scalars.map((s) => toHex(lib.crypto_core_ristretto255_scalar_invert(s))));
      const one = toHex(Uint8Array.of(1, ...new Uint8Array(31)));
      scalars.forEach((s, i) => expect(toHex(lib.crypto_core_ristretto255_scalar_mul(s, inverses[i]!))).toBe(one));
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

  it('pads with r * G, finalizes only the real prefix, and the proof still binds every real evaluation', async () => {
    const dummy = sodium.dummy!;
    const finalizePrefix = sodium.finalizePrefix!;
    // A dummy is a valid element, fresh each time, made from its blind, and the evaluator takes it as any blinded element.
    const ds = Array.from({ length: 8 }, () => dummy());
    expect(new Set(ds.map((d) => toHex(d.blindedElement))).size).toBe(8);
    for (const d of ds) expect(toHex(d.blindedElement)).toBe(toHex(ristretto255.Point.BASE.multiply(bytesToNumberLE(d.blind)).toBytes()));
    for (const n of [1, 5, 8, 16]) {
      const xs = inputs(n);
      const bl = [...xs.map((x) => sodium.blind(x)), ...Array.from({ length: 16 - n }, () => dummy())];
      const elements = bl.map((b) => b.blindedElement);
      const blinds = bl.map((b) => b.blind);
      const ev = blindEvaluateBatch(secretKey, publicKey, elements);
      const out = await finalizePrefix(xs, blinds, ev.evaluatedElements, elements, publicKey, ev.proof);
      expect(out.map(toHex)).toEqual(xs.map((x) => toHex(evaluateToken(secretKey, x))));
      // Swapping two real evaluations, or answering a real key under another key, breaks the proof.
      if (n >= 2) {
        const swapped = [...ev.evaluatedElements];
        [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
        expect(() => finalizePrefix(xs, blinds, swapped, elements, publicKey, ev.proof)).toThrow(/does not verify/);
      }
      const o = generateOprfKeyPair();
      const other = blindEvaluateBatch(o.secretKey, o.publicKey, elements.slice(0, 1)).evaluatedElements[0]!;
      expect(() => finalizePrefix(xs, blinds, [other, ...ev.evaluatedElements.slice(1)], elements, publicKey, ev.proof)).toThrow(/does not verify/);
      // The proof is over the elements actually sent: a dummy's blind that does not match its element fails it.
      if (n < 16) {
        const wrong = [...blinds];
        wrong[15] = dummy().blind;
        expect(() => finalizePrefix(xs, wrong, ev.evaluatedElements, elements, publicKey, ev.proof)).toThrow(/does not verify/);
      }
    }
    const xs = inputs(3);
    const bl = [...xs.map((x) => sodium.blind(x)), dummy(), dummy()];
    const elements = bl.map((b) => b.blindedElement);
    const shape = (f: () => unknown) => {
      try {
        f();
        return 'ok';
      } catch (e) {
        return isCairnError(e) ? `${e.code} ${e.location?.field}` : String(e);
      }
    };
    const ev = blindEvaluateBatch(secretKey, publicKey, elements);
    const blinds = bl.map((b) => b.blind);
    // More inputs than elements, blinds that do not pair with the elements, elements that do not pair with their evaluations, a zero dummy scalar.
    expect(shape(() => finalizePrefix([...xs, xs[0]!, xs[1]!, xs[2]!], blinds, ev.evaluatedElements, elements, publicKey, ev.proof))).toBe('oprf_invalid_input inputs');
    expect(shape(() => finalizePrefix(xs, blinds.slice(1), ev.evaluatedElements, elements, publicKey, ev.proof))).toBe('oprf_invalid_input blinds');
    expect(shape(() => finalizePrefix(xs, blinds, ev.evaluatedElements, elements.slice(1), publicKey, ev.proof))).toBe('oprf_invalid_input blindedElements');
    expect(shape(() => finalizePrefix(xs, [...blinds.slice(0, 4), new Uint8Array(32)], ev.evaluatedElements, elements, publicKey, ev.proof))).toBe('oprf_invalid_input blinds[4]');
    expect(shape(() => finalizePrefix(xs, blinds, ev.evaluatedElements, elements, publicKey, ev.proof))).toBe('ok');
  });
});
