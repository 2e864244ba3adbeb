/**
 * Ed25519 (RFC 8032) signing keys of a node. A key is identified by its key
 * id: lowercase hex of SHA-256 over the 32-byte public key. Operators compare
 * fingerprints: the same digest, grouped for reading aloud.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from './bytes.js';
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
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new CairnError('key_invalid', 'Ed25519 signing key must be 32 bytes');
  }
  const publicKey = ed25519.getPublicKey(seed);
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (message) => ed25519.sign(message, seed),
  };
}

/** Checks an Ed25519 signature; false on any malformed input. */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/** Verify an Ed25519 signature (RFC 8032 §5.1.7); false on any malformed input. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
}
