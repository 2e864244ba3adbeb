/**
 * The Node fast path for answering peers: BlindEvaluateBatch of RFC 9497
 * (VOPRF mode, ristretto255-SHA512) with ONE batch DLEQ proof, the group and
 * scalar arithmetic done by libsodium (WASM) instead of noble's BigInt
 * arithmetic. It must agree byte for byte with the portable
 * `blindEvaluateBatch` given the same rng; tests hold it to that.
 *
 *   each blinded element Ci (attacker-controlled):
 *     crypto_core_ristretto255_is_valid_point(Ci), and Ci != identity
 *     Di   = k * Ci                                      §3.3.2 BlindEvaluate
 *   proof (§2.2.1 ComputeCompositesFast + GenerateProof), Bm = pkS:
 *     seed = SHA-512(len||Bm||len||"Seed-"||ctx)            once per key
 *     di   = HashToScalar(len||seed||I2OSP(i,2)||len||Ci||len||Di||"Composite")
 *     M    = sum of di * Ci    (one mult and one add per element: libsodium
 *                               has no multi-scalar multiplication)
 *     Z    = k * M             (the server knows k)
 *     r    = RandomScalar(rng); t2 = r * G; t3 = r * M
 *     c    = HashToScalar(len||Bm||len||M||len||Z||len||t2||len||t3||"Challenge")
 *     s    = r - c * k;  proof = c || s
 *   HashToScalar(x) = expand_message_xmd(SHA-512, x, "HashToScalar-"||ctx, 64)
 *     read little-endian, mod L (node:crypto SHA-512, node-hash.ts; crypto_core_ristretto255_scalar_reduce)
 *
 * "len" is I2OSP(length, 2). libsodium's crypto_scalarmult_ristretto255
 * refuses to return the identity, while the RFC's composites may be the
 * identity (M when the weighted sum cancels, and then Z and t3): products
 * with a zero scalar or the identity are taken as the identity here, before
 * libsodium sees them, as noble does.
 *
 * Node only (WASM): Workers use the portable path.
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, i2osp, utf8 } from '../../core/bytes.js';
import { OPRF } from '../../core/constants.js';
import type { OprfEvaluator } from '../../core/federation/answer.js';
import { oprfError, requireBatch, requireBytes, type OprfField } from '../../core/oprf/checks.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { randomScalar, type RandomBytes } from '../../core/oprf/random.js';
import { nodeRandomBytes } from '../random.js';
import { serializeScalar } from '../../core/oprf/serialization.js';
import type { BlindEvaluation } from '../../core/oprf/server.js';
import { VOPRF_CONTEXT } from '../../core/oprf/suite.js';
import { nodeHashToScalarUniformBytes } from './node-hash.js';
import { loadSodium, type Sodium } from './sodium.js';

/** The identity element's canonical encoding (RFC 9496 §4.3.2: s = 0). */
export const IDENTITY = new Uint8Array(OPRF.elementSize);

export const SEED_DST = concatBytes(utf8(OPRF.labels.seed), VOPRF_CONTEXT);
export const COMPOSITE = utf8(OPRF.labels.composite);
export const CHALLENGE = utf8(OPRF.labels.challenge);

/** Composite indices are I2OSP(i, 2): a batch holds at most 2^16 elements. */
const MAX_BATCH = 0x10000;

export const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);

/** I2OSP(len(x), 2) || x for each part: the RFC's length-prefixed transcript fields. */
export function lengthPrefixed(...parts: Uint8Array[]): Uint8Array[] {
  return parts.flatMap((p) => [i2osp(p.length, 2), p]);
}

/**
 * HashToScalar(msg) in the VOPRF context: 64 uniform bytes, reduced mod L.
 * https://www.rfc-editor.org/rfc/rfc9497#section-4.1
 */
export function sodiumHashToScalar(lib: Sodium, msg: Uint8Array): Uint8Array {
  return lib.crypto_core_ristretto255_scalar_reduce(nodeHashToScalarUniformBytes(msg));
}

/**
 * scalar * element for a canonical scalar and a valid element, either of which
 * may be zero / the identity; the identity's encoding is then returned, where
 * libsodium would refuse.
 */
export function multiplyElement(lib: Sodium, scalar: Uint8Array, element: Uint8Array): Uint8Array {
  if (isZero(scalar) || isZero(element)) return IDENTITY.slice();
  try {
    return lib.crypto_scalarmult_ristretto255(scalar, element);
  } catch (cause) {
    // In a prime-order group a nonzero scalar below L never maps a non-identity element to the identity.
    throw oprfError('internal', 'element', 'scalar multiplication failed', cause);
  }
}

/**
 * The composite element sum of weights[i] * elements[i] (the identity for
 * weights that cancel). https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1
 */
export function compositeElement(lib: Sodium, elements: readonly Uint8Array[], weights: readonly Uint8Array[]): Uint8Array {
  let sum: Uint8Array = IDENTITY;
  for (let i = 0; i < elements.length; i++) {
    const term = multiplyElement(lib, weights[i]!, elements[i]!);
    // Adding the identity costs a WASM decode/encode round for nothing.
    sum = isZero(sum) ? term : isZero(term) ? sum : lib.crypto_core_ristretto255_add(sum, term);
  }
  // Never hand out the shared constant.
  return sum === IDENTITY ? IDENTITY.slice() : sum;
}

/** Check a blinded element as DeserializeElement would; same codes and messages as the portable path. */
export function requireSodiumElement(lib: Sodium, value: unknown, field: OprfField): Uint8Array {
  const b = requireBytes(value, field, OPRF.elementSize, 'oprf_invalid_element');
  // is_valid_point decodes as RFC 9496 §4.3.1 (canonical, non-negative s, square) but accepts the identity.
  if (!lib.crypto_core_ristretto255_is_valid_point(b)) {
    throw oprfError('oprf_invalid_element', field, 'not a canonical ristretto255 encoding');
  }
  // The identity's only canonical encoding is all zeros; RFC 9497 §3.3 requires rejecting it.
  if (isZero(b)) throw oprfError('oprf_invalid_element', field, 'is the identity element');
  return b;
}

/** A validated key pair, with what the proofs of every batch share. */
interface EvaluatorKey {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  /** seed of ComputeCompositesFast: depends only on pkS and the context. */
  readonly seed: Uint8Array;
}

/**
 * BlindEvaluateBatch with libsodium, on the calling thread.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2
 * https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1
 */
function blindEvaluateBatchSodium(
  lib: Sodium,
  key: EvaluatorKey,
  blindedElements: readonly Uint8Array[],
  rng: RandomBytes,
): BlindEvaluation {
  const batch = requireBatch(blindedElements, 'blindedElements');
  if (batch.length > MAX_BATCH) {
    throw oprfError('oprf_invalid_input', 'blindedElements', `expected at most ${MAX_BATCH} items, got ${batch.length}`);
  }
  // Attacker-controlled: every element is checked before any work is done.
  const blinded = batch.map((b, i) => requireSodiumElement(lib, b, { batch: 'blindedElements', index: i }));
  const k = key.secretKey;
  const evaluated = blinded.map((c) => multiplyElement(lib, k, c));

  // ComputeCompositesFast (§2.2.1): the prefix seed is the same for every weight.
  const seedPrefix = concatBytes(...lengthPrefixed(key.seed));
  const weights = blinded.map((c, i) =>
    sodiumHashToScalar(lib, concatBytes(seedPrefix, i2osp(i, 2), ...lengthPrefixed(c, evaluated[i]!), COMPOSITE)),
  );
  const m = compositeElement(lib, blinded, weights);
  const z = multiplyElement(lib, k, m);

  // GenerateProof (§2.2.1); RandomScalar is never zero, so t2 is never the identity.
  const r = serializeScalar(randomScalar(rng));
  const t2 = lib.crypto_scalarmult_ristretto255_base(r);
  const t3 = multiplyElement(lib, r, m);
  const c = sodiumHashToScalar(lib, concatBytes(...lengthPrefixed(key.publicKey, m, z, t2, t3), CHALLENGE));
  const s = lib.crypto_core_ristretto255_scalar_sub(r, lib.crypto_core_ristretto255_scalar_mul(c, k));
  r.fill(0);
  return { evaluatedElements: evaluated, proof: concatBytes(c, s) };
}

/**
 * An OprfEvaluator on libsodium for the node's key pair: byte-identical to the
 * portable `blindEvaluateBatch` (same checks, codes and fields; same proof for
 * the same rng). The key pair is checked and copied once; `rng` supplies the
 * proof nonces (tests only pass a fixed one: a repeated nonce reveals the key).
 */
export async function createSodiumEvaluator(
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  rng: RandomBytes = nodeRandomBytes,
): Promise<OprfEvaluator & { close(): void }> {
  const lib = await loadSodium();
  const sk = validateOprfSecretKey(secretKey).slice();
  const pk = requireSodiumElement(lib, publicKey, 'publicKey').slice();
  // A mismatched pair would yield proofs that never verify: fail loudly instead.
  if (!equalBytes(lib.crypto_scalarmult_ristretto255_base(sk), pk)) {
    throw oprfError('oprf_invalid_input', 'publicKey', 'does not match the secret key');
  }
  if (typeof rng !== 'function') throw oprfError('oprf_invalid_input', 'rng', 'expected a function');
  const key: EvaluatorKey = {
    secretKey: sk,
    publicKey: pk,
    seed: sha512(concatBytes(...lengthPrefixed(pk, SEED_DST))),
  };
  return {
    blindEvaluateBatch: async (blindedElements) => blindEvaluateBatchSodium(lib, key, blindedElements, rng),
    /** Overwrite this evaluator's copy of the secret key; it evaluates nothing after. */
    close: () => sk.fill(0),
  };
}
