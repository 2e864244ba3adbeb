/**
 * HashToGroup for the VOPRF mode of ristretto255-SHA512 (RFC 9497 §4.1):
 * hash_to_ristretto255 of RFC 9380 Appendix B with
 * DST = "HashToGroup-" || contextString. It is two steps, kept apart so that
 * the Node fast path can do the second with libsodium and still agree byte
 * for byte (tests hold the two paths to the same output):
 *   1. uniform = expand_message_xmd(SHA-512, input, DST, 64)   (RFC 9380 §5.3.1)
 *   2. element = one-way map of the 64 uniform bytes           (RFC 9496 §4.3.4)
 *      (libsodium: crypto_core_ristretto255_from_hash)
 */
import { ristretto255_hasher } from '@noble/curves/ed25519.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { OPRF } from '../constants.js';
import type { RistrettoPoint } from './serialization.js';
import { VOPRF_HASH_TO_GROUP_DST } from './suite.js';

/**
 * Step 1 of HashToGroup: the 64 uniform bytes for `input` (caller has checked `input`).
 * https://www.rfc-editor.org/rfc/rfc9380#section-5.3.1
 */
export function hashToGroupUniformBytes(input: Uint8Array): Uint8Array {
  return expand_message_xmd(input, VOPRF_HASH_TO_GROUP_DST, OPRF.hashSize, sha512);
}

/**
 * HashToGroup(input) in the VOPRF context (caller has checked `input`).
 * https://www.rfc-editor.org/rfc/rfc9380#appendix-B
 */
export function hashToGroup(input: Uint8Array): RistrettoPoint {
  return ristretto255_hasher.hashToCurve(input, { DST: VOPRF_HASH_TO_GROUP_DST });
}
