/**
 * Keeping our replicas of one peer's indexes in step (protocol/37-token-index.md
 * "Sync"): fetch the peer's signed heads (the categories its policy lets us
 * fetch), then per category either catch up with deltas or, for a missing,
 * stale or failed replica, transfer a full snapshot as of the head's version
 * page by page, check its root, and catch up from there.
 */
import {
  indexChangesWireSchema,
  indexHeadsResponseSchema,
  indexSnapshotPageSchema,
  type IndexHead,
} from '../../../../schemas/index.js';
import type { RecordCategory } from '../../../../schemas/records.js';
import { fromBase64Url } from '../../bytes.js';
import { FEDERATION, INDEX } from '../../constants.js';
import type { DsseEnvelope } from '../../dsse.js';
import { CairnError, isCairnError } from '../../errors.js';
import type { Logger } from '../../ports.js';
import { postSigned, type ClientDeps } from '../client.js';
import type { Peer } from '../peers.js';
import { ceilingOf, fits, reserve, type StatementBudget } from './budget.js';
import { ABANDON_STATEMENTS, BEGIN_STATEMENTS, deltaStatements, FINISH_STATEMENTS, pageShardsWithin, pageStatements, verifyHead, type ReplicaStore } from './replica.js';
import { CHANGE_BYTES } from './chain.js';
import { shardOf } from './fingerprint.js';
import { changesFromWire, isResync, type ReplicaStatus } from './types.js';

/** Paths of the index endpoints, under the cairn/2 prefix and media type like match and hits. */
export const INDEX_PATHS = {
  heads: `${FEDERATION.prefix}/index/heads`,
  changes: `${FEDERATION.prefix}/index/changes`,
  snapshot: `${FEDERATION.prefix}/index/snapshot`,
} as const;

export interface SyncDeps extends ClientDeps {
  replicas: ReplicaStore;
  logger: Logger;
  /**
   * Statements this sync may issue (a Worker invocation's D1 queries). A
   * sync that would exceed it stops between two pages or deltas, leaving
   * the replica `syncing`; the next sync resumes there. None on Node.
   */
  budget?: StatementBudget;
  /** Most fingerprints one replica may hold (default INDEX.maxReplicaCount): a larger head is refused before its first page. */
  maxReplicaCount?: number;
}

/** Progress of a sync, for the CLI and the console. */
export interface SyncProgress {
  peer: string;
  category: RecordCategory;
  phase: 'snapshot' | 'delta' | 'done';
  shardsDone: number;
  status?: ReplicaStatus;
}

/** Reads of one category's replica before its pages or deltas (its state, resume point, epoch; a mark on failure). */
const CATEGORY_READS = 4;
/** Statements a budgeted sync keeps back from its pages and deltas: the next category's reads, and the merge check after the sync. */
const UNIT_RESERVE = CATEGORY_READS + 2;

/** Most delta rounds in one catch-up before the next sync takes over. */
const MAX_DELTA_ROUNDS = 50;
/** Full syncs restarted because the peer compacted the version being fetched. */
const MAX_SNAPSHOT_RESTARTS = 3;

/**
 * Let the event loop run between two pages or deltas: storing one is a
 * synchronous transaction on Node, and a sync of many must not hold off
 * other requests (health checks, searches) for its whole length.
 */
const breathe = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** The peer's signed heads, verified. */
export async function fetchHeads(deps: SyncDeps, peer: Peer): Promise<Array<{ envelope: DsseEnvelope; head: IndexHead }>> {
  const res = await postSigned(deps, peer, INDEX_PATHS.heads, {}, indexHeadsResponseSchema, FEDERATION.mediaType);
  return res.heads.map((envelope) => ({ envelope: envelope as DsseEnvelope, head: verifyHead(peer, envelope, undefined, deps.verify) }));
}

/**
 * Ask the peer for changes of `category` since `sinceVersion`, and apply
 * them. A delta that would not fit the budget is left unapplied (it is
 * asked for again by the next sync); the replica stays where it was.
 */
async function catchUp(deps: SyncDeps, peer: Peer, category: RecordCategory, sinceVersion: number, onProgress?: (p: SyncProgress) => void, current: ReplicaStatus = 'ready'): Promise<ReplicaStatus> {
  let since = sinceVersion;
  let reached = current;
  for (let round = 0; round < MAX_DELTA_ROUNDS; round++) {
    if (round > 0) await breathe();
    if (!fits(deps.budget, deltaStatements(1))) return reached;
    const wire = await postSigned(deps, peer, INDEX_PATHS.changes, { category, sinceVersion: since }, indexChangesWireSchema, FEDERATION.mediaType);
    if (wire.category !== category) throw new CairnError('peer_response_invalid', `${peer.country}: changes for ${wire.category}, asked for ${category}`);
    const changes = changesFromWire(wire);
    if (isResync(changes)) {
      // Verifies the head; a ready replica is marked stale there. One between two deltas of a catch-up
      // is left `syncing` by an answer's resync (the answer did not know its version), but here we asked
      // from its own version: the owner compacted past it, or was restored from an older backup.
      const status = await deps.replicas.applyDelta(peer, changes);
      if (status !== 'syncing') return status;
      await deps.replicas.mark(peer.id, category, 'stale', `${peer.country}: the change log of ${category} no longer reaches back to version ${since}, where the catch-up stood; transferred anew`);
      return 'stale';
    }
    if ('changes' in changes && !fits(deps.budget, deltaStatements(changes.changes.length / CHANGE_BYTES))) {
      if (deps.budget !== undefined && deltaStatements(changes.changes.length / CHANGE_BYTES) > ceilingOf(deps.budget)) {
        // Never fits one run: a full transfer, which pages, replaces the replica.
        await deps.replicas.mark(peer.id, category, 'stale', `a delta of ${changes.changes.length / CHANGE_BYTES} changes needs more statements than one run may issue (${ceilingOf(deps.budget)})`);
        return 'stale';
      }
      return reached;
    }
    const status = await deps.replicas.applyDelta(peer, changes);
    reached = status;
    onProgress?.({ peer: peer.id, category, phase: 'delta', shardsDone: INDEX.shardCount, status });
    if (status !== 'syncing') return status;
    since = changes.toVersion;
  }
  return 'syncing';
}

/**
 * A page of shards up to `to` (sorted packed fingerprints) cut before its
 * `maxNonEmpty + 1`-th non-empty shard: the shards whose writes fit.
 */
export function shardsWithin(packed: Uint8Array, to: number, maxNonEmpty: number): { toShard: number; packed: Uint8Array } {
  const FP = INDEX.fingerprintBytes;
  let seen = 0;
  let last = -1;
  for (let off = 0; off < packed.length; off += FP) {
    const shard = shardOf(packed.subarray(off, off + FP));
    if (shard === last) continue;
    if (seen === maxNonEmpty) return { toShard: shard, packed: packed.subarray(0, off) };
    seen++;
    last = shard;
  }
  return { toShard: to, packed };
}

/**
 * Transfer a full snapshot of `category` as of `head`, check its root, and
 * catch up. `resume` continues a transfer that stopped between pages. With
 * a budget, each page is one block of shards, asked for only while it fits;
 * otherwise the transfer stops there (`syncing`) for the next sync.
 */
async function fullSync(
  deps: SyncDeps,
  peer: Peer,
  category: RecordCategory,
  first: { envelope: DsseEnvelope; head: IndexHead },
  onProgress?: (p: SyncProgress) => void,
  resume?: { replicaId: number; fromShard: number; received: number },
): Promise<ReplicaStatus> {
  let target = first;
  const cap = deps.maxReplicaCount ?? INDEX.maxReplicaCount;
  for (let restart = 0; ; restart++) {
    const start = restart === 0 ? resume : undefined;
    // Emptying a replica that no page could follow would only lose it sooner.
    if (start === undefined && !fits(deps.budget, BEGIN_STATEMENTS + pageStatements(1))) return 'stale';
    if (target.head.count > cap) {
      // Refused before any page: the head says how much a transfer would store.
      const message = `${peer.country}: the index of ${category} at version ${target.head.version} holds ${target.head.count} fingerprints, more than the ${cap} a replica may hold`;
      deps.logger.warn({ peer: peer.id, category, count: target.head.count, cap }, 'replica too large; not transferred');
      if (!fits(deps.budget, ABANDON_STATEMENTS)) throw new CairnError('index_invalid', message);
      await deps.replicas.abandonFull(peer.id, category, message);
      return 'error';
    }
    const replicaId = start?.replicaId ?? (await deps.replicas.beginFull(peer.id, category, target.envelope));
    // Fingerprints stored so far: never more than the head counts, whatever the pages say.
    let received = start?.received ?? 0;
    try {
      for (let from = start?.fromShard ?? 0; from < INDEX.shardCount; ) {
        if (from > (start?.fromShard ?? 0)) await breathe();
        // Without a budget the owner decides the page; with one, pages are one block.
        if (!fits(deps.budget, pageStatements(1))) return 'syncing';
        const to = deps.budget === undefined ? INDEX.shardCount : Math.min(INDEX.shardCount, from + INDEX.maxSnapshotShards);
        const page = await postSigned(deps, peer, INDEX_PATHS.snapshot, { category, version: target.head.version, fromShard: from, toShard: to }, indexSnapshotPageSchema, FEDERATION.mediaType);
        if (page.category !== category || page.version !== target.head.version || page.fromShard !== from || page.toShard <= from || page.toShard > to) {
          throw new CairnError('peer_response_invalid', `${peer.country}: snapshot page does not match the request (${page.category} v${page.version} shards ${page.fromShard}..${page.toShard})`);
        }
        const packed = fromBase64Url(page.fingerprints, 'fingerprints');
        if (packed.length !== page.count * INDEX.fingerprintBytes) throw new CairnError('index_invalid', `${peer.country}: snapshot page says ${page.count} fingerprints but holds ${packed.length} bytes`);
        if (received + page.count > target.head.count) {
          // A page holds the fingerprints of its shards only, so an honest transfer never passes the head's count.
          // Nothing of it is kept (a page costs at least ABANDON_STATEMENTS, so this fits where the page did).
          const message = `${peer.country}: snapshot of ${category} at version ${target.head.version}: ${received + page.count} fingerprints received by shard ${page.toShard}, more than the head's count ${target.head.count}; transfer abandoned`;
          deps.logger.warn({ peer: peer.id, category, version: target.head.version, count: target.head.count, received: received + page.count }, 'snapshot exceeds its head; abandoned');
          if (fits(deps.budget, ABANDON_STATEMENTS)) await deps.replicas.abandonFull(peer.id, category, message);
          else throw new CairnError('index_invalid', message);
          return 'error';
        }
        // Only the shards whose writes fit the budget are stored; the next sync asks for the rest again.
        const kept = deps.budget === undefined ? { toShard: page.toShard, packed } : shardsWithin(packed, page.toShard, pageShardsWithin(deps.budget.left()));
        if (kept.toShard <= from) return 'syncing';
        await deps.replicas.putPage(replicaId, from, kept.toShard, kept.packed);
        received += kept.packed.length / INDEX.fingerprintBytes;
        from = kept.toShard;
        onProgress?.({ peer: peer.id, category, phase: 'snapshot', shardsDone: from });
      }
    } catch (e) {
      // The peer compacted that version away mid-transfer: start again from its newest head.
      if (isCairnError(e) && e.details?.peerCode === 'index_resync' && restart < MAX_SNAPSHOT_RESTARTS) {
        const heads = await fetchHeads(deps, peer);
        const h = heads.find((x) => x.head.category === category);
        if (!h) {
          await deps.replicas.drop(peer.id, heads.map((x) => x.head.category));
          return 'stale';
        }
        target = h;
        continue;
      }
      throw e;
    }
    if (!fits(deps.budget, FINISH_STATEMENTS)) return 'syncing';
    const status = await deps.replicas.finishFull(peer, category, target.envelope);
    if (status !== 'ready') return status;
    return catchUp(deps, peer, category, target.head.version, onProgress);
  }
}

/**
 * Bring every replica of `peer` up to date; replicas of categories the peer
 * no longer lets us fetch are dropped. Failures are recorded per replica
 * (status `error` with its reason) and do not stop the other categories.
 */
export async function syncPeer(deps: SyncDeps, peer: Peer, onProgress?: (p: SyncProgress) => void): Promise<Partial<Record<RecordCategory, ReplicaStatus>>> {
  const heads = await fetchHeads(deps, peer);
  await deps.replicas.drop(peer.id, heads.map((h) => h.head.category));
  const out: Partial<Record<RecordCategory, ReplicaStatus>> = {};
  // Pages and deltas leave room for the next category's reads and the merge check after them.
  const units: SyncDeps = deps.budget === undefined ? deps : { ...deps, budget: reserve(deps.budget, UNIT_RESERVE) };
  for (const h of heads) {
    const category = h.head.category;
    // No room left to look at this replica: the next sync does.
    if (!fits(deps.budget, CATEGORY_READS)) break;
    try {
      let known = (await deps.replicas.states(peer.id)).find((s) => s.category === category);
      const epoch = h.head.epoch ?? 1;
      // A sync that a budget stopped part-way goes on where it stopped, within the head's OPRF epoch.
      let resume = known?.status === 'syncing' ? await deps.replicas.resumePoint(peer, category) : undefined;
      if (resume && (resume.kind === 'delta' ? resume.epoch : (resume.head.epoch ?? 1)) !== epoch) resume = undefined;
      // A head of another OPRF epoch: the replica is transferred anew, never patched across epochs.
      if (known && !resume && (await deps.replicas.epochOf(peer.id, category)) !== epoch) known = undefined;
      let status: ReplicaStatus;
      if (known?.status === 'ready' && known.version === h.head.version) status = 'ready';
      else if ((known?.status === 'ready' && known.version < h.head.version) || resume?.kind === 'delta') {
        status = await catchUp(units, peer, category, resume?.kind === 'delta' ? resume.version : known!.version, onProgress, known!.status);
        if (status === 'stale' || status === 'error') status = await fullSync(units, peer, category, h, onProgress);
      } else if (resume?.kind === 'snapshot') {
        status = await fullSync(units, peer, category, resume, onProgress, resume);
      } else status = await fullSync(units, peer, category, h, onProgress);
      out[category] = status;
    } catch (e) {
      const message = isCairnError(e) ? e.message : 'unexpected failure';
      deps.logger.warn({ peer: peer.id, category, code: isCairnError(e) ? e.code : 'internal' }, 'replica sync failed');
      await deps.replicas.mark(peer.id, category, 'error', message);
      out[category] = 'error';
    }
    onProgress?.({ peer: peer.id, category, phase: 'done', shardsDone: INDEX.shardCount, status: out[category]! });
  }
  return out;
}
