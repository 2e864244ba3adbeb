/**
 * The Node entry's Ed25519 on OpenSSL against the core's noble: the same
 * keys and signatures (Ed25519 signing is deterministic), each verifying the
 * other's, and the RFC 8032 §7.1 TEST 1 vector (data from the RFC).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import { ed25519Signer, ed25519Verify } from '../src/core/signing.js';
import { nodeEd25519Signer, nodeEd25519Verify } from '../src/node/ed25519.js';

// RFC 8032 §7.1, TEST 1 (empty message).
const RFC8032_TEST1 = {
  secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
};

describe('Ed25519 on node:crypto', () => {
  it('reproduces RFC 8032 TEST 1', () => {
    const s = nodeEd25519Signer(fromHex(RFC8032_TEST1.secret));
    expect(toHex(s.publicKey)).toBe(RFC8032_TEST1.public);
    expect(toHex(s.sign(new Uint8Array(0)))).toBe(RFC8032_TEST1.signature);
    expect(nodeEd25519Verify(s.publicKey, new Uint8Array(0), fromHex(RFC8032_TEST1.signature))).toBe(true);
  });

  it('gives the same keys and signatures as noble, and each verifies the other', () => {
    for (let i = 0; i < 50; i++) {
      const seed = new Uint8Array(randomBytes(32));
      const message = new Uint8Array(randomBytes(i * 7));
      const fast = nodeEd25519Signer(seed);
      const portable = ed25519Signer(seed);
      expect(toHex(fast.publicKey)).toBe(toHex(portable.publicKey));
      expect(fast.keyId).toBe(portable.keyId);
      const sig = fast.sign(message);
      expect(toHex(sig)).toBe(toHex(portable.sign(message)));
      expect(ed25519Verify(fast.publicKey, message, sig)).toBe(true);
      expect(nodeEd25519Verify(portable.publicKey, message, portable.sign(message))).toBe(true);
    }
  });

  it('refuses altered messages and signatures, wrong lengths and non-points', () => {
    const s = nodeEd25519Signer(new Uint8Array(randomBytes(32)));
    const message = new Uint8Array(randomBytes(40));
    const sig = s.sign(message);
    const flipped = (b: Uint8Array, i: number) => {
      const c = b.slice();
      c[i]! ^= 1;
      return c;
    };
    expect(nodeEd25519Verify(s.publicKey, flipped(message, 3), sig)).toBe(false);
    expect(nodeEd25519Verify(s.publicKey, message, flipped(sig, 10))).toBe(false);
    expect(nodeEd25519Verify(s.publicKey, message, flipped(sig, 50))).toBe(false);
    expect(nodeEd25519Verify(s.publicKey, message, sig.subarray(0, 63))).toBe(false);
    expect(nodeEd25519Verify(s.publicKey.subarray(0, 31), message, sig)).toBe(false);
    expect(nodeEd25519Verify(new Uint8Array(32).fill(0xff), message, sig)).toBe(false);
    expect(nodeEd25519Verify(nodeEd25519Signer(new Uint8Array(32).fill(1)).publicKey, message, sig)).toBe(false);
    expect(() => nodeEd25519Signer(new Uint8Array(31))).toThrow(/32 bytes/);
  });
});
