/**
 * The searching side of RFC 9497 VOPRF on libsodium: Blind, and Finalize with
 * the batch VerifyProof, byte-compatible with the portable noble path
 * (src/core/oprf/client.ts) and about six times faster per CPU-second. A
 * searching node blinds every match key for every peer and verifies every
 * answer, so on Node this is most of a search's CPU.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2
 * https://www.rfc-editor.org/rfc/rfc9497#section-2.2.2
 */
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, i2osp } from '../../core/bytes.js';
import type { OprfClient } from '../../core/federation/client.js';
import { oprfError, requireFinalizeBatches, requireInput, requirePaddedBatches } from '../../core/oprf/checks.js';
import { nodeFinalizeHash, nodeHashToGroupUniformBytes } from './node-hash.js';
import { randomScalar, type RandomBytes } from '../../core/oprf/random.js';
import { nodeRandomBytes } from '../random.js';
import { deserializeScalar, requireProof, serializeScalar } from '../../core/oprf/serialization.js';
import { CHALLENGE, COMPOSITE, IDENTITY, isZero, lengthPrefixed, multiplyElement, requireSodiumElement, SEED_DST, sodiumHashToScalar, compositeElement } from './sodium-evaluate.js';
import { loadSodium, type Sodium } from './sodium.js';

function add(lib: Sodium, a: Uint8Array, b: Uint8Array): Uint8Array {
  return isZero(a) ? b : isZero(b) ? a : lib.crypto_core_ristretto255_add(a, b);
}

/** An OprfClient on libsodium. `rng` supplies the blinds (tests pass a fixed one). */
export async function createSodiumOprfClient(rng: RandomBytes = nodeRandomBytes): Promise<OprfClient> {
  const lib = await loadSodium();
  const hashToGroup = (input: Uint8Array): Uint8Array => {
    const x = requireInput(input, 'input');
    const point = lib.crypto_core_ristretto255_from_hash(nodeHashToGroupUniformBytes(x));
    if (isZero(point)) throw oprfError('oprf_invalid_input', 'input', 'maps to the identity element');
    return point;
  };
  // `element` is HashToGroup's output (hashToGroup above): not checked again.
  const blindElement = (element: Uint8Array) => {
    const blind = serializeScalar(randomScalar(rng));
    return { blind, blindedElement: multiplyElement(lib, blind, element) };
  };
  return {
    blind(input: Uint8Array) {
      return blindElement(hashToGroup(input));
    },

    hashToGroup,
    blindElement,

    finalizeBatch(inputs, blinds, evaluatedElements, blindedElements, publicKey, proof) {
      requireFinalizeBatches(inputs, { blinds, evaluatedElements, blindedElements });
      return finalizeVerified(lib, inputs, blinds, evaluatedElements, blindedElements, publicKey, proof);
    },

    // r * G for a fresh uniformly random nonzero r: a uniformly random
    // element, distributed as r * HashToGroup(x) is, so a peer cannot tell it
    // from a blinded key. Keeping r lets the proof check fold every dummy
    // into one product (finalizeVerified). libsodium's own
    // crypto_core_ristretto255_random is avoided: its WASM build draws its
    // randomness four bytes per JavaScript call, 64 calls per element.
    dummy() {
      const blind = serializeScalar(randomScalar(rng));
      return { blind, blindedElement: lib.crypto_scalarmult_ristretto255_base(blind) };
    },

    finalizePrefix(inputs, blinds, evaluatedElements, blindedElements, publicKey, proof) {
      requirePaddedBatches(inputs, blinds, evaluatedElements, blindedElements);
      return finalizeVerified(lib, inputs, blinds, evaluatedElements, blindedElements, publicKey, proof);
    },
  };
}

/**
 * VerifyProof over every evaluated element, then unblind and finalize the
 * first `inputs.length` of them (all of them for an RFC-shaped batch; the
 * real keys of a padded request).
 *
 * The elements from `real` = inputs.length on are dummies r_i * G whose r_i are their
 * blinds. Their terms of the composites fold into one product each:
 *   M = sum(d_i * C_i, i < real) + (sum(d_i * r_i, i >= real)) * G
 *   Z = sum(d_i * D_i, i < real) + (sum(d_i * r_i, i >= real)) * pkS
 * The first is exactly RFC 9497's M, since C_i = r_i * G. The second is the
 * Z of an honest answer (D_i = k * r_i * G = r_i * pkS), so an honest proof
 * verifies; and whatever a peer returns for a dummy, a proof that verifies
 * still shows Z = k * M, i.e. sum(d_i * (D_i - k * C_i), i < real) = 0, so
 * every real evaluation is k * C_i (the weights d_i hash the whole answer).
 * Dummies' outputs are never used, so a dummy answered wrongly costs the
 * searcher nothing. This saves two scalar multiplications per dummy.
 */
function finalizeVerified(
  lib: Sodium,
  inputs: readonly Uint8Array[],
  blinds: readonly Uint8Array[],
  evaluatedElements: readonly Uint8Array[],
  blindedElements: readonly Uint8Array[],
  publicKey: Uint8Array,
  proof: Uint8Array,
): Uint8Array[] {
  const real = inputs.length;
  // Attacker-controlled: the peer's answer.
  const evaluated = evaluatedElements.map((e, i) => requireSodiumElement(lib, e, { batch: 'evaluatedElements', index: i }));
  const blinded = blindedElements.map((e, i) => requireSodiumElement(lib, e, { batch: 'blindedElements', index: i }));
  const pk = requireSodiumElement(lib, publicKey, 'publicKey');
  const p = requireProof(proof, 'proof');
  // requireProof checked c and s are canonical scalars.
  const c = p.subarray(0, 32);
  const s = p.subarray(32, 64);
  const dummyBlinds = blinds.slice(real).map((b, j) => {
    deserializeScalar(b, { batch: 'blinds', index: real + j }, { nonzero: true });
    return b;
  });

  // ComputeComposites (§2.2.2): the client does not know k, so Z is a sum too.
  const seed = sha512(concatBytes(...lengthPrefixed(pk, SEED_DST)));
  const seedPrefix = concatBytes(...lengthPrefixed(seed));
  const weights = blinded.map((ci, i) => sodiumHashToScalar(lib, concatBytes(seedPrefix, i2osp(i, 2), ...lengthPrefixed(ci, evaluated[i]!), COMPOSITE)));
  let folded: Uint8Array = new Uint8Array(32);
  dummyBlinds.forEach((r, j) => {
    folded = lib.crypto_core_ristretto255_scalar_add(folded, lib.crypto_core_ristretto255_scalar_mul(weights[real + j]!, r));
  });
  const m = add(lib, compositeElement(lib, blinded.slice(0, real), weights.slice(0, real)), isZero(folded) ? IDENTITY.slice() : lib.crypto_scalarmult_ristretto255_base(folded));
  const z = add(lib, compositeElement(lib, evaluated.slice(0, real), weights.slice(0, real)), multiplyElement(lib, folded, pk));
  // VerifyProof: t2 = s*G + c*pkS, t3 = s*M + c*Z; c must be the challenge over them.
  const t2 = add(lib, isZero(s) ? IDENTITY.slice() : lib.crypto_scalarmult_ristretto255_base(s), multiplyElement(lib, c, pk));
  const t3 = add(lib, multiplyElement(lib, s, m), multiplyElement(lib, c, z));
  const expected = sodiumHashToScalar(lib, concatBytes(...lengthPrefixed(pk, m, z, t2, t3), CHALLENGE));
  if (!equalBytes(expected, c)) throw oprfError('oprf_proof_invalid', 'proof', 'does not verify against the public key');

  const xs = inputs.map((input, i) => {
    const x = requireInput(input, { batch: 'inputs', index: i });
    deserializeScalar(blinds[i], { batch: 'blinds', index: i }, { nonzero: true });
    return x;
  });
  const inverses = invertAll(lib, blinds.slice(0, real));
  return xs.map((x, i) => nodeFinalizeHash(x, multiplyElement(lib, inverses[i]!, evaluated[i]!)));
}

/**
 * The inverses of nonzero scalars mod L with one inversion (Montgomery's
 * trick): prefix products forward, then one inverse walked back. An
 * inversion costs about thirty scalar multiplications, and a padded answer
 * unblinds up to 64 elements.
 */
export function invertAll(lib: Sodium, scalars: readonly Uint8Array[]): Uint8Array[] {
  if (scalars.length === 0) return [];
  const prefix: Uint8Array[] = [scalars[0]!];
  for (let i = 1; i < scalars.length; i++) prefix.push(lib.crypto_core_ristretto255_scalar_mul(prefix[i - 1]!, scalars[i]!));
  let inverse = lib.crypto_core_ristretto255_scalar_invert(prefix[scalars.length - 1]!);
  const out = new Array<Uint8Array>(scalars.length);
  for (let i = scalars.length - 1; i > 0; i--) {
    out[i] = lib.crypto_core_ristretto255_scalar_mul(inverse, prefix[i - 1]!);
    inverse = lib.crypto_core_ristretto255_scalar_mul(inverse, scalars[i]!);
  }
  out[0] = inverse;
  return out;
}
