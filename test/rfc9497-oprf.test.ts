/**
 * RFC 9497 Appendix A.1 test vectors (ristretto255-SHA512), replayed through
 * Cairn's OPRF API for the VOPRF mode (the mode Cairn uses) and through
 * noble-curves directly for the OPRF and POPRF modes, which Cairn does not
 * expose but whose vectors check the same group, hashing and transcripts.
 */
import { readFileSync } from 'node:fs';
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import {
  blind,
  blindEvaluateBatch,
  deriveOprfKeyPair,
  evaluateToken,
  finalizeBatch,
  oprfPublicKey,
  type RandomBytes,
} from '../src/core/oprf/index.js';

interface Vector {
  name: string;
  input: string[];
  info?: string;
  blind: string[];
  blindedElement: string[];
  evaluationElement: string[];
  proof?: string;
  proofRandomScalar?: string;
  output: string[];
}
interface ModeVectors {
  seed: string;
  keyInfo: string;
  skSm: string;
  pkSm?: string;
  vectors: Vector[];
}
const file = JSON.parse(readFileSync(new URL('./vectors/rfc9497/ristretto255-sha512.json', import.meta.url), 'utf8')) as {
  source: string;
  oprf: ModeVectors;
  voprf: ModeVectors;
  poprf: ModeVectors;
};

const ORDER = ristretto255.Point.Fn.ORDER;

/**
 * An rng that makes Cairn's (and noble's) RandomScalar return the given
 * scalars in turn: RandomScalar = (LE(rng(48)) mod (L - 1)) + 1, so feed s - 1.
 */
function scalarRng(scalarsHex: string[]): RandomBytes & ((n?: number) => Uint8Array<ArrayBuffer>) {
  const queue = [...scalarsHex];
  return (n = 48) => {
    const next = queue.shift();
    if (next === undefined) throw new Error('scalarRng: no scalar left');
    let s = 0n;
    const b = fromHex(next);
    for (let i = b.length - 1; i >= 0; i--) s = (s << 8n) | BigInt(b[i]!);
    expect(s > 0n && s < ORDER).toBe(true);
    let v = s - 1n;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
    return out;
  };
}

const hex = (xs: string[]): Uint8Array[] => xs.map((x) => fromHex(x));

describe('RFC 9497 A.1.2 VOPRF mode, ristretto255-SHA512, through the Cairn API', () => {
  const m = file.voprf;

  it('derives skSm and pkSm from Seed and KeyInfo (§3.2.1)', () => {
    const kp = deriveOprfKeyPair(fromHex(m.seed), fromHex(m.keyInfo));
    expect(toHex(kp.secretKey)).toBe(m.skSm);
    expect(toHex(kp.publicKey)).toBe(m.pkSm);
    expect(toHex(oprfPublicKey(kp.secretKey))).toBe(m.pkSm);
  });

  for (const v of m.vectors) {
    it(`${v.name}: blind, blindEvaluateBatch, finalizeBatch`, () => {
      const sk = fromHex(m.skSm);
      const pk = fromHex(m.pkSm!);
      const inputs = hex(v.input);
      const rng = scalarRng(v.blind);
      const blinded = inputs.map((x) => blind(x, rng));
      expect(blinded.map((b) => toHex(b.blind))).toEqual(v.blind);
      expect(blinded.map((b) => toHex(b.blindedElement))).toEqual(v.blindedElement);

      const evaluation = blindEvaluateBatch(
        sk,
        pk,
        blinded.map((b) => b.blindedElement),
        scalarRng([v.proofRandomScalar!]),
      );
      expect(evaluation.evaluatedElements.map(toHex)).toEqual(v.evaluationElement);
      expect(toHex(evaluation.proof)).toBe(v.proof);

      const outputs = finalizeBatch(
        inputs,
        hex(v.blind),
        hex(v.evaluationElement),
        hex(v.blindedElement),
        pk,
        fromHex(v.proof!),
      );
      expect(outputs.map(toHex)).toEqual(v.output);
    });

    it(`${v.name}: evaluateToken equals the client's finalized output`, () => {
      const sk = fromHex(m.skSm);
      expect(hex(v.input).map((x) => toHex(evaluateToken(sk, x)))).toEqual(v.output);
    });
  }
});

describe('RFC 9497 A.1.1 OPRF mode, ristretto255-SHA512 (noble-curves)', () => {
  const m = file.oprf;
  const suite = ristretto255_oprf.oprf;
  it('derives skSm', () => {
    expect(toHex(suite.deriveKeyPair(fromHex(m.seed), fromHex(m.keyInfo)).secretKey)).toBe(m.skSm);
  });
  for (const v of m.vectors) {
    it(v.name, () => {
      const sk = fromHex(m.skSm);
      v.input.forEach((x, i) => {
        const b = suite.blind(fromHex(x), scalarRng([v.blind[i]!]));
        expect(toHex(b.blinded)).toBe(v.blindedElement[i]);
        const ev = suite.blindEvaluate(sk, b.blinded);
        expect(toHex(ev)).toBe(v.evaluationElement[i]);
        expect(toHex(suite.finalize(fromHex(x), b.blind, ev))).toBe(v.output[i]);
      });
    });
  }
});

describe('RFC 9497 A.1.3 POPRF mode, ristretto255-SHA512 (noble-curves)', () => {
  const m = file.poprf;
  for (const v of m.vectors) {
    it(v.name, () => {
      const suite = ristretto255_oprf.poprf(fromHex(v.info!));
      const kp = suite.deriveKeyPair(fromHex(m.seed), fromHex(m.keyInfo));
      expect(toHex(kp.secretKey)).toBe(m.skSm);
      expect(toHex(kp.publicKey)).toBe(m.pkSm);
      const rng = scalarRng(v.blind);
      const blinded = v.input.map((x) => suite.blind(fromHex(x), kp.publicKey, rng));
      expect(blinded.map((b) => toHex(b.blinded))).toEqual(v.blindedElement);
      const ev = suite.blindEvaluateBatch(
        kp.secretKey,
        blinded.map((b) => b.blinded),
        scalarRng([v.proofRandomScalar!]),
      );
      expect(ev.evaluated.map(toHex)).toEqual(v.evaluationElement);
      expect(toHex(ev.proof)).toBe(v.proof);
      const items = v.input.map((x, i) => ({
        input: fromHex(x),
        blind: blinded[i]!.blind,
        evaluated: ev.evaluated[i]!,
        blinded: blinded[i]!.blinded,
      }));
      expect(suite.finalizeBatch(items, ev.proof, blinded[0]!.tweakedKey).map(toHex)).toEqual(v.output);
      expect(v.input.map((x) => toHex(suite.evaluate(kp.secretKey, fromHex(x))))).toEqual(v.output);
    });
  }
});

it('the vector file names its source', () => {
  expect(file.source).toMatch(/RFC 9497, Appendix A\.1/);
});
