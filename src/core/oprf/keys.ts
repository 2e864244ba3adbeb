/**
 * A node's OPRF key pair: the secret scalar skS that keys all of its tokens
 * and the public element pkS = skS * G that peers use to verify the DLEQ
 * proofs of its blind evaluations.
 *
 * The secret key is the most sensitive value a node has: anyone holding it
 * can compute tokens for any identifier offline. It is never logged and
 * never put into an error. Use `deriveOprfKeyPair` only with a seed that is
 * itself a 32-byte secret (or the published TEST seed in tests).
 */
import { ristretto255, ristretto255_oprf } from '@noble/curves/ed25519.js';
import { OPRF } from '../constants.js';
import { oprfError, requireBytes, requireInput } from './checks.js';
import { defaultRandomBytes, randomScalar, type RandomBytes } from './random.js';
import { deserializeScalar, serializeScalar } from './serialization.js';

/** Serialized OPRF key pair: 32-byte scalar and 32-byte element. */
export interface OprfKeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

const { Point } = ristretto255;

/**
 * Check a serialized secret key: 32 bytes, canonical, nonzero. Returns it.
 * https://www.rfc-editor.org/rfc/rfc9497#section-4.1
 */
export function validateOprfSecretKey(secretKey: unknown, field = 'secretKey'): Uint8Array {
  deserializeScalar(secretKey, field, { nonzero: true });
  return secretKey as Uint8Array;
}

/** The public key pkS = skS * G of a secret key. */
export function oprfPublicKey(secretKey: Uint8Array): Uint8Array {
  const sk = deserializeScalar(secretKey, 'secretKey', { nonzero: true });
  return Point.BASE.multiply(sk).toBytes();
}

/**
 * GenerateKeyPair: a fresh random key pair.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.2
 */
export function generateOprfKeyPair(rng: RandomBytes = defaultRandomBytes): OprfKeyPair {
  const sk = randomScalar(rng);
  return { secretKey: serializeScalar(sk), publicKey: Point.BASE.multiply(sk).toBytes() };
}

/**
 * DeriveKeyPair(seed, info) in the VOPRF mode: a deterministic key pair from
 * a 32-byte secret seed and a public info string (at most 2^16 - 1 bytes).
 * Fails with `oprf_derive_key_failed` in the (probability ~2^-2000) case that
 * all 256 counters give a zero scalar.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.2.1
 */
export function deriveOprfKeyPair(seed: Uint8Array, info: Uint8Array): OprfKeyPair {
  requireBytes(seed, 'seed', OPRF.scalarSize);
  requireInput(info, 'info');
  try {
    const { secretKey, publicKey } = ristretto255_oprf.voprf.deriveKeyPair(seed, info);
    return { secretKey, publicKey };
  } catch (cause) {
    throw oprfError('oprf_derive_key_failed', 'seed', 'no valid key derived', cause);
  }
}
