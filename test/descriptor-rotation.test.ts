/**
 * The cross-signature rule of a signing-key rotation (protocol/32-key-rotation.md):
 * a peer that pinned key OLD accepts NEW only from a descriptor naming NEW
 * as current, listing OLD as retiring with an overlap not yet over, and
 * signed by both. Each way to get it wrong is refused. The worked example
 * of the protocol document is regenerated here from its fixed TEST keys.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64, toHex, utf8 } from '../src/core/bytes.js';
import { MEDIA_TYPES } from '../src/core/constants.js';
import { acceptRotation, buildDescriptor, signDescriptor, verifyDescriptor, type DescriptorInput } from '../src/core/descriptor.js';
import { pae, signEnvelopeByAll } from '../src/core/dsse.js';
import { isCairnError } from '../src/core/errors.js';
import { MATCH_KEY_TYPE_NAMES } from '../src/core/identity/index.js';
import { ed25519Signer, fingerprintOf, type Signer } from '../src/core/signing.js';
import { ROOT } from './helpers/cli.js';

// TEST keys only: Ed25519 seeds of 32 repeated bytes, never used outside tests and docs.
const OLD = ed25519Signer(new Uint8Array(32).fill(0x11));
const NEW = ed25519Signer(new Uint8Array(32).fill(0x22));
const OTHER = ed25519Signer(new Uint8Array(32).fill(0x33));
const OPRF_PUBLIC = fromBase64('4jJfUDC5r5/9pmXqRAYz5RX/VcGw8bg5c8xHrglw8hU='); // any 32 bytes: the descriptor only carries it
const ISSUED = new Date('2026-12-01T12:00:00Z');
const OVERLAP_UNTIL = new Date('2026-12-15T12:00:00Z');
const pinned = { keyId: OLD.keyId, publicKey: OLD.publicKey };

function input(signer: Signer, retiring?: Signer, until = OVERLAP_UNTIL): DescriptorInput {
  return {
    nodeId: 'xa-test-node',
    country: 'XA',
    name: 'Test node XA',
    baseUrl: 'https://cairn.xa.example',
    signer,
    oprfPublicKey: OPRF_PUBLIC,
    // What a node of this version publishes: every key type of protocol/10-identifiers.md 10.5.
    matchKeyTypes: MATCH_KEY_TYPE_NAMES,
    issuedAt: ISSUED,
    ...(retiring ? { retiring: [{ signer: retiring, overlapUntil: until }] } : {}),
  };
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isCairnError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  throw new Error('not refused');
}

describe('descriptor cross-signature', () => {
  it('accepts a descriptor cross-signed by the pinned key within its overlap', () => {
    const env = signDescriptor(input(NEW, OLD));
    const desc = verifyDescriptor(env);
    expect(env.signatures.map((s) => s.keyid)).toEqual([NEW.keyId, OLD.keyId]);
    expect(desc.retiringSigningKeys).toEqual([expect.objectContaining({ keyId: OLD.keyId, overlapUntil: '2026-12-15T12:00:00Z' })]);
    expect(acceptRotation(env, desc, pinned, new Date('2026-12-14T00:00:00Z'))).toBe('rotated');
    // The node's own key pinned: nothing to follow.
    expect(acceptRotation(env, desc, { keyId: NEW.keyId, publicKey: NEW.publicKey }, ISSUED)).toBe('same');
  });

  it('refuses a new key signed by the new key alone', () => {
    const env = signDescriptor(input(NEW));
    expect(refusal(() => acceptRotation(env, verifyDescriptor(env), pinned, ISSUED))).toMatch(/^signature_invalid: .*not cross-signed by the pinned key/);
  });

  it('refuses a descriptor that lists the pinned key as retiring without its signature', () => {
    const env = signDescriptor(input(NEW, OLD));
    const stripped = { ...env, signatures: env.signatures.filter((s) => s.keyid !== OLD.keyId) };
    expect(refusal(() => verifyDescriptor(stripped))).toMatch(/^signature_invalid: DSSE envelope has no signature by key/);
    // Nor does a signature under the pinned key id made by another key pass.
    const forged = { ...env, signatures: [env.signatures[0]!, { keyid: OLD.keyId, sig: toBase64(OTHER.sign(pae(MEDIA_TYPES.nodeDescriptor, fromBase64(env.payload)))) }] };
    expect(refusal(() => verifyDescriptor(forged))).toMatch(/^signature_invalid: DSSE signature by key .* does not verify/);
  });

  it('refuses a cross-signature by a key that was never pinned', () => {
    const env = signDescriptor(input(NEW, OTHER));
    const desc = verifyDescriptor(env);
    expect(refusal(() => acceptRotation(env, desc, pinned, ISSUED))).toMatch(/^signature_invalid: .*not cross-signed by the pinned key/);
  });

  it('refuses a cross-signature once the overlap is over', () => {
    const env = signDescriptor(input(NEW, OLD));
    const desc = verifyDescriptor(env);
    expect(refusal(() => acceptRotation(env, desc, pinned, OVERLAP_UNTIL))).toMatch(/^signature_invalid: the overlap .* ended at 2026-12-15T12:00:00Z/);
  });

  it('checks the cross-signature with the pinned key, not the copy the descriptor carries', () => {
    // A descriptor listing the pinned key id with another public key fails its own consistency check.
    const desc = buildDescriptor(input(NEW, OLD));
    desc.retiringSigningKeys![0]!.publicKey = Buffer.from(OTHER.publicKey).toString('base64url');
    const env = signEnvelopeByAll([NEW, OTHER], MEDIA_TYPES.nodeDescriptor, utf8(JSON.stringify(desc)));
    expect(refusal(() => verifyDescriptor(env))).toMatch(/^envelope_invalid: descriptor retiringSigningKeys\[0\]\.keyId does not match its public key/);
  });

  it('reproduces the worked example of protocol/32-key-rotation.md', () => {
    const vector = JSON.parse(readFileSync(join(ROOT, 'test/vectors/keys/cross-signed-descriptor.json'), 'utf8')) as {
      oldSeed: string;
      newSeed: string;
      oldFingerprint: string;
      newFingerprint: string;
      payload: unknown;
      envelope: { payload: string };
    };
    expect(vector.oldSeed).toBe(toHex(new Uint8Array(32).fill(0x11)));
    expect(vector.newSeed).toBe(toHex(new Uint8Array(32).fill(0x22)));
    expect(vector.oldFingerprint).toBe(fingerprintOf(OLD.publicKey));
    expect(vector.newFingerprint).toBe(fingerprintOf(NEW.publicKey));
    expect(signDescriptor(input(NEW, OLD))).toEqual(vector.envelope);
    // The payload shown is the envelope's, decoded.
    const payloadText = new TextDecoder().decode(fromBase64(vector.envelope.payload));
    expect(JSON.stringify(vector.payload)).toBe(payloadText);
    const doc = readFileSync(join(ROOT, 'protocol/32-key-rotation.md'), 'utf8');
    expect(doc).toContain(JSON.stringify(vector.payload, null, 2));
    expect(doc).toContain(JSON.stringify(vector.envelope, null, 2));
  });
});
