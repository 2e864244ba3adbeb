/**
 * Witnessing peers' logs (PROTOCOL.md §45). Every federation answer carries
 * the peer's latest checkpoint. We verify its signature with the peer's
 * pinned key, and check it against the largest checkpoint we stored before,
 * with a consistency proof from the peer (RFC 9162 §2.1.4.2). A checkpoint
 * that extends it is stored; one it extends (an answer that arrived late) is
 * known already. Anything else is an alert with the evidence, and never
 * overwrites what we stored:
 *
 *   bad_signature  the note does not verify under the peer's pinned keys
 *   fork           two different roots signed for one tree size
 *   inconsistent   the proof fails: history was rewritten or forked
 *   rollback       the peer cannot prove its log reaches a size it signed
 *                  (a restored backup, a log cut back): its tree is smaller
 *
 * A smaller checkpoint alone proves nothing (a late answer, a cached
 * checkpoint); the peer's refusal to prove a size it signed does.
 * An alert is kept once per event, named by its evidence (for a rollback,
 * the witnessed checkpoint the log went back from): later checks that find
 * the same event count it on that alert.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import type { AtomicWriter } from '../atomic.js';
import { equalBytes, fromBase64, toHex, utf8 } from '../bytes.js';
import type { Db } from '../db/schema.js';
import { CairnError, isCairnError } from '../errors.js';
import type { Clock, Logger, Random } from '../ports.js';
import { postSigned, type ClientDeps } from './client.js';
import { exchangeKeys, type Peer } from './peers.js';
import { withAnyKey } from '../keys/history.js';
import type { Ed25519Verify } from '../signing.js';
import { appendStatement } from '../audit/entry.js';
import { logVerifierKey, originOf } from '../audit/log.js';
import { openCheckpoint } from '../audit/checkpoint.js';
import { verifyConsistency } from '../audit/merkle/index.js';
import { ed25519NoteVerifier } from '../audit/note.js';
import { cosignCheckpoint } from '../audit/cosignatures.js';

export interface WitnessDeps extends ClientDeps {
  db: Db;
  atomic: AtomicWriter;
  logger: Logger;
  clock: Clock;
  random: Random;
}

export const consistencyAnswerSchema = z
  .object({ size1: z.number().int(), size2: z.number().int(), hashes: z.array(z.string().max(64)).max(128) })
  .strict();

/** The kinds of witness alert (PROTOCOL.md §45). */
export const WITNESS_ALERT_KINDS = ['bad_signature', 'fork', 'inconsistent', 'rollback'] as const;
export type WitnessAlertKind = (typeof WITNESS_ALERT_KINDS)[number];

/** An alert as the check that raised it, or found its event again, left it. */
export interface WitnessAlert {
  id: string;
  kind: WitnessAlertKind;
  detail: string;
  /** When it was raised. */
  at: string;
  /** When a check last found it. */
  lastSeenAt: string;
  /** How many checks found it. */
  seen: number;
}

/** What checking a checkpoint found. */
export interface WitnessVerdict {
  outcome: 'stored' | 'known' | 'alert' | 'none';
  /** The checkpoint, once its signature verified. */
  checkpoint?: { size: number; root: Uint8Array };
  /** With outcome `alert`. */
  alert?: WitnessAlert;
  /** With outcome `none` after a note: why it could not be checked now (the next check tries again). */
  unchecked?: string;
}

/** Verify a peer's checkpoint note with its pinned key (`verify`: Cairn's Ed25519 rule, default portable); returns size and root. */
export function openPeerCheckpoint(peer: Peer, note: string, verify?: Ed25519Verify): { size: number; root: Uint8Array } {
  const cp = withAnyKey(exchangeKeys(peer), (key) => openCheckpoint(note, ed25519NoteVerifier(logVerifierKey(peer.baseUrl, key), verify), { origin: originOf(peer.baseUrl) }).checkpoint);
  return { size: cp.treeSize, root: cp.rootHash };
}

/**
 * Record an alert once per event: `event` names what the evidence shows. A
 * check that finds the same event again notes when and counts it, keeping the
 * evidence it was raised with, instead of adding an alert (and an audit entry).
 */
async function raise(deps: WitnessDeps, peer: Peer, kind: WitnessAlertKind, event: string, detail: string, evidence: Record<string, unknown>): Promise<WitnessAlert> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const known = await deps.db.selectFrom('witness_alerts').select(['id', 'at', 'kind', 'detail', 'seen']).where('peer_id', '=', peer.id).where('event', '=', event).executeTakeFirst();
  if (known) {
    await deps.atomic.run([deps.db.updateTable('witness_alerts').set((eb) => ({ last_seen_at: at, seen: eb('seen', '+', 1) })).where('id', '=', known.id).compile()]);
    deps.logger.warn({ peer: peer.id, kind: known.kind, alert: known.id, seen: known.seen + 1 }, `witness alert still holds: ${known.detail}`);
    return { id: known.id, kind: known.kind as WitnessAlertKind, detail: known.detail, at: known.at, lastSeenAt: at, seen: known.seen + 1 };
  }
  const id = `alert_${toHex(deps.random.bytes(10))}`;
  deps.logger.error({ peer: peer.id, kind }, `witness alert: ${detail}`);
  await deps.atomic.run([
    deps.db
      .insertInto('witness_alerts')
      .values({ id, at, peer_id: peer.id, kind, detail, evidence: JSON.stringify(evidence), event, last_seen_at: at, seen: 1 })
      // Two checks racing to raise one event: the second counts on the first's row.
      .onConflict((oc) => oc.columns(['peer_id', 'event']).doUpdateSet((eb) => ({ last_seen_at: at, seen: eb('witness_alerts.seen', '+', 1) })))
      .compile(),
    appendStatement(deps.db, { type: 'witness.alert', actor: 'system', data: { alert: id, peer: peer.id, country: peer.country, kind, detail } }, now),
  ]);
  return { id, kind, detail, at, lastSeenAt: at, seen: 1 };
}

/** A stored checkpoint of a peer's log. */
interface Witnessed {
  size: number;
  root: Uint8Array;
  note: string;
}

/** The checkpoint of `peerId` stored at `size`, or the largest one. */
async function storedCheckpoint(db: Db, peerId: string, size?: number): Promise<Witnessed | undefined> {
  const q = db.selectFrom('witnessed_checkpoints').select(['size', 'root', 'note']).where('peer_id', '=', peerId);
  const r = await (size === undefined ? q.orderBy('size', 'desc') : q.where('size', '=', size)).limit(1).executeTakeFirst();
  return r && { size: r.size, root: new Uint8Array(r.root), note: r.note };
}

/**
 * The events alerts are kept by, each named by a checkpoint the peer signed:
 * `gone`, its log no longer reaches it (a rollback); `diverged`, its log no
 * longer holds it (a second root for its size or a smaller one, or a proof
 * that fails: one rewrite, however a check happens to find it).
 */
const eventOf = (event: 'gone' | 'diverged', cp: { size: number; root: Uint8Array }) => `${event}:${cp.size}:${toHex(cp.root)}`;

/** Whether the peer refused a consistency proof because a size is outside its tree (its answer to a well-formed request). */
const refusedAsBeyondItsTree = (e: unknown) => isCairnError(e, 'peer_response_invalid') && e.details?.peerCode === 'invalid_request';

const messageOf = (e: unknown) => (isCairnError(e) ? e.message : String(e));

/**
 * Check `note` from `peer` against what we witnessed before. Returns the
 * outcome; a forged note, a fork, a rewritten history or a rollback is
 * recorded as an alert (or counted on the alert already raised for it).
 */
export async function witnessCheckpoint(deps: WitnessDeps, peer: Peer, note: string | undefined): Promise<WitnessVerdict['outcome']> {
  return (await checkCheckpoint(deps, peer, note)).outcome;
}

/** {@link witnessCheckpoint}, with the alert it raised or found again, or why it could not check. */
export async function checkCheckpoint(deps: WitnessDeps, peer: Peer, note: string | undefined): Promise<WitnessVerdict> {
  if (note === undefined) return { outcome: 'none' };
  const c = peer.country;
  let cp: { size: number; root: Uint8Array };
  try {
    cp = openPeerCheckpoint(peer, note, deps.verify);
  } catch (e) {
    const event = `bad_signature:${toHex(sha256(utf8(note)))}`;
    return { outcome: 'alert', alert: await raise(deps, peer, 'bad_signature', event, `checkpoint from ${c} does not verify: ${messageOf(e)}`, { note }) };
  }
  const alert = async (kind: WitnessAlertKind, event: string, detail: string, evidence: Record<string, unknown>): Promise<WitnessVerdict> => ({
    outcome: 'alert',
    checkpoint: cp,
    alert: await raise(deps, peer, kind, event, detail, evidence),
  });
  const same = await storedCheckpoint(deps.db, peer.id, cp.size);
  if (same && equalBytes(same.root, cp.root)) return { outcome: 'known', checkpoint: cp };
  // Every stored checkpoint is consistent with the largest (each was checked against its neighbours when
  // stored), so one proof between it and the new checkpoint places the new one against them all.
  const top = await storedCheckpoint(deps.db, peer.id);
  if (!top) return store(deps, peer, cp, note);
  // The log no longer holds what we witnessed at this size, nor the largest checkpoint, which extends it.
  const fork = (stored: Witnessed) => alert('fork', eventOf('diverged', top), `${c} signed two different roots for tree size ${cp.size}`, { stored: stored.note, received: note });
  if (same && (cp.size === top.size || cp.size === 0)) return fork(same);
  // Every log extends the empty one: there is nothing to prove (RFC 9162 §2.1.4.2).
  if (cp.size === 0) return { outcome: 'known', checkpoint: cp };
  if (top.size === 0) return store(deps, peer, cp, note);
  const [older, newer] = cp.size < top.size ? [{ ...cp, note }, top] : [top, { ...cp, note }];
  let proof: z.infer<typeof consistencyAnswerSchema>;
  try {
    proof = await postSigned(deps, peer, '/federation/v1/audit/consistency', { from: older.size, to: newer.size }, consistencyAnswerSchema);
  } catch (e) {
    if (refusedAsBeyondItsTree(e)) {
      // The peer signed `newer` (we verified it) and cannot prove its log reaches it: the log went back.
      const shown = cp.size < top.size ? ` to ${cp.size}` : '';
      const detail = `${c}'s log went back from size ${newer.size}${shown}: it can no longer prove the checkpoint of size ${newer.size} it signed${newer === top ? ' and we witnessed' : ''} (a restored backup, or a log cut back)`;
      return alert('rollback', eventOf('gone', newer), detail, {
        witnessed: newer.note,
        received: note,
        ...(same ? { storedAtReceivedSize: same.note } : {}),
        refusal: messageOf(e),
      });
    }
    // Two roots for one size need no proof to be a fork.
    if (same) return fork(same);
    // Cannot check now: keep nothing, so the check happens next time.
    deps.logger.warn({ peer: peer.id, err: isCairnError(e) ? e.code : String(e) }, 'could not fetch a consistency proof');
    return { outcome: 'none', checkpoint: cp, unchecked: `could not fetch a proof that ${c}'s checkpoint of size ${cp.size} is consistent with the one of size ${top.size} we witnessed: ${messageOf(e)}` };
  }
  try {
    if (proof.size1 !== older.size || proof.size2 !== newer.size) throw new CairnError('proof_invalid', 'proof is for other sizes');
    verifyConsistency(older.size, newer.size, proof.hashes.map((h) => fromBase64(h, 'hashes')), older.root, newer.root);
  } catch (e) {
    if (same) return fork(same);
    const detail =
      newer === top
        ? `${c}'s checkpoint of size ${cp.size} is not a prefix of its log at size ${top.size} we witnessed: history was rewritten or forked`
        : `${c}'s log at size ${cp.size} is not an extension of its log at size ${top.size} we witnessed: history was rewritten or forked`;
    return alert('inconsistent', eventOf('diverged', top), detail, { older: older.note, newer: newer.note, proof: proof.hashes, error: messageOf(e) });
  }
  // A checkpoint below the largest one, consistent with it: an answer that arrived late. Nothing new to store or cosign.
  if (newer === top) return { outcome: 'known', checkpoint: cp };
  return store(deps, peer, cp, note);
}

/** Store a verified, consistent checkpoint. */
async function store(deps: WitnessDeps, peer: Peer, cp: { size: number; root: Uint8Array }, note: string): Promise<WitnessVerdict> {
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db
      .insertInto('witnessed_checkpoints')
      .values({ peer_id: peer.id, size: cp.size, root: cp.root, note, at: now.toISOString() })
      .onConflict((oc) => oc.columns(['peer_id', 'size']).doNothing())
      .compile(),
  ]);
  return { outcome: 'stored', checkpoint: cp };
}

const cosignatureAnswerSchema = z.object({ size: z.number().int() }).strict();

/**
 * Send `peer` our cosignature on a checkpoint of its log that we just
 * verified and stored (PROTOCOL.md §45), so its DPO holds evidence, signed
 * by someone else, of how far its log had grown. Failures are logged only:
 * the peer gets the next one.
 */
export async function returnCosignature(deps: WitnessDeps & { baseUrl: string }, peer: Peer, note: string): Promise<boolean> {
  try {
    const cosigned = await cosignCheckpoint(note, { baseUrl: deps.baseUrl, signer: deps.signer }, deps.clock.now());
    await postSigned(deps, peer, '/federation/v1/audit/cosignature', { checkpoint: cosigned }, cosignatureAnswerSchema);
    return true;
  } catch (e) {
    deps.logger.warn({ peer: peer.id, err: isCairnError(e) ? e.code : String(e) }, 'could not return a cosignature');
    return false;
  }
}
