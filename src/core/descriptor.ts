/**
 * The node descriptor (schemas/node.ts), signed as a DSSE envelope. Peers
 * fetch it once, check the fingerprints out of band, and pin the keys.
 */
import { nodeDescriptorSchema, type NodeDescriptor } from '../../schemas/node.js';
import { fromBase64, fromBase64Url, fromUtf8, toBase64Url } from './bytes.js';
import { MEDIA_TYPES, OPRF, PROTOCOL_VERSION } from './constants.js';
import { signJsonEnvelope, verifyEnvelope, dsseEnvelopeSchema, type DsseEnvelope } from './dsse.js';
import { CairnError } from './errors.js';
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
}

/** Build the descriptor payload. */
export function buildDescriptor(d: DescriptorInput): NodeDescriptor {
  return {
    protocol: PROTOCOL_VERSION,
    nodeId: d.nodeId,
    country: d.country,
    name: d.name,
    baseUrl: d.baseUrl,
    signingKey: { algorithm: 'Ed25519', keyId: d.signer.keyId, publicKey: toBase64Url(d.signer.publicKey) },
    oprfKey: { suite: OPRF.suite, mode: 'VOPRF', keyId: keyIdOf(d.oprfPublicKey), publicKey: toBase64Url(d.oprfPublicKey), ...(d.oprfEpoch !== undefined ? { epoch: d.oprfEpoch } : {}) },
    matchKeyTypes: [...d.matchKeyTypes],
    issuedAt: d.issuedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}

/** Build and sign the descriptor. */
export function signDescriptor(d: DescriptorInput): DsseEnvelope {
  return signJsonEnvelope(d.signer, MEDIA_TYPES.nodeDescriptor, buildDescriptor(d));
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
    payload = JSON.parse(fromUtf8(fromBase64(env.data.payload, 'payload')));
  } catch (cause) {
    throw new CairnError('envelope_invalid', 'descriptor payload is not base64 JSON', { cause });
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
  return desc;
}
