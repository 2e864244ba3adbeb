/**
 * DSSE envelopes: every signed document in Cairn (node descriptors, hit
 * receipts, ...) travels as
 *
 *   { "payloadType": string, "payload": base64(body), "signatures": [{ "keyid": string, "sig": base64 }] }
 *
 * and each signature is Ed25519 over the pre-authentication encoding
 *
 *   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
 *
 * where LEN is the ASCII decimal byte length, SP a single space.
 * Spec: https://github.com/secure-systems-lab/dsse/blob/master/protocol.md
 */
import { z } from 'zod';
import { concatBytes, fromBase64, fromUtf8, toBase64, utf8 } from './bytes.js';
import { DSSE } from './constants.js';
import { parseJsonText } from './decode/json-body.js';
import { CairnError, isCairnError } from './errors.js';
import { ed25519Verify, keyIdOf, type Ed25519Verify, type Signer } from './signing.js';

/** The envelope as it appears on the wire. */
export const dsseEnvelopeSchema = z
  .object({
    payloadType: z.string().min(1).max(256),
    payload: z.string().max(4 * 1024 * 1024),
    signatures: z
      .array(z.object({ keyid: z.string().max(256), sig: z.string().max(1024) }).strict())
      .min(1)
      .max(16),
  })
  .strict();

export type DsseEnvelope = z.infer<typeof dsseEnvelopeSchema>;

/** Pre-authentication encoding (DSSE protocol, "Signature definition"). */
export function pae(payloadType: string, body: Uint8Array): Uint8Array {
  const type = utf8(payloadType);
  return concatBytes(utf8(`${DSSE.paePrefix} ${type.length} `), type, utf8(` ${body.length} `), body);
}

/** Sign `body` as a DSSE envelope of `payloadType`. */
export function signEnvelope(signer: Signer, payloadType: string, body: Uint8Array): DsseEnvelope {
  const sig = signer.sign(pae(payloadType, body));
  return { payloadType, payload: toBase64(body), signatures: [{ keyid: signer.keyId, sig: toBase64(sig) }] };
}

/**
 * Sign `body` with several keys at once (DSSE allows any number of
 * signatures): a descriptor during a signing-key rotation carries one by
 * the new key and one by the key it replaces.
 */
export function signEnvelopeByAll(signers: readonly Signer[], payloadType: string, body: Uint8Array): DsseEnvelope {
  if (signers.length === 0) throw new TypeError('signEnvelopeByAll: at least one signer');
  const message = pae(payloadType, body);
  return { payloadType, payload: toBase64(body), signatures: signers.map((s) => ({ keyid: s.keyId, sig: toBase64(s.sign(message)) })) };
}

/** Sign a JSON value as a DSSE envelope. */
export function signJsonEnvelope(signer: Signer, payloadType: string, value: unknown): DsseEnvelope {
  return signEnvelope(signer, payloadType, utf8(JSON.stringify(value)));
}

/**
 * Verify an envelope against a trusted public key and expected payload type,
 * and return the payload bytes. Attacker-controlled input: parsed defensively.
 * `verify` is Cairn's Ed25519 rule (default: the portable one; Node passes
 * its OpenSSL path, same verdicts, faster on a search's hot path).
 */
export function verifyEnvelope(input: unknown, expectedType: string, publicKey: Uint8Array, verify: Ed25519Verify = ed25519Verify): Uint8Array {
  const parsed = dsseEnvelopeSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CairnError('envelope_invalid', `DSSE envelope malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const env = parsed.data;
  if (env.payloadType !== expectedType) {
    throw new CairnError('envelope_invalid', `DSSE payloadType is ${JSON.stringify(env.payloadType)}, expected ${expectedType}`);
  }
  const body = fromBase64(env.payload, 'payload');
  const keyId = keyIdOf(publicKey);
  const message = pae(env.payloadType, body);
  for (const s of env.signatures) {
    if (s.keyid !== keyId) continue;
    if (verify(publicKey, message, fromBase64(s.sig, 'signatures.sig'))) return body;
    throw new CairnError('signature_invalid', `DSSE signature by key ${keyId} does not verify`);
  }
  throw new CairnError('signature_invalid', `DSSE envelope has no signature by key ${keyId}`);
}

/** Verify and JSON-parse an envelope's payload. */
export function verifyJsonEnvelope(input: unknown, expectedType: string, publicKey: Uint8Array, verify?: Ed25519Verify): unknown {
  const body = verifyEnvelope(input, expectedType, publicKey, verify);
  try {
    return parseJsonText(fromUtf8(body));
  } catch (cause) {
    throw new CairnError('envelope_invalid', `DSSE payload is not UTF-8 JSON${isCairnError(cause) ? ` (${cause.message})` : ''}`, { cause });
  }
}
