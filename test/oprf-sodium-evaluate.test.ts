/**
 * The Node fast path for answering peers (libsodium BlindEvaluateBatch with
 * one batch DLEQ proof) against the portable core: byte-identical evaluated
 * elements and proofs for the same proof nonce, proofs that our client and
 * @cloudflare/voprf-ts verify, the RFC 9497 A.1.2 vectors, and the same
 * rejections (code, field, message) for invalid elements and keys.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { DLEQProof, Evaluation, Oprf, VOPRFClient, type Elt } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import type { OprfEvaluator } from '../src/core/federation/answer.js';
import {
  blind,
  blindEvaluateBatch,
  deriveOprfKeyPair,
  evaluateToken,
  finalizeBatch,
  generateOprfKeyPair,
  serializeScalar,
  VOPRF_CONTEXT,
  type RandomBytes,
} from '../src/core/oprf/index.js';
import { loadSodium, type Sodium } from '../src/node/oprf/index.js';
import {
  compositeElement,
  createSodiumEvaluator,
  multiplyElement,
  sodiumHashToScalar,
} from '../src/node/oprf/sodium-evaluate.js';

const { Point } = ristretto255;
const ORDER = Point.Fn.ORDER;
const keys = generateOprfKeyPair();
const otherKeys = generateOprfKeyPair();

/** A deterministic byte stream from a seed: SHA-512(seed || counter) blocks. Tests only. */
function seededRng(seed: Uint8Array): RandomBytes {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 64) {
      const block = createHash('sha512').update(seed).update(String(counter++)).digest();
      out.set(block.subarray(0, Math.min(64, n - off)), off);
    }
    return out;
  };
}

/**
 * An rng that makes RandomScalar return the given scalars in turn:
 * RandomScalar = (LE(rng(48)) mod (L - 1)) + 1, so feed s - 1.
 */
function scalarRng(scalarsHex: string[]): RandomBytes {
  const queue = [...scalarsHex];
  return (n) => {
    const next = queue.shift();
    if (next === undefined) throw new Error('scalarRng: no scalar left');
    let v = leToBigInt(fromHex(next)) - 1n;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++, v >>= 8n) out[i] = Number(v & 0xffn);
    return out;
  };
}

function leToBigInt(b: Uint8Array): bigint {
  let s = 0n;
  for (let i = b.length - 1; i >= 0; i--) s = (s << 8n) | BigInt(b[i]!);
  return s;
}

function randomInputs(n: number): Uint8Array[] {
  return Array.from({ length: n }, () => new Uint8Array(randomBytes(1 + (randomBytes(1)[0]! % 64))));
}

/** What a failure looks like from outside: code, field and message. */
async function failure(f: () => unknown): Promise<{ code: string; field?: string; message: string } | 'no error'> {
  const o = await outcome(f);
  return 'ok' in o ? 'no error' : o;
}

/** The result of `f`, or its CairnError as code, field and message. */
async function outcome<T>(f: () => T | Promise<T>): Promise<{ ok: T } | { code: string; field?: string; message: string }> {
  try {
    return { ok: await f() };
  } catch (e) {
    if (!isCairnError(e)) throw e;
    return { code: e.code, message: e.message, ...(e.location?.field === undefined ? {} : { field: e.location.field }) };
  }
}

let lib: Sodium;
/** The rng the shared evaluator draws its proof nonce from; each test sets it. */
let nextRng: RandomBytes = () => {
  throw new Error('set nextRng first');
};
let sodium: OprfEvaluator;

beforeAll(async () => {
  lib = await loadSodium();
  sodium = await createSodiumEvaluator(keys.secretKey, keys.publicKey, (n) => nextRng(n));
});

describe('sodium BlindEvaluateBatch against the portable path', () => {
  it('gives byte-identical evaluated elements and proof for random batches (sizes 1..30), which our client verifies', async () => {
    let elements = 0;
    // A fixed fast-check seed: the sizes and inputs are the same on every run,
    // so the element count checked below cannot fall short by chance (with
    // fast-check's small-value bias it did about one run in thirty).
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 30 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        async (inputs, seed) => {
          const size = inputs.length;
          const blinded = inputs.map((x) => blind(x));
          const elementsIn = blinded.map((b) => b.blindedElement);
          nextRng = seededRng(seed);
          const fast = await sodium.blindEvaluateBatch(elementsIn);
          const portable = blindEvaluateBatch(keys.secretKey, keys.publicKey, elementsIn, seededRng(seed));
          expect(fast.evaluatedElements.map(toHex)).toEqual(portable.evaluatedElements.map(toHex));
          expect(toHex(fast.proof)).toBe(toHex(portable.proof));
          const outputs = finalizeBatch(
            inputs,
            blinded.map((b) => b.blind),
            fast.evaluatedElements,
            elementsIn,
            keys.publicKey,
            fast.proof,
          );
          expect(outputs.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
          elements += size;
        },
      ),
      {
        numRuns: 20,
        seed: 0x5eed_0001,
        examples: [
          [[utf8('a')], new Uint8Array(32)],
          [Array.from({ length: 30 }, (_, i) => utf8(`input ${i}`)), new Uint8Array(32).fill(1)],
        ],
      },
    );
    // 151 elements with this seed; the bound guards against a generator that stops exercising batches.
    expect(elements).toBeGreaterThan(120);
  });

  it('agrees when the batch repeats an element', async () => {
    const b = blind(utf8('same')).blindedElement;
    const seed = new Uint8Array(32).fill(9);
    nextRng = seededRng(seed);
    const fast = await sodium.blindEvaluateBatch([b, b, b]);
    const portable = blindEvaluateBatch(keys.secretKey, keys.publicKey, [b, b, b], seededRng(seed));
    expect(toHex(concatBytes(...fast.evaluatedElements, fast.proof))).toBe(
      toHex(concatBytes(...portable.evaluatedElements, portable.proof)),
    );
  });

  it('draws a fresh proof nonce per batch from the default rng', async () => {
    const ev = await createSodiumEvaluator(keys.secretKey, keys.publicKey);
    const b = [blind(utf8('x')).blindedElement];
    const [p1, p2] = [(await ev.blindEvaluateBatch(b)).proof, (await ev.blindEvaluateBatch(b)).proof];
    expect(toHex(p1)).not.toBe(toHex(p2));
  });

  it('keeps its own copy of the key pair', async () => {
    const sk = keys.secretKey.slice();
    const ev = await createSodiumEvaluator(sk, keys.publicKey.slice());
    sk.fill(0);
    const inputs = [utf8('copy')];
    const blinded = inputs.map((x) => blind(x));
    const res = await ev.blindEvaluateBatch(blinded.map((b) => b.blindedElement));
    const out = finalizeBatch(inputs, [blinded[0]!.blind], res.evaluatedElements, [blinded[0]!.blindedElement], keys.publicKey, res.proof);
    expect(toHex(out[0]!)).toBe(toHex(evaluateToken(keys.secretKey, inputs[0]!)));
  });
});

describe('sodium evaluator against RFC 9497 A.1.2 (VOPRF, ristretto255-SHA512)', () => {
  const m = (
    JSON.parse(readFileSync(new URL('./vectors/rfc9497/ristretto255-sha512.json', import.meta.url), 'utf8')) as {
      voprf: {
        seed: string;
        keyInfo: string;
        vectors: { name: string; blindedElement: string[]; evaluationElement: string[]; proof: string; proofRandomScalar: string }[];
      };
    }
  ).voprf;
  for (const v of m.vectors) {
    it(`${v.name}: evaluated elements and proof`, async () => {
      const kp = deriveOprfKeyPair(fromHex(m.seed), fromHex(m.keyInfo));
      const ev = await createSodiumEvaluator(kp.secretKey, kp.publicKey, scalarRng([v.proofRandomScalar]));
      const res = await ev.blindEvaluateBatch(v.blindedElement.map((x) => fromHex(x)));
      expect(res.evaluatedElements.map(toHex)).toEqual(v.evaluationElement);
      expect(toHex(res.proof)).toBe(v.proof);
    });
  }
});

describe('cross-check with @cloudflare/voprf-ts', () => {
  const SUITE = Oprf.Suite.RISTRETTO255_SHA512;
  const group = Oprf.getGroup(SUITE, CryptoNoble);

  for (const size of [1, 7, 30]) {
    it(`their client verifies our sodium batch proof and finalizes into evaluateToken (batch of ${size})`, async () => {
      const ev = await createSodiumEvaluator(keys.secretKey, keys.publicKey);
      const inputs = randomInputs(size);
      const client = new VOPRFClient(SUITE, keys.publicKey, CryptoNoble);
      const [finData, request] = await client.blind(inputs);
      const ours = await ev.blindEvaluateBatch(request.blinded.map((e: Elt) => e.serialize()));
      const evaluation = new Evaluation(
        Oprf.Mode.VOPRF,
        ours.evaluatedElements.map((b) => group.desElt(b)),
        DLEQProof.deserialize(group.id, ours.proof, CryptoNoble),
      );
      const outputs = await client.finalize(finData, evaluation);
      expect(outputs.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
    });
  }

  it('their client rejects our proof under another public key', async () => {
    const ev = await createSodiumEvaluator(keys.secretKey, keys.publicKey);
    const client = new VOPRFClient(SUITE, otherKeys.publicKey, CryptoNoble);
    const [finData, request] = await client.blind(randomInputs(3));
    const ours = await ev.blindEvaluateBatch(request.blinded.map((e: Elt) => e.serialize()));
    const evaluation = new Evaluation(
      Oprf.Mode.VOPRF,
      ours.evaluatedElements.map((b) => group.desElt(b)),
      DLEQProof.deserialize(group.id, ours.proof, CryptoNoble),
    );
    await expect(client.finalize(finData, evaluation)).rejects.toThrow();
  });
});

describe('rejections match the portable path (code, field, message)', () => {
  const good = blind(utf8('good')).blindedElement;
  const invalid = (
    JSON.parse(readFileSync(new URL('./vectors/rfc9497/cairn-invalid-elements.json', import.meta.url), 'utf8')) as {
      cases: { hex: string; why: string }[];
    }
  ).cases;

  for (const c of invalid) {
    it(`rejects ${c.why}`, async () => {
      const batch = [good, good, fromHex(c.hex)];
      const fast = await failure(() => sodium.blindEvaluateBatch(batch));
      expect(fast).toMatchObject({ code: 'oprf_invalid_element', field: 'blindedElements[2]' });
      expect(fast).toEqual(await failure(() => blindEvaluateBatch(keys.secretKey, keys.publicKey, batch)));
    });
  }

  it('accepts and rejects random 32-byte strings exactly as the portable path does', async () => {
    const seed = new Uint8Array(32).fill(3);
    const bytesOf = (r: { evaluatedElements: Uint8Array[]; proof: Uint8Array }) => toHex(concatBytes(...r.evaluatedElements, r.proof));
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (bytes) => {
        nextRng = seededRng(seed);
        const fast = await outcome(async () => bytesOf(await sodium.blindEvaluateBatch([bytes])));
        const portable = await outcome(() => bytesOf(blindEvaluateBatch(keys.secretKey, keys.publicKey, [bytes], seededRng(seed))));
        expect(fast).toEqual(portable);
      }),
      { numRuns: 60 },
    );
  });

  it('rejects what is not a batch of byte strings', async () => {
    for (const batch of [[], 'abc', null, [good, 'x'], [good, new Uint16Array(16)]] as unknown as Uint8Array[][]) {
      const fast = await failure(() => sodium.blindEvaluateBatch(batch));
      expect(fast).not.toBe('no error');
      expect(fast).toEqual(await failure(() => blindEvaluateBatch(keys.secretKey, keys.publicKey, batch)));
    }
  });

  it('rejects bad and mismatched key pairs at creation', async () => {
    const le32 = (n: bigint) => serializeScalar(n).slice();
    const cases: [Uint8Array, Uint8Array][] = [
      [new Uint8Array(32), keys.publicKey],
      [fromHex('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'), keys.publicKey], // L itself
      [keys.secretKey.subarray(1), keys.publicKey],
      [keys.secretKey, new Uint8Array(32)],
      [keys.secretKey, fromHex('0100000000000000000000000000000000000000000000000000000000000000')],
      [keys.secretKey, otherKeys.publicKey],
      [le32(1n), keys.publicKey],
    ];
    for (const [sk, pk] of cases) {
      const fast = await failure(() => createSodiumEvaluator(sk, pk));
      expect(fast).not.toBe('no error');
      expect(fast).toEqual(await failure(() => blindEvaluateBatch(sk, pk, [good])));
    }
  });

  it('checks the rng like the portable path', async () => {
    const short: RandomBytes = (n) => new Uint8Array(n - 1);
    const ev = await createSodiumEvaluator(keys.secretKey, keys.publicKey, short);
    const fast = await failure(() => ev.blindEvaluateBatch([good]));
    expect(fast).toMatchObject({ code: 'oprf_invalid_input', field: 'rng' });
    expect(fast).toEqual(await failure(() => blindEvaluateBatch(keys.secretKey, keys.publicKey, [good], short)));
  });
});

describe('building blocks at the edges libsodium refuses', () => {
  const random = () => Point.BASE.multiply(1n + (leToBigInt(randomBytes(40)) % (ORDER - 1n)));
  const scalar = (n: bigint) => serializeScalar(n);
  const zero = new Uint8Array(32);

  it('multiplyElement: zero scalar or identity gives the identity; otherwise noble agrees', () => {
    const p = random();
    expect(toHex(multiplyElement(lib, zero, p.toBytes()))).toBe(toHex(zero));
    expect(toHex(multiplyElement(lib, scalar(5n), zero))).toBe(toHex(zero));
    expect(toHex(multiplyElement(lib, scalar(ORDER - 1n), p.toBytes()))).toBe(toHex(p.negate().toBytes()));
  });

  it('compositeElement: weights that cancel give the identity, and zero weights are skipped', () => {
    const p = random().toBytes();
    const q = random().toBytes();
    expect(toHex(compositeElement(lib, [p, p], [scalar(7n), scalar(ORDER - 7n)]))).toBe(toHex(zero));
    expect(toHex(compositeElement(lib, [p, q, p], [scalar(7n), zero, scalar(ORDER - 7n)]))).toBe(toHex(zero));
    // The identity in the middle of the running sum, then more terms.
    const expected = Point.fromBytes(q).multiply(3n).toBytes();
    expect(toHex(compositeElement(lib, [p, p, q], [scalar(2n), scalar(ORDER - 2n), scalar(3n)]))).toBe(toHex(expected));
    expect(toHex(compositeElement(lib, [], []))).toBe(toHex(zero));
  });

  it('compositeElement: equals the noble weighted sum for random weights', () => {
    const points = Array.from({ length: 12 }, random);
    const weights = points.map(() => 1n + (leToBigInt(randomBytes(40)) % (ORDER - 1n)));
    const expected = points.reduce((acc, p, i) => acc.add(p.multiply(weights[i]!)), Point.ZERO);
    expect(toHex(compositeElement(lib, points.map((p) => p.toBytes()), weights.map(scalar)))).toBe(toHex(expected.toBytes()));
  });

  it('sodiumHashToScalar equals noble hashToScalar with DST "HashToScalar-" || contextString', () => {
    const dst = concatBytes(utf8('HashToScalar-'), VOPRF_CONTEXT);
    for (const msg of [new Uint8Array(0), ...randomInputs(30), new Uint8Array(300).fill(0xab)]) {
      expect(toHex(sodiumHashToScalar(lib, msg))).toBe(toHex(serializeScalar(ristretto255_hasher.hashToScalar(msg, { DST: dst }))));
    }
  });
});

describe('speed (printed, not asserted)', () => {
  it('batches of 16 per second, portable vs sodium', async () => {
    const batch = randomInputs(16).map((x) => blind(x).blindedElement);
    const ev = await createSodiumEvaluator(keys.secretKey, keys.publicKey);
    // Per CPU-second as well as per wall-second: on a shared box the wall rate mostly measures the neighbours.
    const rate = async (run: () => unknown, minMs: number) => {
      await run();
      let n = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      while (performance.now() - t0 < minMs) {
        await run();
        n++;
      }
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      return { wall: (n * 1000) / wallMs, cpu: (n * 1e6) / (cpu.user + cpu.system) };
    };
    const portable = await rate(() => blindEvaluateBatch(keys.secretKey, keys.publicKey, batch), 1500);
    const fast = await rate(() => ev.blindEvaluateBatch(batch), 1500);
    console.log(
      'blind evaluation, 16-element batch with one DLEQ proof, batches/s ' +
        `per CPU-second: portable ${portable.cpu.toFixed(1)}, sodium ${fast.cpu.toFixed(1)} (x${(fast.cpu / portable.cpu).toFixed(1)}); ` +
        `per wall-second: portable ${portable.wall.toFixed(1)}, sodium ${fast.wall.toFixed(1)}`,
    );
    expect(fast.cpu).toBeGreaterThan(0);
  });
});
