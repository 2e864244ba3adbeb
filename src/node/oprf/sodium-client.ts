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
import { defaultRandomBytes, randomScalar, type RandomBytes } from '../../core/oprf/random.js';
import { deserializeScalar, requireProof, serializeScalar } from '../../core/oprf/serialization.js';
import { CHALLENGE, COMPOSITE, IDENTITY, isZero, lengthPrefixed, multiplyElement, requireSodiumElement, SEED_DST, sodiumHashToScalar, compositeElement } from './sodium-evaluate.js';
import { loadSodium, type Sodium } from './sodium-token.js';

function add(lib: Sodium, a: Uint8Array, b: Uint8Array): Uint8Array {
  return isZero(a) ? b : isZero(b) ? a : lib.crypto_core_ristretto255_add(a, b);
}

/** An OprfClient on libsodium. `rng` supplies the blinds (tests pass a fixed one). */
export async function createSodiumOprfClient(rng: RandomBytes = defaultRandomBytes): Promise<OprfClient> {
  const lib = await loadSodium();
  return {
    blind(input: Uint8Array) {
      const x = requireInput(input, 'input');
      const point = lib.crypto_core_ristretto255_from_hash(nodeHashToGroupUniformBytes(x));
      if (isZero(point)) throw oprfError('oprf_invalid_input', 'input', 'maps to the identity element');
      const blind = serializeScalar(randomScalar(rng));
      return { blind, blindedElement: multiplyElement(lib, blind, point) };
    },

    finalizeBatch(inputs, blinds, evaluatedElements, blindedElements, publicKey, proof) {
      requireFinalizeBatches(inputs, { blinds, evaluatedElements, blindedElements });
      return finalizeVerified(lib, inputs, blinds, evaluatedElements, blindedElements, publicKey, proof);
    },

    // A uniformly random element: distributed as r * HashToGroup(x) for a
    // uniform r, so a peer cannot tell it from a blinded key, and with
    // nothing to unblind or finalize (the proof still covers it).
    dummyElement: () => lib.crypto_core_ristretto255_random(),

    finalizePrefix(inputs, blinds, evaluatedElements, blindedElements, publicKey, proof) {
      requirePaddedBatches(inputs, blinds, evaluatedElements, blindedElements);
      return finalizeVerified(lib, inputs, blinds, evaluatedElements, blindedElements, publicKey, proof);
    },
  };
}

/**
 * VerifyProof over every evaluated element, then unblind and finalize the
 * first `inputs.length` of them (all of them for an RFC-shaped batch; the
 * real keys of a padded request, whose dummies have nothing to finalize).
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
  // Attacker-controlled: the peer's answer.
  const evaluated = evaluatedElements.map((e, i) => requireSodiumElement(lib, e, { batch: 'evaluatedElements', index: i }));
  const blinded = blindedElements.map((e, i) => requireSodiumElement(lib, e, { batch: 'blindedElements', index: i }));
  const pk = requireSodiumElement(lib, publicKey, 'publicKey');
  const p = requireProof(proof, 'proof');
  // requireProof checked c and s are canonical scalars.
  const c = p.subarray(0, 32);
  const s = p.subarray(32, 64);

  // ComputeComposites (§2.2.2): the client does not know k, so Z is a sum too.
  const seed = sha512(concatBytes(...lengthPrefixed(pk, SEED_DST)));
  const seedPrefix = concatBytes(...lengthPrefixed(seed));
  const weights = blinded.map((ci, i) => sodiumHashToScalar(lib, concatBytes(seedPrefix, i2osp(i, 2), ...lengthPrefixed(ci, evaluated[i]!), COMPOSITE)));
  const m = compositeElement(lib, blinded, weights);
  const z = compositeElement(lib, evaluated, weights);
  // VerifyProof: t2 = s*G + c*pkS, t3 = s*M + c*Z; c must be the challenge over them.
  const t2 = add(lib, isZero(s) ? IDENTITY.slice() : lib.crypto_scalarmult_ristretto255_base(s), multiplyElement(lib, c, pk));
  const t3 = add(lib, multiplyElement(lib, s, m), multiplyElement(lib, c, z));
  const expected = sodiumHashToScalar(lib, concatBytes(...lengthPrefixed(pk, m, z, t2, t3), CHALLENGE));
  if (!equalBytes(expected, c)) throw oprfError('oprf_proof_invalid', 'proof', 'does not verify against the public key');

  return inputs.map((input, i) => {
    const x = requireInput(input, { batch: 'inputs', index: i });
    deserializeScalar(blinds[i], { batch: 'blinds', index: i }, { nonzero: true });
    const rInv = lib.crypto_core_ristretto255_scalar_invert(blinds[i]!);
    return nodeFinalizeHash(x, multiplyElement(lib, rInv, evaluated[i]!));
  });
}

