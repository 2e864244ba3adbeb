/**
 * Properties of the portable OPRF path, with fast-check: round trips for
 * random batch sizes, proofs that verify and tampering that does not, and the
 * rejection of invalid elements, scalars, keys and inputs with the right
 * CairnError code.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import { isCairnError, type ErrorCode } from '../src/core/errors.js';
import {
  blind,
  blindEvaluateBatch,
  createPortableTokenBackend,
  deriveOprfKeyPair,
  deserializeElement,
  deserializeScalar,
  evaluateToken,
  finalizeBatch,
  generateOprfKeyPair,
  hashToGroup,
  oprfPublicKey,
  serializeScalar,
  validateOprfSecretKey,
} from '../src/core/oprf/index.js';

const keys = generateOprfKeyPair();
const otherKeys = generateOprfKeyPair();
const ORDER = 2n ** 252n + 27742317777372353535851937790883648493n;
const le32 = (n: bigint): Uint8Array => {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) b[i] = Number(n & 0xffn);
  return b;
};
const invalidElements = (
  JSON.parse(readFileSync(new URL('./vectors/rfc9497/cairn-invalid-elements.json', import.meta.url), 'utf8')) as {
    cases: { hex: string; why: string }[];
  }
).cases;

function codeOf(fn: () => unknown): ErrorCode | 'no error' | 'not a CairnError' {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return isCairnError(e) ? e.code : 'not a CairnError';
  }
}

/** A complete client/server exchange for a batch of inputs. */
function exchange(inputs: Uint8Array[]) {
  const blinded = inputs.map((x) => blind(x));
  const ev = blindEvaluateBatch(
    keys.secretKey,
    keys.publicKey,
    blinded.map((b) => b.blindedElement),
  );
  return {
    blinds: blinded.map((b) => b.blind),
    blindedElements: blinded.map((b) => b.blindedElement),
    evaluatedElements: ev.evaluatedElements,
    proof: ev.proof,
  };
}

const batch = fc.array(fc.uint8Array({ minLength: 0, maxLength: 48 }), { minLength: 1, maxLength: 20 });

describe('round trips', () => {
  it('blind -> blindEvaluateBatch -> finalizeBatch equals evaluateToken, batch sizes 1..20', () => {
    fc.assert(
      fc.property(batch, (inputs) => {
        const x = exchange(inputs);
        const outputs = finalizeBatch(inputs, x.blinds, x.evaluatedElements, x.blindedElements, keys.publicKey, x.proof);
        expect(outputs.map(toHex)).toEqual(inputs.map((i) => toHex(evaluateToken(keys.secretKey, i))));
      }),
      { numRuns: 12 },
    );
  });

  it('elements and scalars survive serialize/deserialize; accepted encodings are canonical', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.bigInt({ min: 0n, max: ORDER - 1n }), (b, s) => {
        try {
          expect(toHex(deserializeElement(b).toBytes())).toBe(toHex(b));
        } catch (e) {
          expect(isCairnError(e, 'oprf_invalid_element')).toBe(true);
        }
        expect(deserializeScalar(serializeScalar(s))).toBe(s);
      }),
      { numRuns: 200 },
    );
  });

  it('keys: generate with an rng, derive from seed/info, public key from secret key', () => {
    const fixed = (n: number) => new Uint8Array(n).fill(9);
    expect(toHex(generateOprfKeyPair(fixed).secretKey)).toBe(toHex(generateOprfKeyPair(fixed).secretKey));
    const d = deriveOprfKeyPair(new Uint8Array(32).fill(1), new TextEncoder().encode('info'));
    expect(toHex(oprfPublicKey(d.secretKey))).toBe(toHex(d.publicKey));
    expect(toHex(oprfPublicKey(keys.secretKey))).toBe(toHex(keys.publicKey));
    expect(validateOprfSecretKey(keys.secretKey)).toBe(keys.secretKey);
  });
});

describe('tampering is rejected', () => {
  it('a proof with any bit flipped fails with oprf_proof_invalid', () => {
    fc.assert(
      fc.property(batch, fc.nat({ max: 511 }), (inputs, bit) => {
        const x = exchange(inputs);
        const proof = x.proof.slice();
        proof[bit >> 3]! ^= 1 << (bit & 7);
        expect(
          codeOf(() => finalizeBatch(inputs, x.blinds, x.evaluatedElements, x.blindedElements, keys.publicKey, proof)),
        ).toBe('oprf_proof_invalid');
      }),
      { numRuns: 10 },
    );
  });

  it('a replaced or swapped evaluated element fails the proof', () => {
    fc.assert(
      fc.property(batch, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 }), (inputs, at, other) => {
        const x = exchange(inputs);
        const i = at % inputs.length;
        const replaced = [...x.evaluatedElements];
        replaced[i] = hashToGroup(other).toBytes();
        expect(
          codeOf(() => finalizeBatch(inputs, x.blinds, replaced, x.blindedElements, keys.publicKey, x.proof)),
        ).toBe('oprf_proof_invalid');
        if (inputs.length > 1 && toHex(x.evaluatedElements[0]!) !== toHex(x.evaluatedElements[1]!)) {
          const swapped = [x.evaluatedElements[1]!, x.evaluatedElements[0]!, ...x.evaluatedElements.slice(2)];
          expect(
            codeOf(() => finalizeBatch(inputs, x.blinds, swapped, x.blindedElements, keys.publicKey, x.proof)),
          ).toBe('oprf_proof_invalid');
        }
      }),
      { numRuns: 8 },
    );
  });

  it('a proof checked against another public key fails', () => {
    const inputs = [new Uint8Array([1]), new Uint8Array([2])];
    const x = exchange(inputs);
    expect(
      codeOf(() => finalizeBatch(inputs, x.blinds, x.evaluatedElements, x.blindedElements, otherKeys.publicKey, x.proof)),
    ).toBe('oprf_proof_invalid');
  });

  it('a proof that is not 64 bytes of two canonical scalars fails with oprf_proof_invalid', () => {
    const inputs = [new Uint8Array([1])];
    const x = exchange(inputs);
    const bad = [new Uint8Array(63), new Uint8Array(65), new Uint8Array(64).fill(0xff)];
    for (const proof of bad) {
      expect(
        codeOf(() => finalizeBatch(inputs, x.blinds, x.evaluatedElements, x.blindedElements, keys.publicKey, proof)),
      ).toBe('oprf_proof_invalid');
    }
  });
});

describe('invalid elements (test/vectors/rfc9497/cairn-invalid-elements.json)', () => {
  const inputs = [new Uint8Array([5])];
  const x = exchange(inputs);
  for (const c of invalidElements) {
    it(`rejects ${c.why}`, () => {
      const b = fromHex(c.hex);
      expect(codeOf(() => deserializeElement(b))).toBe('oprf_invalid_element');
      expect(codeOf(() => blindEvaluateBatch(keys.secretKey, keys.publicKey, [x.blindedElements[0]!, b]))).toBe(
        'oprf_invalid_element',
      );
      expect(codeOf(() => finalizeBatch(inputs, x.blinds, [b], x.blindedElements, keys.publicKey, x.proof))).toBe(
        'oprf_invalid_element',
      );
      expect(codeOf(() => finalizeBatch(inputs, x.blinds, x.evaluatedElements, x.blindedElements, b, x.proof))).toBe(
        'oprf_invalid_element',
      );
    });
  }

  it('names the failing element in the error', () => {
    try {
      blindEvaluateBatch(keys.secretKey, keys.publicKey, [x.blindedElements[0]!, new Uint8Array(32)]);
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e) && e.location?.field).toBe('blindedElements[1]');
    }
  });
});

describe('argument checks', () => {
  const bigInput = new Uint8Array(0x10000);

  it('secret keys: 32 bytes, canonical, nonzero', () => {
    for (const sk of [new Uint8Array(32), le32(ORDER), le32(ORDER + 1n), new Uint8Array(31), 'key']) {
      expect(codeOf(() => validateOprfSecretKey(sk))).toBe('oprf_invalid_input');
      expect(codeOf(() => evaluateToken(sk as Uint8Array, new Uint8Array(1)))).toBe('oprf_invalid_input');
    }
    expect(codeOf(() => validateOprfSecretKey(le32(ORDER - 1n)))).toBe('no error');
  });

  it('inputs: at most 65535 bytes, must be bytes', () => {
    expect(codeOf(() => evaluateToken(keys.secretKey, bigInput))).toBe('oprf_invalid_input');
    expect(codeOf(() => evaluateToken(keys.secretKey, new Uint8Array(0xffff)))).toBe('no error');
    expect(codeOf(() => blind(bigInput))).toBe('oprf_invalid_input');
    expect(codeOf(() => blind('abc' as unknown as Uint8Array))).toBe('oprf_invalid_input');
  });

  it('key derivation: 32-byte seed, info at most 65535 bytes', () => {
    expect(codeOf(() => deriveOprfKeyPair(new Uint8Array(31), new Uint8Array(0)))).toBe('oprf_invalid_input');
    expect(codeOf(() => deriveOprfKeyPair(new Uint8Array(32), bigInput))).toBe('oprf_invalid_input');
  });

  it('batches: non-empty, matching lengths, a public key that matches the secret key', () => {
    const inputs = [new Uint8Array([1]), new Uint8Array([2])];
    const x = exchange(inputs);
    expect(codeOf(() => blindEvaluateBatch(keys.secretKey, keys.publicKey, []))).toBe('oprf_invalid_input');
    expect(codeOf(() => blindEvaluateBatch(keys.secretKey, otherKeys.publicKey, x.blindedElements))).toBe(
      'oprf_invalid_input',
    );
    expect(
      codeOf(() => finalizeBatch(inputs, x.blinds.slice(1), x.evaluatedElements, x.blindedElements, keys.publicKey, x.proof)),
    ).toBe('oprf_invalid_input');
    expect(
      codeOf(() => finalizeBatch([], [], [], [], keys.publicKey, x.proof)),
    ).toBe('oprf_invalid_input');
    const zeroBlind = [new Uint8Array(32), x.blinds[1]!];
    expect(
      codeOf(() => finalizeBatch(inputs, zeroBlind, x.evaluatedElements, x.blindedElements, keys.publicKey, x.proof)),
    ).toBe('oprf_invalid_input');
  });

  it('an rng that returns the wrong number of bytes is refused', () => {
    expect(codeOf(() => blind(new Uint8Array(1), () => new Uint8Array(8)))).toBe('oprf_invalid_input');
    expect(codeOf(() => generateOprfKeyPair(() => new Uint8Array(8)))).toBe('oprf_invalid_input');
  });
});

describe('portable TokenBackend', () => {
  it('tokenises in order, names a bad input by index, and refuses use after close', async () => {
    const backend = createPortableTokenBackend(keys.secretKey);
    const inputs = Array.from({ length: 300 }, (_, i) => new TextEncoder().encode(`record-${i}`));
    const tokens = await backend.evaluateTokens(inputs);
    expect(tokens.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
    expect(await backend.evaluateTokens([])).toEqual([]);
    const err = await backend.evaluateTokens([inputs[0]!, new Uint8Array(0x10000)]).catch((e: unknown) => e);
    expect(isCairnError(err, 'oprf_invalid_input') && err.location?.field).toBe('inputs[1]');
    await backend.close();
    expect(isCairnError(await backend.evaluateTokens(inputs).catch((e: unknown) => e), 'internal')).toBe(true);
  });
});
