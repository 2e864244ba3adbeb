/**
 * Randomness for the OPRF: a byte source passed in as a parameter, so test
 * vectors run deterministically, and the RandomScalar of RFC 9497 §2.1.
 *
 * Contract of a RandomBytes source: `rng(n)` returns n fresh uniformly random
 * bytes. A random scalar is drawn as
 *   scalar = (LE(rng(48)) mod (L - 1)) + 1
 * where L is the ristretto255 group order. That gives a nonzero scalar with a
 * bias below 2^-128. It is the same rule noble-curves uses for blinds and
 * proof nonces, which is what lets tests feed RFC 9497 vector scalars through
 * the rng. Never pass a fixed rng outside tests: a repeated blind links
 * queries, a repeated proof nonce reveals the secret key.
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { OPRF } from '../constants.js';
import { oprfError } from './checks.js';

/** A source of uniformly random bytes (Web Crypto by default). */
export type RandomBytes = (byteLength: number) => Uint8Array;

/** crypto.getRandomValues, through noble-hashes (Web standard: Node and Workers). */
export const defaultRandomBytes: RandomBytes = (n) => randomBytes(n);

const ORDER = ristretto255.Point.Fn.ORDER;

/**
 * RandomScalar: a uniformly random nonzero scalar, as a bigint.
 * https://www.rfc-editor.org/rfc/rfc9497#section-2.1
 */
export function randomScalar(rng: RandomBytes = defaultRandomBytes): bigint {
  if (typeof rng !== 'function') throw oprfError('oprf_invalid_input', 'rng', 'expected a function');
  const bytes = rng(OPRF.randomScalarBytes);
  if (!(bytes instanceof Uint8Array) || bytes.length !== OPRF.randomScalarBytes) {
    throw oprfError('oprf_invalid_input', 'rng', `expected ${OPRF.randomScalarBytes} random bytes`);
  }
  return (bytesToNumberLE(bytes) % (ORDER - 1n)) + 1n;
}

/** Adapt a RandomBytes source to noble's rng signature, checking what it returns. */
export function nobleRng(rng: RandomBytes): (byteLength?: number) => Uint8Array {
  if (typeof rng !== 'function') throw oprfError('oprf_invalid_input', 'rng', 'expected a function');
  return (n = OPRF.randomScalarBytes) => {
    const bytes = rng(n);
    if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
      throw oprfError('oprf_invalid_input', 'rng', `expected ${n} random bytes`);
    }
    return bytes;
  };
}
