/**
 * Ed25519 (RFC 8032) signing keys of a node. A key is identified by its key
 * id: lowercase hex of SHA-256 over the 32-byte public key. Operators compare
 * fingerprints: the same digest, grouped for reading aloud.
 */
import type { EdwardsPoint } from '@noble/curves/abstract/edwards.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex } from './bytes.js';
import { ED25519 } from './constants.js';
import { CairnError } from './errors.js';

/** Something that signs with one Ed25519 key. */
export interface Signer {
  readonly keyId: string;
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Key id of an Ed25519 public key: hex(SHA-256(publicKey)). */
export function keyIdOf(publicKey: Uint8Array): string {
  return toHex(sha256(publicKey));
}

/** Human fingerprint of a public key: SHA-256 in groups of four hex digits. */
export function fingerprintOf(publicKey: Uint8Array): string {
  return (keyIdOf(publicKey).match(/.{4}/g) ?? []).join(':');
}

/** Build a Signer from a 32-byte Ed25519 seed (RFC 8032 §5.1.5 private key). */
export function ed25519Signer(seed: Uint8Array): Signer {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519.seedSize) {
    throw new CairnError('key_invalid', 'Ed25519 signing key must be 32 bytes');
  }
  const publicKey = ed25519.getPublicKey(seed);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (message) => ed25519.sign(message, seed),
  };
}

/** Checks an Ed25519 signature under Cairn's one rule; false on any malformed input. */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/*
 * Cairn's one Ed25519 verification rule (PROTOCOL.md, "Ed25519 verification"),
 * the same on every runtime and for every signed object (DSSE envelopes,
 * HTTP message signatures, checkpoints, cosignatures, receipts, descriptors):
 * RFC 8032 §5.1.7 with each of its open choices closed to the strict side.
 *
 *   1. S is canonical: 0 <= S < L.
 *   2. A and R are canonical encodings: y < p (RFC 8032 §5.1.3 step 1).
 *   3. Neither A nor R is of small order (a point of the 8-torsion). This
 *      also refuses x = 0 with the sign bit set, as x = 0 only for y = ±1.
 *   4. A and R decode (lie on the curve), and the cofactorless equation
 *      [S]B = R + [k]A holds exactly, with k = SHA-512(R || A || M) mod L
 *      (reduced before use). RFC 8032 allows this equation ("sufficient, but
 *      not required"); OpenSSL, libsodium and Go use it, and a mixed-order A
 *      or R can pass the cofactored one and fail this one.
 *
 * Rules 1-3 are byte comparisons (`ed25519EncodingsStrict`), so the Node
 * entry runs them before OpenSSL, whose verify checks 1 and 4 but accepts
 * small-order points and some non-canonical A; the two paths then give the
 * same verdict on every input (test/ed25519-vectors.test.ts runs the
 * "Taming the many EdDSAs" edge cases through both, and through workerd).
 */

// p = 2^255 - 19 and L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1).
const L = ed25519.Point.Fn.ORDER;

// y-coordinates (32 bytes, little-endian, sign bit clear) of the eight points
// of order dividing 8: y = 1 (identity), p - 1 (order 2), 0 (order 4) and
// the two of order 8. A point is of small order exactly when its y is one of
// these (x and -x share y and order). test/ed25519-vectors.test.ts derives
// the list from the curve and compares.
const SMALL_ORDER_Y = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
]);

/** The y-coordinate bytes of a point encoding (sign bit cleared). */
function yBytes(encoding: Uint8Array): Uint8Array {
  const y = encoding.slice(0, 32);
  y[31]! &= 0x7f;
  return y;
}

/** y < p for y as 32 little-endian bytes with the top bit clear. */
function yCanonical(y: Uint8Array): boolean {
  // y >= p = 0x7fff...ffed only if the top 31 bytes are at their maximum and the lowest is >= 0xed.
  if (y[31] !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (y[i] !== 0xff) return true;
  return y[0]! < 0xed;
}

/** Rules 1-3 of Cairn's Ed25519 rule: lengths, canonical S, canonical A and R of other than small order. */
export function ed25519EncodingsStrict(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519.publicKeySize || signature.length !== ED25519.signatureSize) return false;
  if (bytesToNumberLE(signature.subarray(32)) >= L) return false;
  for (const point of [publicKey, signature.subarray(0, 32)]) {
    const y = yBytes(point);
    if (!yCanonical(y) || SMALL_ORDER_Y.has(toHex(y))) return false;
  }
  return true;
}

/**
 * Verify an Ed25519 signature under Cairn's rule (RFC 8032 §5.1.7, strict,
 * cofactorless: see above); false on any malformed input.
 */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!ed25519EncodingsStrict(publicKey, signature)) return false;
  const r = signature.subarray(0, 32);
  let A: EdwardsPoint, R: EdwardsPoint;
  try {
    A = ed25519.Point.fromBytes(publicKey, false);
    R = ed25519.Point.fromBytes(r, false);
  } catch {
    return false; // not on the curve
  }
  const s = bytesToNumberLE(signature.subarray(32));
  const k = ed25519.Point.Fn.create(bytesToNumberLE(sha512(concatBytes(r, publicKey, message))));
  return ed25519.Point.BASE.multiplyUnsafe(s).equals(R.add(A.multiplyUnsafe(k)));
}
