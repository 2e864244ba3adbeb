/**
 * Ed25519 (RFC 8032) on node:crypto (OpenSSL) for the Node entry: signing
 * and verifying every federation request and response is on the hot path
 * of a search, and OpenSSL is about ten times faster than noble there. The
 * core keeps noble (Workers use it); both produce identical signatures, as
 * Ed25519 signing is deterministic, and test/ed25519-node.test.ts checks
 * that they agree.
 *
 * Verification follows Cairn's one rule (src/core/signing.ts): OpenSSL
 * checks canonical S and the cofactorless equation itself; the byte checks
 * it leaves out (canonical A and R, neither of small order) run first, so
 * this path and the core's give the same verdict on every input.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ed25519EncodingsStrict, keyIdOf, type Ed25519Verify, type Signer } from '../core/signing.js';
import { ED25519 } from '../core/constants.js';
import { CairnError } from '../core/errors.js';
import { toHex } from '../core/bytes.js';

// PKCS #8 and SPKI wrappers of a raw Ed25519 key (RFC 8410).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A Signer over a 32-byte Ed25519 seed, signing with OpenSSL. */
export function nodeEd25519Signer(seed: Uint8Array): Signer {
  if (!(seed instanceof Uint8Array) || seed.length !== ED25519.seedSize) {
    throw new CairnError('key_invalid', 'Ed25519 signing key must be 32 bytes');
  }
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  return {
    keyId: keyIdOf(publicKey),
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

const PUBLIC_KEY_CACHE_LIMIT = 1024;
const publicKeys = new Map<string, KeyObject | null>();

function publicKeyObject(publicKey: Uint8Array): KeyObject | null {
  const hex = toHex(publicKey);
  let k = publicKeys.get(hex);
  if (k === undefined) {
    try {
      k = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    } catch {
      k = null; // not a point encoding OpenSSL accepts: every signature fails
    }
    if (publicKeys.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeys.clear();
    publicKeys.set(hex, k);
  }
  return k;
}

/** Verify an Ed25519 signature under Cairn's rule, with OpenSSL; false on any malformed input. */
export const nodeEd25519Verify: Ed25519Verify = (publicKey, message, signature) => {
  if (!ed25519EncodingsStrict(publicKey, signature)) return false;
  const key = publicKeyObject(publicKey);
  if (key === null) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
};
