/**
 * Public bucket of a match key (protocol/10-identifiers.md, "Buckets"): a
 * querying node names the bucket in the clear so the answering node only
 * compares tokens inside it. The bucket is the first `bits` bits of
 * SHA-256(MATCH_KEYS.bucketLabel || encodedKey), read big-endian.
 *
 * Misuse: the bucket is an unkeyed hash of a low-entropy key, so it leaks
 * `bits` bits about the key to anyone who can guess candidate identifiers.
 * Keep `bits` small enough that every bucket holds many keys.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../bytes.js';
import { CairnError } from '../errors.js';
import { MATCH_KEYS } from '../constants.js';

const LABEL = utf8(MATCH_KEYS.bucketLabel);

/** The first `bits` (1..24) bits of SHA-256(label || encoded), as an integer. */
export function bucketOf(encoded: Uint8Array, bits: number): number {
  const { min, max } = MATCH_KEYS.bucketBits;
  if (!Number.isInteger(bits) || bits < min || bits > max) {
    throw new CairnError('invalid_request', `bucket bits must be an integer in ${min}..${max}`, {
      location: { field: 'bits' },
    });
  }
  const h = sha256(concatBytes(LABEL, encoded));
  const first32 = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
  return Math.floor(first32 / 2 ** (32 - bits));
}
