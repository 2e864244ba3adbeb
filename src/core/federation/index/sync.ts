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
import { verifyHead, type ReplicaStore } from './replica.js';
import { changesFromWire, type ReplicaStatus } from './types.js';

/** Paths of the index endpoints, under the cairn/2 prefix and media type like match and hits. */
export const INDEX_PATHS = {
  heads: `${FEDERATION.prefix}/index/heads`,
  changes: `${FEDERATION.prefix}/index/changes`,
  snapshot: `${FEDERATION.prefix}/index/snapshot`,
} as const;

export interface SyncDeps extends ClientDeps {
  replicas: ReplicaStore;
  logger: Logger;
}

/** Progress of a sync, for the CLI and the console. */
export interface SyncProgress {
  peer: string;
  category: RecordCategory;
  phase: 'snapshot' | 'delta' | 'done';
  shardsDone: number;
  status?: ReplicaStatus;
}

/** Most delta rounds in one catch-up before the next sync takes over. */
const MAX_DELTA_ROUNDS = 50;
/** Full syncs restarted because the peer compacted the version being fetched. */
const MAX_SNAPSHOT_RESTARTS = 3;

/** The peer's signed heads, verified. */
export async function fetchHeads(deps: SyncDeps, peer: Peer): Promise<Array<{ envelope: DsseEnvelope; head: IndexHead }>> {
  const res = await postSigned(deps, peer, INDEX_PATHS.heads, {}, indexHeadsResponseSchema, FEDERATION.mediaType);
  return res.heads.map((envelope) => ({ envelope: envelope as DsseEnvelope, head: verifyHead(peer, envelope, undefined, deps.verify) }));
}

/** Ask the peer for changes of `category` since `sinceVersion`, and apply them. */
async function catchUp(deps: SyncDeps, peer: Peer, category: RecordCategory, sinceVersion: number, onProgress?: (p: SyncProgress) => void): Promise<ReplicaStatus> {
  let since = sinceVersion;
  for (let round = 0; round < MAX_DELTA_ROUNDS; round++) {
    const wire = await postSigned(deps, peer, INDEX_PATHS.changes, { category, sinceVersion: since }, indexChangesWireSchema, FEDERATION.mediaType);
    if (wire.category !== category) throw new CairnError('peer_response_invalid', `${peer.country}: changes for ${wire.category}, asked for ${category}`);
    const changes = changesFromWire(wire);
    const status = await deps.replicas.applyDelta(peer, changes);
    onProgress?.({ peer: peer.id, category, phase: 'delta', shardsDone: INDEX.shardCount, status });
    if (status !== 'syncing' || 'resync' in changes) return status;
    since = changes.toVersion;
  }
  return 'syncing';
}

/** Transfer a full snapshot of `category` as of `head`, check its root, and catch up. */
async function fullSync(deps: SyncDeps, peer: Peer, category: RecordCategory, first: { envelope: DsseEnvelope; head: IndexHead }, onProgress?: (p: SyncProgress) => void): Promise<ReplicaStatus> {
  let target = first;
  for (let restart = 0; ; restart++) {
    const replicaId = await deps.replicas.beginFull(peer.id, category);
    try {
      for (let from = 0; from < INDEX.shardCount; ) {
        const to = INDEX.shardCount;
        const page = await postSigned(deps, peer, INDEX_PATHS.snapshot, { category, version: target.head.version, fromShard: from, toShard: to }, indexSnapshotPageSchema, FEDERATION.mediaType);
        if (page.category !== category || page.version !== target.head.version || page.fromShard !== from || page.toShard <= from || page.toShard > to) {
          throw new CairnError('peer_response_invalid', `${peer.country}: snapshot page does not match the request (${page.category} v${page.version} shards ${page.fromShard}..${page.toShard})`);
        }
        const packed = fromBase64Url(page.fingerprints, 'fingerprints');
        if (packed.length !== page.count * INDEX.fingerprintBytes) throw new CairnError('index_invalid', `${peer.country}: snapshot page says ${page.count} fingerprints but holds ${packed.length} bytes`);
        await deps.replicas.putPage(replicaId, from, page.toShard, packed);
        from = page.toShard;
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
  for (const h of heads) {
    const category = h.head.category;
    try {
      let known = (await deps.replicas.states(peer.id)).find((s) => s.category === category);
      // A head of another OPRF epoch: the replica is transferred anew, never patched across epochs.
      if (known && (await deps.replicas.epochOf(peer.id, category)) !== (h.head.epoch ?? 1)) known = undefined;
      let status: ReplicaStatus;
      if (known?.status === 'ready' && known.version === h.head.version) status = 'ready';
      else if (known?.status === 'ready' && known.version < h.head.version) {
        status = await catchUp(deps, peer, category, known.version, onProgress);
        if (status === 'stale' || status === 'error') status = await fullSync(deps, peer, category, h, onProgress);
      } else status = await fullSync(deps, peer, category, h, onProgress);
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
