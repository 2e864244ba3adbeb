/**
 * Server side of the RFC 9497 VOPRF (mode 0x01) for ristretto255-SHA512.
 *
 * - `evaluateToken`: the server's own full evaluation, Evaluate(skS, input).
 *   It equals what a client obtains for the same input through
 *   blind -> blindEvaluateBatch -> finalizeBatch. This is how a node
 *   tokenises its own records.
 * - `blindEvaluateBatch`: answers a peer's blinded elements, multiplying each
 *   by skS, and proves with ONE batched DLEQ proof that every result used the
 *   key behind pkS.
 *
 * The server learns nothing from blinded elements; the client learns only
 * PRF outputs. A server must still rate-limit and audit blind evaluations:
 * each answer is a PRF query on the peer's behalf.
 */
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { equalBytes } from '../bytes.js';
import { oprfError, requireBatch, requireInput } from './checks.js';
import { finalizeHash } from './finalize.js';
import { hashToGroup } from './hash-to-group.js';
import { defaultRandomBytes, nobleRng, type RandomBytes } from './random.js';
import { deserializeElement, deserializeScalar, requireElement } from './serialization.js';

/** Evaluated elements for a batch, in request order, with one batch DLEQ proof. */
export interface BlindEvaluation {
  readonly evaluatedElements: Uint8Array[];
  readonly proof: Uint8Array;
}

/**
 * Evaluate(skS, input): the 64-byte token of `input` under the secret key.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2 (Evaluate of §3.3.1 with the VOPRF context)
 */
export function evaluateToken(secretKey: Uint8Array, input: Uint8Array): Uint8Array {
  const sk = deserializeScalar(secretKey, 'secretKey', { nonzero: true });
  const x = requireInput(input, 'input');
  const inputElement = hashToGroup(x);
  // RFC 9497 §3.3.1: Evaluate fails with InvalidInputError if the input maps to the identity.
  if (inputElement.is0()) throw oprfError('oprf_invalid_input', 'input', 'maps to the identity element');
  return finalizeHash(x, inputElement.multiply(sk).toBytes());
}

/**
 * BlindEvaluateBatch: evaluate a peer's blinded elements with one batch DLEQ
 * proof (ComputeCompositesFast + GenerateProof). `publicKey` must belong to
 * `secretKey`; the proof is over (G, pkS) and the (blinded, evaluated) pairs.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.3.2
 * https://www.rfc-editor.org/rfc/rfc9497#section-2.2.1
 */
export function blindEvaluateBatch(
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  blindedElements: readonly Uint8Array[],
  rng: RandomBytes = defaultRandomBytes,
): BlindEvaluation {
  const sk = deserializeScalar(secretKey, 'secretKey', { nonzero: true });
  deserializeElement(publicKey, 'publicKey');
  // A mismatched pair would yield proofs that never verify: fail loudly instead.
  if (!equalBytes(ristretto255.Point.BASE.multiply(sk).toBytes(), publicKey)) {
    throw oprfError('oprf_invalid_input', 'publicKey', 'does not match the secret key');
  }
  const blinded = requireBatch(blindedElements, 'blindedElements');
  // Attacker-controlled: every element is checked before any work is done.
  blinded.forEach((b, i) => requireElement(b, { batch: 'blindedElements', index: i }));
  const { evaluated, proof } = ristretto255_oprf.voprf.blindEvaluateBatch(
    secretKey,
    publicKey,
    blinded as Uint8Array[],
    nobleRng(rng),
  );
  return { evaluatedElements: evaluated, proof };
}
