/**
 * Witnessing peers' logs. Every federation answer carries the peer's latest
 * checkpoint. We verify its signature with the peer's pinned key, and check
 * it is consistent with the largest checkpoint we stored before (fetching a
 * consistency proof from the peer). A consistent checkpoint is stored; an
 * inconsistent one (a peer that rewrote or forked its history) raises an
 * alert with the evidence, and never overwrites what we stored.
 */
import { z } from 'zod';
import type { AtomicWriter } from '../atomic.js';
import { equalBytes, fromBase64, toHex } from '../bytes.js';
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

/** Verify a peer's checkpoint note with its pinned key (`verify`: Cairn's Ed25519 rule, default portable); returns size and root. */
export function openPeerCheckpoint(peer: Peer, note: string, verify?: Ed25519Verify): { size: number; root: Uint8Array } {
  const cp = withAnyKey(exchangeKeys(peer), (key) => openCheckpoint(note, ed25519NoteVerifier(logVerifierKey(peer.baseUrl, key), verify), { origin: originOf(peer.baseUrl) }).checkpoint);
  return { size: cp.treeSize, root: cp.rootHash };
}

async function alert(deps: WitnessDeps, peer: Peer, kind: string, detail: string, evidence: Record<string, unknown>): Promise<void> {
  const id = `alert_${toHex(deps.random.bytes(10))}`;
  const now = deps.clock.now();
  deps.logger.error({ peer: peer.id, kind }, `witness alert: ${detail}`);
  await deps.atomic.run([
    deps.db.insertInto('witness_alerts').values({ id, at: now.toISOString(), peer_id: peer.id, kind, detail, evidence: JSON.stringify(evidence) }).compile(),
    appendStatement(deps.db, { type: 'witness.alert', actor: 'system', data: { alert: id, peer: peer.id, country: peer.country, kind, detail } }, now),
  ]);
}

/**
 * Check `note` from `peer` against what we witnessed before. Returns the
 * outcome; a forged note or an inconsistent history is recorded as an alert.
 */
export async function witnessCheckpoint(deps: WitnessDeps, peer: Peer, note: string | undefined): Promise<'stored' | 'known' | 'alert' | 'none'> {
  if (note === undefined) return 'none';
  let cp: { size: number; root: Uint8Array };
  try {
    cp = openPeerCheckpoint(peer, note, deps.verify);
  } catch (e) {
    await alert(deps, peer, 'bad_signature', `checkpoint from ${peer.country} does not verify: ${isCairnError(e) ? e.message : String(e)}`, { note });
    return 'alert';
  }
  const same = await deps.db.selectFrom('witnessed_checkpoints').selectAll().where('peer_id', '=', peer.id).where('size', '=', cp.size).executeTakeFirst();
  if (same) {
    if (equalBytes(new Uint8Array(same.root), cp.root)) return 'known';
    await alert(deps, peer, 'fork', `${peer.country} signed two different roots for tree size ${cp.size}`, { stored: same.note, received: note });
    return 'alert';
  }
  // The nearest stored checkpoints below and above the new one.
  const below = await deps.db.selectFrom('witnessed_checkpoints').selectAll().where('peer_id', '=', peer.id).where('size', '<', cp.size).orderBy('size', 'desc').limit(1).executeTakeFirst();
  const above = await deps.db.selectFrom('witnessed_checkpoints').selectAll().where('peer_id', '=', peer.id).where('size', '>', cp.size).orderBy('size').limit(1).executeTakeFirst();
  for (const [older, newer] of [
    [below && { size: below.size, root: new Uint8Array(below.root), note: below.note }, { ...cp, note }],
    [{ ...cp, note }, above && { size: above.size, root: new Uint8Array(above.root), note: above.note }],
  ] as const) {
    if (!older || !newer || older.size === 0) continue;
    let proof: z.infer<typeof consistencyAnswerSchema>;
    try {
      proof = await postSigned(deps, peer, '/federation/v1/audit/consistency', { from: older.size, to: newer.size }, consistencyAnswerSchema);
    } catch (e) {
      // Cannot check now: keep nothing, so the check happens next time.
      deps.logger.warn({ peer: peer.id, err: isCairnError(e) ? e.code : String(e) }, 'could not fetch a consistency proof');
      return 'none';
    }
    try {
      if (proof.size1 !== older.size || proof.size2 !== newer.size) throw new CairnError('proof_invalid', 'proof is for other sizes');
      verifyConsistency(older.size, newer.size, proof.hashes.map((h) => fromBase64(h, 'hashes')), older.root, newer.root);
    } catch (e) {
      await alert(deps, peer, 'inconsistent', `${peer.country}'s log at size ${newer.size} is not an extension of its log at size ${older.size}: history was rewritten or forked`, {
        older: older.note,
        newer: newer.note,
        proof: proof.hashes,
        error: isCairnError(e) ? e.message : String(e),
      });
      return 'alert';
    }
  }
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db
      .insertInto('witnessed_checkpoints')
      .values({ peer_id: peer.id, size: cp.size, root: cp.root, note, at: now.toISOString() })
      .onConflict((oc) => oc.columns(['peer_id', 'size']).doNothing())
      .compile(),
  ]);
  return 'stored';
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
