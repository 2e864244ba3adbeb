/**
 * The node's signing-key history (table signing_keys, migration 0011). A
 * rotation retires the current key and never deletes its public half: every
 * checkpoint and receipt it signed must still verify, years later, when a
 * DPO runs `cairn audit verify` or a peer re-checks a receipt.
 */
import type { CompiledQuery } from 'kysely';
import { appendStatement } from '../audit/entry.js';
import { signSuccession } from '../audit/statements.js';
import type { Db, SigningKeysTable } from '../db/schema.js';
import { CairnError } from '../errors.js';
import { fingerprintOf, keyIdOf, type Signer } from '../signing.js';

/** One signing key of this node, as the history holds it. */
export interface SigningKeyRecord {
  keyId: string;
  publicKey: Uint8Array;
  createdAt: string;
  retiredAt: string | null;
  overlapUntil: string | null;
  compromised: boolean;
}

function toRecord(r: SigningKeysTable): SigningKeyRecord {
  return {
    keyId: r.key_id,
    publicKey: new Uint8Array(r.public_key),
    createdAt: r.created_at,
    retiredAt: r.retired_at,
    overlapUntil: r.overlap_until,
    compromised: r.compromised === 1,
  };
}

/** Every signing key this node has used, oldest first. */
export async function signingKeyHistory(db: Db): Promise<SigningKeyRecord[]> {
  return (await db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('key_id').execute()).map(toRecord);
}

/**
 * Make sure the key the node signs with is in the history (a node created
 * before migration 0011, or a Workers secret seen for the first time).
 * `createdAt` is the best knowledge of the key's birth (a key file's time).
 */
export async function recordCurrentKey(db: Db, publicKey: Uint8Array, createdAt: Date): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({ key_id: keyIdOf(publicKey), public_key: publicKey, created_at: createdAt.toISOString(), retired_at: null, overlap_until: null, compromised: 0 })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
}

/** What one rotation changes. */
export interface Rotation {
  previous: Uint8Array;
  /** The new key: it signs the succession its audit entry carries. */
  next: Signer;
  /** The audit log's origin (audit/log.ts originOf), named in the succession. */
  origin: string;
  at: Date;
  /** End of the cross-signed overlap; null with --compromised. */
  overlapUntil: Date | null;
  actor: string;
}

/**
 * The statements of a rotation, for one atomic write: the previous key
 * retired (with its overlap, or marked compromised), the new key recorded,
 * any older key still in an overlap cut short (one retiring key at a time),
 * and the `keys.rotate` audit entry.
 */
export function rotationStatements(db: Db, r: Rotation): CompiledQuery[] {
  const prevId = keyIdOf(r.previous);
  const nextId = r.next.keyId;
  if (prevId === nextId) throw new CairnError('key_invalid', 'the new signing key equals the current one');
  const at = r.at.toISOString();
  return [
    db.updateTable('signing_keys').set({ overlap_until: at }).where('retired_at', 'is not', null).where('overlap_until', '>', at).compile(),
    db
      .insertInto('signing_keys')
      .values({ key_id: prevId, public_key: r.previous, created_at: at, retired_at: null, overlap_until: null, compromised: 0 })
      .onConflict((oc) => oc.column('key_id').doNothing())
      .compile(),
    db
      .updateTable('signing_keys')
      .set({ retired_at: at, overlap_until: r.overlapUntil?.toISOString() ?? null, compromised: r.overlapUntil === null ? 1 : 0 })
      .where('key_id', '=', prevId)
      .compile(),
    db.insertInto('signing_keys').values({ key_id: nextId, public_key: r.next.publicKey, created_at: at, retired_at: null, overlap_until: null, compromised: 0 }).compile(),
    appendStatement(
      db,
      {
        type: 'keys.rotate',
        actor: r.actor,
        data: {
          key: 'signing',
          previousKeyId: prevId,
          keyId: nextId,
          fingerprint: fingerprintOf(r.next.publicKey),
          ...(r.overlapUntil ? { overlapUntil: r.overlapUntil.toISOString() } : { compromised: true }),
          // What lets `audit verify` trust the previous key's checkpoints: the new key's word, not the table above.
          succession: signSuccession(r.next, prevId, r.origin),
        },
      },
      r.at,
    ),
  ];
}

/**
 * Run `open` with each of `keys` until one succeeds (a note or envelope
 * signed by one key of a history); throws the first key's error if none does.
 */
export function withAnyKey<K, T>(keys: readonly K[], open: (key: K) => T): T {
  let first: unknown;
  for (const key of keys) {
    try {
      return open(key);
    } catch (e) {
      first ??= e;
    }
  }
  throw first ?? new CairnError('signature_invalid', 'no key to verify with');
}

/** The public keys of a history with `current` first, each once. */
export function historyKeys(current: Uint8Array, history: readonly { publicKey: Uint8Array }[]): Uint8Array[] {
  const seen = new Set([keyIdOf(current)]);
  const out = [current];
  for (const k of history) {
    const id = keyIdOf(k.publicKey);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(k.publicKey);
    }
  }
  return out;
}

/**
 * A runtime whose keys come from configuration (Workers secrets): record a
 * rotation the operator made by setting a new current key and the previous
 * one with the end of its overlap. Idempotent: only the first start with a
 * new current key writes the rotation (and its `keys.rotate` entry).
 */
export async function recordConfiguredRotation(
  db: Db,
  atomic: { run(statements: CompiledQuery[]): Promise<unknown> },
  r: { previous: Uint8Array; next: Signer; origin: string; overlapUntil: Date; at: Date; actor: string },
): Promise<boolean> {
  const known = await db.selectFrom('signing_keys').select('key_id').where('key_id', '=', r.next.keyId).executeTakeFirst();
  if (known) return false;
  await atomic.run(rotationStatements(db, r));
  return true;
}

/** The retired key whose overlap is still running at `now`, if any (it cross-signs the descriptor). */
export function inOverlap(history: readonly SigningKeyRecord[], now: Date): SigningKeyRecord[] {
  return history.filter((k) => k.retiredAt !== null && !k.compromised && k.overlapUntil !== null && Date.parse(k.overlapUntil) > now.getTime());
}
