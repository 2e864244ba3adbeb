/**
 * The node descriptor (schemas/node.ts), signed as a DSSE envelope. Peers
 * fetch it once, check the fingerprints out of band, and pin the keys.
 */
import { nodeDescriptorSchema, type NodeDescriptor } from '../../schemas/node.js';
import { fromBase64, fromBase64Url, fromUtf8, toBase64Url, utf8 } from './bytes.js';
import { MEDIA_TYPES, OPRF, PROTOCOL_VERSION } from './constants.js';
import { signEnvelopeByAll, signJsonEnvelope, verifyEnvelope, dsseEnvelopeSchema, type DsseEnvelope } from './dsse.js';
import { parseJsonText } from './decode/json-body.js';
import { CairnError, isCairnError } from './errors.js';
import { keyIdOf, type Signer } from './signing.js';

export interface DescriptorInput {
  nodeId: string;
  country: string;
  name: string;
  baseUrl: string;
  signer: Signer;
  oprfPublicKey: Uint8Array;
  /** The OPRF key epoch (protocol/38-key-epochs.md); omitted for epoch 1 by older nodes. */
  oprfEpoch?: number;
  matchKeyTypes: readonly string[];
  issuedAt: Date;
  /**
   * During a signing-key rotation's overlap: the key being retired, listed
   * in the descriptor and signing the envelope beside `signer`.
   */
  retiring?: readonly RetiringKey[];
}

/** A signing key in its overlap after a rotation: it still cross-signs the descriptor. */
export interface RetiringKey {
  signer: Signer;
  overlapUntil: Date;
}

/** RFC 3339 seconds, as every timestamp of a descriptor. */
const seconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Build the descriptor payload. */
export function buildDescriptor(d: DescriptorInput): NodeDescriptor {
  return {
    protocol: PROTOCOL_VERSION,
    nodeId: d.nodeId,
    country: d.country,
    name: d.name,
    baseUrl: d.baseUrl,
    signingKey: { algorithm: 'Ed25519', keyId: d.signer.keyId, publicKey: toBase64Url(d.signer.publicKey) },
    ...(d.retiring?.length
      ? {
          retiringSigningKeys: d.retiring.map((r) => ({
            algorithm: 'Ed25519' as const,
            keyId: r.signer.keyId,
            publicKey: toBase64Url(r.signer.publicKey),
            overlapUntil: seconds(r.overlapUntil),
          })),
        }
      : {}),
    oprfKey: { suite: OPRF.suite, mode: 'VOPRF', keyId: keyIdOf(d.oprfPublicKey), publicKey: toBase64Url(d.oprfPublicKey), ...(d.oprfEpoch !== undefined ? { epoch: d.oprfEpoch } : {}) },
    matchKeyTypes: [...d.matchKeyTypes],
    issuedAt: seconds(d.issuedAt),
  };
}

/** Build and sign the descriptor: by the current key, and by each retiring key during its overlap. */
export function signDescriptor(d: DescriptorInput): DsseEnvelope {
  if (!d.retiring?.length) return signJsonEnvelope(d.signer, MEDIA_TYPES.nodeDescriptor, buildDescriptor(d));
  return signEnvelopeByAll([d.signer, ...d.retiring.map((r) => r.signer)], MEDIA_TYPES.nodeDescriptor, utf8(JSON.stringify(buildDescriptor(d))));
}

/**
 * Verify a descriptor envelope fetched from a peer. The envelope is
 * self-signed: the key inside the payload verifies it, so the caller must
 * still compare the key's fingerprint with one obtained out of band (or a
 * pinned key id) before trusting it.
 */
export function verifyDescriptor(envelope: unknown, pinnedKeyId?: string): NodeDescriptor {
  const env = dsseEnvelopeSchema.safeParse(envelope);
  if (!env.success) throw new CairnError('envelope_invalid', 'node descriptor is not a DSSE envelope');
  if (env.data.payloadType !== MEDIA_TYPES.nodeDescriptor) {
    throw new CairnError('envelope_invalid', `descriptor payloadType is ${JSON.stringify(env.data.payloadType)}`);
  }
  let payload: unknown;
  try {
    payload = parseJsonText(fromUtf8(fromBase64(env.data.payload, 'payload')));
  } catch (cause) {
    throw new CairnError('envelope_invalid', `descriptor payload is not base64 JSON${isCairnError(cause, 'malformed_json') ? ` (${cause.message})` : ''}`, { cause });
  }
  const parsed = nodeDescriptorSchema.safeParse(payload);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new CairnError('envelope_invalid', `descriptor field ${i?.path.join('.')}: ${i?.message}`);
  }
  const desc = parsed.data;
  const pub = fromBase64Url(desc.signingKey.publicKey, 'signingKey.publicKey');
  if (keyIdOf(pub) !== desc.signingKey.keyId) throw new CairnError('envelope_invalid', 'descriptor signingKey.keyId does not match its public key');
  if (keyIdOf(fromBase64Url(desc.oprfKey.publicKey, 'oprfKey.publicKey')) !== desc.oprfKey.keyId) {
    throw new CairnError('envelope_invalid', 'descriptor oprfKey.keyId does not match its public key');
  }
  if (pinnedKeyId !== undefined && pinnedKeyId !== desc.signingKey.keyId) {
    throw new CairnError('signature_invalid', `descriptor is signed by key ${desc.signingKey.keyId}, not the pinned ${pinnedKeyId}`);
  }
  verifyEnvelope(envelope, MEDIA_TYPES.nodeDescriptor, pub);
  // A retiring key the descriptor lists must have signed it too: a listed
  // key without its signature would be a cross-signature claimed, not made.
  for (const [i, r] of (desc.retiringSigningKeys ?? []).entries()) {
    const rpub = fromBase64Url(r.publicKey, `retiringSigningKeys[${i}].publicKey`);
    if (keyIdOf(rpub) !== r.keyId) throw new CairnError('envelope_invalid', `descriptor retiringSigningKeys[${i}].keyId does not match its public key`);
    if (r.keyId === desc.signingKey.keyId) throw new CairnError('envelope_invalid', 'descriptor lists its current signing key as retiring');
    verifyEnvelope(envelope, MEDIA_TYPES.nodeDescriptor, rpub);
  }
  return desc;
}

/** A signing key pinned for a peer. */
export interface PinnedKey {
  keyId: string;
  publicKey: Uint8Array;
}

/**
 * Whether a peer's descriptor (already checked by verifyDescriptor) may
 * replace the signing key we pinned for it (protocol/32-key-rotation.md):
 * `same` when it is still signed by the pinned key as its current key;
 * `rotated` when it names a new current key and lists the pinned one as
 * retiring, with an overlap not yet over at `now`, and the pinned key's own
 * signature over the envelope verifies. Anything else (a descriptor signed
 * by the new key alone, or by a key we never pinned, or after the overlap)
 * throws `signature_invalid`: the operator must compare the new fingerprint
 * out of band.
 */
export function acceptRotation(envelope: unknown, desc: NodeDescriptor, pinned: PinnedKey, now: Date): 'same' | 'rotated' {
  if (desc.signingKey.keyId === pinned.keyId) return 'same';
  const listed = (desc.retiringSigningKeys ?? []).find((r) => r.keyId === pinned.keyId);
  if (listed === undefined) {
    throw new CairnError(
      'signature_invalid',
      `the descriptor's signing key ${desc.signingKey.keyId} is not cross-signed by the pinned key ${pinned.keyId}: its fingerprint must be checked out of band`,
    );
  }
  const until = Date.parse(listed.overlapUntil);
  if (!(until > now.getTime())) {
    throw new CairnError('signature_invalid', `the overlap in which the pinned key ${pinned.keyId} vouches for ${desc.signingKey.keyId} ended at ${listed.overlapUntil}`);
  }
  // The pinned key, not the copy in the descriptor, checks the cross-signature.
  verifyEnvelope(envelope, MEDIA_TYPES.nodeDescriptor, pinned.publicKey);
  return 'rotated';
}
