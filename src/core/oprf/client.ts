/**
 * Client side of the RFC 9497 VOPRF (mode 0x01) for ristretto255-SHA512: a
 * node querying a peer blinds each input, sends the blinded elements, and
 * finalizes the peer's answer into the same tokens the peer computes for its
 * own records, without the peer learning the inputs.
 *
 * Misuse to avoid: keep each blind secret and use it once; a fresh random
 * blind per input per query (the default rng). Always finalize against the
 * peer's published public key: the DLEQ proof is what stops a peer from
 * answering under a different key per query (a tagging attack).
 */
import { ristretto255_oprf } from '@noble/curves/ed25519.js';
import { isCairnError } from '../errors.js';
import { oprfError, requireFinalizeBatches, requireInput } from './checks.js';
import { defaultRandomBytes, nobleRng, type RandomBytes } from './random.js';
import { deserializeScalar, requireElement, requireProof } from './serialization.js';

/** A blinded input: keep `blind` secret, send `blindedElement`. */
export interface BlindedInput {
  readonly blind: Uint8Array;
  readonly blindedElement: Uint8Array;
}

/**
 * Blind(input): a fresh blind r and blindedElement = r * HashToGroup(input).
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.1
 */
export function blind(input: Uint8Array, rng: RandomBytes = defaultRandomBytes): BlindedInput {
  const x = requireInput(input, 'input');
  const source = nobleRng(rng);
  let out: { blind: Uint8Array; blinded: Uint8Array };
  try {
    out = ristretto255_oprf.voprf.blind(x, source);
  } catch (cause) {
    // Only an input hashing to the identity gets here (RFC 9497 §3.3.1 InvalidInputError).
    if (isCairnError(cause)) throw cause;
    throw oprfError('oprf_invalid_input', 'input', 'cannot be blinded', cause);
  }
  return { blind: out.blind, blindedElement: out.blinded };
}

/**
 * Finalize a batch: verify the batch DLEQ proof against the server's public
 * key first (fails with `oprf_proof_invalid`), then unblind and hash each
 * evaluated element into its 64-byte output. All arrays are in request order.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2
 * https://www.rfc-editor.org/rfc/rfc9497#section-2.2.2
 */
export function finalizeBatch(
  inputs: readonly Uint8Array[],
  blinds: readonly Uint8Array[],
  evaluatedElements: readonly Uint8Array[],
  blindedElements: readonly Uint8Array[],
  publicKey: Uint8Array,
  proof: Uint8Array,
): Uint8Array[] {
  requireFinalizeBatches(inputs, { blinds, evaluatedElements, blindedElements });
  const items = inputs.map((input, i) => {
    deserializeScalar(blinds[i], { batch: 'blinds', index: i }, { nonzero: true });
    return {
      input: requireInput(input, { batch: 'inputs', index: i }),
      blind: blinds[i]!,
      // Attacker-controlled: the peer's answer.
      evaluated: requireElement(evaluatedElements[i], { batch: 'evaluatedElements', index: i }),
      blinded: requireElement(blindedElements[i], { batch: 'blindedElements', index: i }),
    };
  });
  requireElement(publicKey, 'publicKey');
  requireProof(proof, 'proof');
  try {
    return ristretto255_oprf.voprf.finalizeBatch(items, publicKey, proof);
  } catch (cause) {
    // Everything else was checked above; what remains is a proof that does not verify.
    throw oprfError('oprf_proof_invalid', 'proof', 'does not verify for these elements and public key', cause);
  }
}
