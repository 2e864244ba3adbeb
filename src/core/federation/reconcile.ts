/**
 * Receipts reconciliation: prove, with inclusion proofs against a checkpoint
 * the peer signed, that every search we sent a peer is in that peer's log
 * at the index the peer gave us when it answered, and list any that are not.
 * When the checkpoint fails witnessing (the peer's log went back, forked, or
 * could not be checked), a search not proven is listed with that cause: an
 * entry that is no longer ours, or an index beyond a log that shrank, is the
 * rollback's doing, not the entry's.
 */
import { z } from 'zod';
import { equalBytes, fromBase64 } from '../bytes.js';
import { isCairnError } from '../errors.js';
import { postSigned } from './client.js';
import type { Peer } from './peers.js';
import { leafHashOf } from '../audit/entry.js';
import { verifyInclusion } from '../audit/merkle/index.js';
import { checkCheckpoint, openPeerCheckpoint, type WitnessAlert, type WitnessDeps } from './witness.js';

const checkpointAnswer = z.object({ checkpoint: z.string().max(4096) }).strict();
const inclusionAnswer = z
  .object({ leafIndex: z.number().int(), treeSize: z.number().int(), leafHash: z.string().max(64), hashes: z.array(z.string().max(64)).max(128), entry: z.string().max(1_000_000).nullable() })
  .strict();

export interface ReconcileReport {
  peer: { id: string; country: string };
  checkpointSize: number;
  /** The witnessing outcome of the peer's checkpoint: stored, known, alert or none. */
  witness: string;
  /** With witness `alert`: the alert this check raised, or found again (rollback, fork, inconsistent). */
  alert: WitnessAlert | null;
  /** With witness `none`: why the checkpoint could not be checked against what we witnessed (the peer was unreachable, …). */
  unchecked: string | null;
  checked: number;
  proven: number;
  missing: { searchId: string; index: number | null; reason: string }[];
}

/** Reconcile our searches to `peer` against its log. `self` names us as the peer sees us. */
export async function reconcile(deps: WitnessDeps, peer: Peer, self: { nodeId: string; country: string }): Promise<ReconcileReport> {
  const { checkpoint } = await postSigned(deps, peer, '/federation/v1/audit/checkpoint', {}, checkpointAnswer);
  const verdict = await checkCheckpoint(deps, peer, checkpoint);
  const cp = verdict.checkpoint ?? openPeerCheckpoint(peer, checkpoint, deps.verify);
  const rows = await deps.db
    .selectFrom('search_results')
    .innerJoin('searches', 'searches.id', 'search_results.search_id')
    .select(['search_results.search_id', 'search_results.peer_log_index', 'search_results.status'])
    .where('search_results.peer_id', '=', peer.id)
    .where('search_results.status', 'in', ['hit', 'no_hit'])
    .orderBy('searches.created_at')
    .execute();
  const report: ReconcileReport = {
    peer: { id: peer.id, country: peer.country },
    checkpointSize: cp.size,
    witness: verdict.outcome,
    alert: verdict.alert ?? null,
    unchecked: verdict.unchecked ?? null,
    checked: rows.length,
    proven: 0,
    missing: [],
  };
  // Why the checkpoint cannot be trusted, if it cannot: the cause of any search it does not prove.
  // The alert's first clause names it ("XB's log went back from size 19 to 17"); the rest is in the alert.
  const cause = verdict.alert ? `${verdict.alert.kind}: ${verdict.alert.detail.split(': ')[0]}` : verdict.unchecked ? `not witnessed: ${verdict.unchecked}` : undefined;
  const actor = `peer:${self.country}:${self.nodeId}`;
  for (const r of rows) {
    const index = r.peer_log_index;
    const miss = (reason: string) => report.missing.push({ searchId: r.search_id, index, reason: cause ? `${reason} (${cause})` : reason });
    /** An entry that is not this search's record: after a rollback or fork, the log no longer holds it there. */
    const notOurs = (reason: string) => miss(cause ? `the peer's log no longer holds this search at index ${index}` : reason);
    if (index === null) {
      miss('the peer gave no log index when it answered');
      continue;
    }
    if (index >= cp.size) {
      miss(`index ${index} is beyond the peer's checkpoint (size ${cp.size})`);
      continue;
    }
    try {
      const p = await postSigned(deps, peer, '/federation/v1/audit/inclusion', { index, size: cp.size }, inclusionAnswer);
      const leaf = fromBase64(p.leafHash, 'leafHash');
      if (p.entry === null) {
        notOurs(`entry ${index} is not ours, or its payload was pruned`);
        continue;
      }
      if (!equalBytes(leafHashOf(p.entry), leaf)) {
        miss(`entry ${index} does not hash to the leaf the peer proves`);
        continue;
      }
      verifyInclusion(index, cp.size, leaf, p.hashes.map((h) => fromBase64(h, 'hashes')), cp.root);
      const e = JSON.parse(p.entry) as { type?: string; actor?: string; data?: { searchId?: string } };
      if (e.type !== 'match.incoming' || e.actor !== actor || e.data?.searchId !== r.search_id) {
        notOurs(`entry ${index} is not the record of this search (${e.type ?? '?'} by ${e.actor ?? '?'})`);
        continue;
      }
      report.proven++;
    } catch (e) {
      miss(isCairnError(e) ? `${e.code}: ${e.message}` : String(e));
    }
  }
  return report;
}
