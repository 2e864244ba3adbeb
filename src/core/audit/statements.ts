/**
 * Statements the node signs into its own audit entries, so that `audit
 * verify` trusts them on the strength of the node's current key alone, not
 * of what its database says (PROTOCOL.md §40 "Verifying a log"):
 *
 * - a key succession, in every `keys.rotate` entry of the signing key:
 *   signed by the new key, it names the key it replaces. Walking these back
 *   from the current key gives every key whose checkpoints the log trusts;
 *   a key merely written into the key-history table gives nothing.
 * - a retention prune, in every `audit.prune` entry: signed by the key of
 *   its time, it names the last entry whose payload the prune removed.
 *   A payload missing beyond every signed prune was removed by someone else.
 *
 * Both are DSSE envelopes (dsse.ts) over a JSON payload that names the log's
 * origin (section 40), so a statement of one node's log is no statement
 * about another's.
 */
import { signJsonEnvelope, verifyJsonEnvelope, type DsseEnvelope } from '../dsse.js';
import { MEDIA_TYPES } from '../constants.js';
import { CairnError } from '../errors.js';
import type { Ed25519Verify, Signer } from '../signing.js';

/** What a key succession says: `keyId` replaced `previousKeyId` as the signing key of the log `origin`. */
export interface KeySuccession {
  origin: string;
  previousKeyId: string;
  keyId: string;
}

/** What a prune says: the payloads of entries up to `through` written before `before` were pruned from the log `origin`. */
export interface PruneStatement {
  origin: string;
  through: number;
  before: string;
}

/** Signed by the new key at its rotation. */
export function signSuccession(next: Signer, previousKeyId: string, origin: string): DsseEnvelope {
  const statement: KeySuccession = { origin, previousKeyId, keyId: next.keyId };
  return signJsonEnvelope(next, MEDIA_TYPES.keySuccession, statement);
}

/** Signed by the node's key at the time of the prune. */
export function signPrune(signer: Signer, statement: PruneStatement): DsseEnvelope {
  return signJsonEnvelope(signer, MEDIA_TYPES.auditPrune, statement);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The succession in `envelope` if `next` signed it for `origin`; throws what is wrong otherwise. */
export function openSuccession(envelope: unknown, next: Uint8Array, origin: string, verify?: Ed25519Verify): KeySuccession {
  const p = verifyJsonEnvelope(envelope, MEDIA_TYPES.keySuccession, next, verify);
  if (!isRecord(p) || typeof p.previousKeyId !== 'string' || typeof p.keyId !== 'string' || typeof p.origin !== 'string') {
    throw new CairnError('envelope_invalid', 'key succession: expected { origin, previousKeyId, keyId } strings');
  }
  if (p.origin !== origin) throw new CairnError('envelope_invalid', `key succession names the log ${JSON.stringify(p.origin)}, not ${JSON.stringify(origin)}`);
  return { origin: p.origin, previousKeyId: p.previousKeyId, keyId: p.keyId };
}

/** The prune statement in `envelope` if `key` signed it for `origin`; throws what is wrong otherwise. */
export function openPrune(envelope: unknown, key: Uint8Array, origin: string, verify?: Ed25519Verify): PruneStatement {
  const p = verifyJsonEnvelope(envelope, MEDIA_TYPES.auditPrune, key, verify);
  if (!isRecord(p) || typeof p.origin !== 'string' || typeof p.before !== 'string' || !Number.isSafeInteger(p.through)) {
    throw new CairnError('envelope_invalid', 'prune statement: expected { origin, through, before }');
  }
  if (p.origin !== origin) throw new CairnError('envelope_invalid', `prune statement names the log ${JSON.stringify(p.origin)}, not ${JSON.stringify(origin)}`);
  return { origin: p.origin, through: p.through as number, before: p.before };
}
