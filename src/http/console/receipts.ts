/**
 * Hit receipts as the analyst sees them: the DSSE payload decoded, checked
 * against the hit-receipt schema and re-verified with the issuing peer's
 * pinned signing key. Receipts come from the database, but were sent by a
 * peer: parsed defensively, and a bad one is shown as bad, never dropped.
 */
import { hitReceiptSchema, type HitReceipt } from '../../../schemas/federation.js';
import { fromBase64, fromUtf8 } from '../../core/bytes.js';
import { MEDIA_TYPES } from '../../core/constants.js';
import { dsseEnvelopeSchema, verifyJsonEnvelope } from '../../core/dsse.js';
import { withAnyKey } from '../../core/keys/history.js';
import { isCairnError } from '../../core/errors.js';

export type ReceiptView =
  | { ok: true; receipt: HitReceipt; signature: 'verified' | 'unverifiable' }
  | { ok: false; problem: string };

function decodeUnverified(envelope: unknown): unknown {
  const env = dsseEnvelopeSchema.parse(envelope);
  if (env.payloadType !== MEDIA_TYPES.hitReceipt) throw new Error(`payload type is ${env.payloadType}`);
  return JSON.parse(fromUtf8(fromBase64(env.payload, 'payload')));
}

/**
 * Decode one receipt envelope. With the peer's keys (its pinned one and those
 * it retired since: a receipt keeps the key of its day) the signature is
 * checked (DSSE, PAE over the payload); without them (peer since removed)
 * the payload is shown as "unverifiable".
 */
export function readReceipt(envelope: unknown, peerSigningKey: Uint8Array | readonly Uint8Array[] | undefined): ReceiptView {
  const keys = peerSigningKey === undefined ? [] : peerSigningKey instanceof Uint8Array ? [peerSigningKey] : peerSigningKey;
  let payload: unknown;
  try {
    payload = keys.length ? withAnyKey(keys, (key) => verifyJsonEnvelope(envelope, MEDIA_TYPES.hitReceipt, key)) : decodeUnverified(envelope);
  } catch (e) {
    return { ok: false, problem: isCairnError(e) ? e.message : 'the receipt envelope cannot be read' };
  }
  const parsed = hitReceiptSchema.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, problem: `the receipt does not have the expected shape (${issue?.path.join('.') || 'payload'}: ${issue?.message})` };
  }
  return { ok: true, receipt: parsed.data, signature: keys.length ? 'verified' : 'unverifiable' };
}
