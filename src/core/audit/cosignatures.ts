/**
 * Peers cosign our checkpoints (c2sp.org/tlog-cosignature, Ed25519 type
 * 0x04) and send the cosignatures back (PROTOCOL.md §45). A searching node
 * that verified our checkpoint, consistent with every one it saw before,
 * adds its cosignature line as `<its host>/cairn-witness` with its pinned
 * signing key; we keep the cosigned note. A log later found shorter than, or
 * different from, a cosigned checkpoint was cut back or rewritten, and the
 * proof of what it held is in someone else's hands too.
 *
 * Attacker-controlled input (a peer's note): parsed and verified here before
 * anything is stored.
 */
import { sql } from 'kysely';
import type { AtomicWriter } from '../atomic.js';
import type { Db } from '../db/schema.js';
import { MERKLE } from '../constants.js';
import { CairnError, isCairnError } from '../errors.js';
import type { Clock } from '../ports.js';
import type { Ed25519Verify, Signer } from '../signing.js';
import { checkpointOrigin, openCheckpoint } from './checkpoint.js';
import { cosignatureTimestamp, cosignatureVerifier, ed25519Cosigner } from './cosignature.js';
import { ed25519NoteVerifier, formatVerifierKey, parseNote, signNote, type NoteVerifier } from './note.js';
import { historyKeys, signingKeyHistory, withAnyKey } from '../keys/history.js';

/** The cosigner name of a node as a witness, from its base URL (`<host>/cairn-witness`). */
export function witnessNameOf(baseUrl: string): string {
  return `${new URL(baseUrl).host.toLowerCase()}${MERKLE.witnessSuffix}`;
}

/** The verifier of a node's cosignatures: its witness name and its (pinned) signing key. */
export function witnessVerifier(baseUrl: string, publicKey: Uint8Array, verify?: Ed25519Verify): NoteVerifier {
  return cosignatureVerifier(formatVerifierKey(witnessNameOf(baseUrl), publicKey, MERKLE.note.sigTypeCosignatureV1), verify);
}

/**
 * Add our cosignature, as of `now`, to a peer's checkpoint note we verified
 * (every signature already on it is kept).
 */
export async function cosignCheckpoint(note: string, self: { baseUrl: string; signer: Signer }, now: Date): Promise<string> {
  const parsed = parseNote(note);
  const cosigner = ed25519Cosigner(witnessNameOf(self.baseUrl), self.signer, Math.floor(now.getTime() / 1000));
  return signNote(parsed.text, [cosigner], parsed.signatures);
}

export interface CosignatureDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  signer: Signer;
  /** Our base URL: its host names our log. */
  baseUrl: string;
  /** Cairn's Ed25519 rule (default: portable; Node passes its fast path). */
  verify?: Ed25519Verify;
}

/** The peer a cosignature comes from: its id, country, base URL and pinned key. */
export interface Cosigner {
  id: string;
  country: string;
  baseUrl: string;
  signingPublicKey: Uint8Array;
}

/**
 * Open a cosigned note of our log: our signature and `peer`'s cosignature
 * must both verify. Returns size, root and the cosignature's timestamp.
 */
export function openCosignedCheckpoint(
  note: string,
  self: { baseUrl: string; publicKey: Uint8Array },
  peer: Pick<Cosigner, 'baseUrl' | 'signingPublicKey' | 'country'>,
  verify?: Ed25519Verify,
) {
  const witness = witnessVerifier(peer.baseUrl, peer.signingPublicKey, verify);
  const bad = (why: string, cause?: unknown) =>
    new CairnError('checkpoint_invalid', `cosigned checkpoint from ${peer.country}: ${why}`, { location: { field: 'checkpoint' }, ...(cause ? { cause } : {}) });
  let opened;
  try {
    // Our own log key and origin, as log.ts derives them (imported from there would be a cycle).
    const origin = checkpointOrigin(new URL(self.baseUrl).host.toLowerCase());
    opened = openCheckpoint(note, ed25519NoteVerifier(formatVerifierKey(origin, self.publicKey), verify), { origin, cosigners: [witness] });
  } catch (e) {
    throw bad(isCairnError(e) ? e.message : 'does not open', e);
  }
  const line = opened.note.verified.find((s) => s.name === witness.name && s.keyId === witness.keyId >>> 0);
  if (!line) throw bad(`carries no cosignature by ${witness.name} under the key pinned for ${peer.country}`);
  return { size: opened.checkpoint.treeSize, root: opened.checkpoint.rootHash, timestamp: cosignatureTimestamp(line) };
}

/** Verify and keep `peer`'s cosignature on one of our checkpoints; returns the size it covers. */
export async function acceptCosignature(deps: CosignatureDeps, peer: Cosigner, note: string): Promise<{ size: number }> {
  // A checkpoint signed just before a rotation of ours comes back cosigned after it: any key of our history.
  const ours = historyKeys(deps.signer.publicKey, await signingKeyHistory(deps.db));
  const cp = withAnyKey(ours, (publicKey) => openCosignedCheckpoint(note, { baseUrl: deps.baseUrl, publicKey }, peer, deps.verify));
  // One cosignature per peer and size: the first one kept is evidence enough.
  await deps.atomic.run([
    sql`insert into audit_cosignatures (peer_id, size, root, note, cosigned_at, at)
      values (${peer.id}, ${cp.size}, ${cp.root}, ${note}, ${cp.timestamp}, ${deps.clock.now().toISOString()})
      on conflict (peer_id, size) do nothing`.compile(deps.db),
  ]);
  return { size: cp.size };
}

/** The newest cosigned size per peer, for the DPO. */
export async function newestCosignedSizes(db: Db): Promise<{ peerId: string; size: number; at: string }[]> {
  const rows = await db
    .selectFrom('audit_cosignatures')
    .select(['peer_id', (eb) => eb.fn.max('size').as('size'), (eb) => eb.fn.max('at').as('at')])
    .groupBy('peer_id')
    .execute();
  return rows.map((r) => ({ peerId: r.peer_id, size: Number(r.size), at: String(r.at) }));
}
