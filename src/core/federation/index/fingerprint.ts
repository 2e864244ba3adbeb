/**
 * Index fingerprints (protocol/37-token-index.md "Fingerprints"): the short
 * value a node publishes for each of its tokens. It is derived from the whole
 * RFC 9497 token under its own label, so it is never equal to the
 * confirmation bytes (token bytes 16..23), which stay unlisted and prove at
 * confirmation that the asker evaluated the token itself.
 *
 *   fingerprint = SHA-256("cairn-index-fp-v1" || token)[0 .. 8]
 *   shard       = first 16 bits of the fingerprint, big-endian
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../../bytes.js';
import { INDEX } from '../../constants.js';

/** Bytes of an index fingerprint. */
export const INDEX_FINGERPRINT_BYTES = INDEX.fingerprintBytes;

const LABEL = utf8(INDEX.fingerprintLabel);

/** Index fingerprint of a token, its own domain separation; never equal to the confirmation bytes. */
export function indexFingerprint(token: Uint8Array): Uint8Array {
  return sha256(concatBytes(LABEL, token)).slice(0, INDEX_FINGERPRINT_BYTES);
}

/** The shard a fingerprint falls into: its first 16 bits. */
export function shardOf(fingerprint: Uint8Array): number {
  return (fingerprint[0]! << 8) | fingerprint[1]!;
}

/** Lexicographic (memcmp) order of two byte strings: SQLite's order of blobs. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The smallest fingerprint prefix of shard `s` (2 bytes), for range queries. */
export function shardPrefix(s: number): Uint8Array {
  return Uint8Array.of(s >> 8, s & 0xff);
}
