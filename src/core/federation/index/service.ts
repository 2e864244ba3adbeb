/**
 * The token index as one service (protocol/37-token-index.md): the owner side
 * (heads, deltas, snapshots of our indexes) and the searcher side (replicas
 * of peers' indexes, kept in step in the background). The composition root
 * builds one per node; HTTP routes, the CLI and the match exchange use it.
 */
import type { RecordCategory } from '../../../../schemas/records.js';
import type { ReplicaState } from '../../../../schemas/index.js';
import type { AtomicWriter } from '../../atomic.js';
import type { Db } from '../../db/schema.js';
import { INDEX } from '../../constants.js';
import { isCairnError } from '../../errors.js';
import { inFlight, isAbandoned, whileMoving, type InFlight } from '../../in-flight.js';
import type { Clock, Logger, Sha256 } from '../../ports.js';
import type { Signer } from '../../signing.js';
import type { ClientDeps } from '../client.js';
import { findPeer, listPeers, type Peer } from '../peers.js';
import { ceilingOf, fits, type StatementBudget } from './budget.js';
import { IndexOwner } from './owner.js';
import { mergeStatements, ReplicaStore } from './replica.js';
import { syncPeer, type SyncProgress } from './sync.js';
import type { IndexChanges, ReplicaStatus } from './types.js';

export interface IndexServiceDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  logger: Logger;
  signer: Signer;
  nodeId: string;
  /** How we reach peers (signed requests). */
  client: ClientDeps;
  /** Runs background work (Node: a floating promise; Workers: waitUntil). Default: floating, errors logged. */
  defer?: (task: Promise<void>) => void;
  /** Change-log window of our own indexes. */
  window?: { days: number; maxChanges: number };
  /** The active OPRF key epoch our heads name. */
  epoch?: () => Promise<number>;
  /** SHA-256 of replicas' shard, group and root hashes (default: the portable one). */
  sha256?: Sha256;
  /** Unmerged changes at which a replica is merged in the background (default INDEX.replicaMergeAt). */
  mergeAt?: number;
  /**
   * A fresh statement budget for each sync or merge the node starts on its
   * own (Workers: D1's queries per invocation; budget.ts). None: unbounded.
   */
  budget?: () => StatementBudget;
  /**
   * A sync, merge or replica lock that has not moved for this long was cut
   * off by the runtime and will never settle (Workers; in-flight.ts): it
   * is no longer joined or waited for. None: it is (Node).
   */
  abandonAfterMs?: number;
  /** Most fingerprints one replica of a peer's index may hold (default INDEX.maxReplicaCount). */
  maxReplicaCount?: number;
}

/** Most statements the compaction of one of our indexes issues (its head and state read, the floor found, the log cut). */
const COMPACT_STATEMENTS = 16;

/** The read of which replicas hold unmerged changes, with a statement to spare: a merge run costs this before any merge. */
const UNMERGED_READ_STATEMENTS = 2;

/** Reads a sync of one peer issues besides its units (the peer, its replicas' states, resume points and epochs), at most. */
const SYNC_OVERHEAD_STATEMENTS = 32;

/** Categories a peer may fetch of ours: those its policy allows for some purpose. */
export function fetchableCategories(peer: Peer): RecordCategory[] {
  const all = new Set<RecordCategory>();
  for (const cats of Object.values(peer.policy.purposes)) for (const c of cats ?? []) all.add(c);
  return [...all].sort();
}

/** The token index service of one node. */
export class IndexService {
  readonly owner: IndexOwner;
  readonly replicas: ReplicaStore;
  readonly #deps: IndexServiceDeps;
  readonly #running = new Map<string, InFlight<Partial<Record<RecordCategory, ReplicaStatus>>>>();
  readonly #merging = new Map<string, InFlight<void>>();

  constructor(deps: IndexServiceDeps) {
    this.#deps = deps;
    this.owner = new IndexOwner({ db: deps.db, atomic: deps.atomic, clock: deps.clock, signer: deps.signer, logger: deps.logger, nodeId: deps.nodeId, ...(deps.window ? { window: deps.window } : {}), ...(deps.epoch ? { epoch: deps.epoch } : {}), ...(deps.sha256 ? { sha256: deps.sha256 } : {}) });
    this.replicas = new ReplicaStore({
      db: deps.db,
      atomic: deps.atomic,
      clock: deps.clock,
      logger: deps.logger,
      ...(deps.client.verify ? { verify: deps.client.verify } : {}),
      ...(deps.sha256 ? { sha256: deps.sha256 } : {}),
      ...(deps.abandonAfterMs !== undefined ? { abandonAfterMs: deps.abandonAfterMs } : {}),
      ...(deps.maxReplicaCount !== undefined ? { maxReplicaCount: deps.maxReplicaCount } : {}),
    });
  }

  // --- owner side (used by the answer) ---

  /** Changes of our index of `category` since `sinceVersion`, at most `max` entries; `resync` when the window no longer reaches back that far. */
  changesSince(category: RecordCategory, sinceVersion: number, max?: number, version?: number): Promise<IndexChanges> {
    return this.owner.changesSince(category, sinceVersion, max, version);
  }

  /** Current version per category (for categories the peer's policy allows). */
  currentVersions(categories: readonly RecordCategory[]): Promise<Partial<Record<RecordCategory, number>>> {
    return this.owner.currentVersions(categories);
  }

  // --- searcher side (used by the search) ---

  /** Our replica versions of a peer's indexes (what the match request carries). */
  replicaVersions(peerId: string): Promise<Partial<Record<RecordCategory, number>>> {
    return this.replicas.replicaVersions(peerId);
  }

  /**
   * Apply a delta that came with an answer: verify the head signature (the
   * peer's pinned key), apply, verify the root. A replica left `stale`
   * (or `syncing` with more to come) gets a background sync.
   */
  async applyDelta(peer: Peer, delta: IndexChanges): Promise<ReplicaStatus> {
    return (await this.applyDeltas(peer, [delta]))[0]!;
  }

  /** applyDelta for each of an answer's deltas, in order (the replica store settles the empty ones together). */
  async applyDeltas(peer: Peer, deltas: readonly IndexChanges[]): Promise<ReplicaStatus[]> {
    const statuses = await this.replicas.applyDeltas(peer, deltas);
    if (statuses.some((s) => s === 'stale' || s === 'syncing')) this.schedule(peer.id);
    if (statuses.some((s, i) => s === 'ready' && 'changes' in deltas[i]! && deltas[i]!.changes.length > 0)) this.#mergeLater(peer.id, this.#deps.mergeAt ?? INDEX.replicaMergeAt);
    return statuses;
  }

  /**
   * Merge the verified changes of replicas (of one peer, or of all) with at
   * least `atLeast` of them into their shards, checking each against its
   * signed root. Failures leave the replica in `error` for the next sync.
   */
  async merge(atLeast = 1, peerId?: string, budget: StatementBudget | undefined = this.#deps.budget?.()): Promise<void> {
    if (!fits(budget, UNMERGED_READ_STATEMENTS)) return;
    for (const r of await this.replicas.unmerged(atLeast, peerId)) {
      const cost = mergeStatements(r.pending);
      if (budget !== undefined && cost > ceilingOf(budget)) {
        // More than one run could ever merge: a full transfer, which pages, replaces the replica.
        await this.replicas.mark(r.peer, r.category, 'stale', `${r.pending} unmerged changes need more statements than one run may issue (${ceilingOf(budget)}); the replica is transferred anew`);
        this.#deps.logger.warn({ peer: r.peer, category: r.category, pending: r.pending }, 'replica changes too many to merge in one run; it resyncs');
        continue;
      }
      // Left for a later run with more of its budget left.
      if (!fits(budget, cost)) continue;
      try {
        const status = await this.replicas.merge(r.peer, r.category);
        if (status === 'error') this.#deps.logger.warn({ peer: r.peer, category: r.category }, 'replica merge found a root mismatch; the next sync transfers it again');
      } catch (e) {
        this.#deps.logger.warn({ peer: r.peer, category: r.category, code: isCairnError(e) ? e.code : 'internal' }, 'replica merge failed');
      }
    }
  }

  /** A background merge of one peer's replicas once they hold `atLeast` unmerged changes. */
  #mergeLater(peerId: string, atLeast: number): void {
    const running = this.#merging.get(peerId);
    if (running !== undefined && !isAbandoned(running, this.#deps.abandonAfterMs)) return;
    const task = this.merge(atLeast, peerId)
      .catch((e: unknown) => this.#deps.logger.warn({ peer: peerId, code: isCairnError(e) ? e.code : 'internal' }, 'background replica merge failed'))
      .finally(() => {
        if (this.#merging.get(peerId) === work) this.#merging.delete(peerId);
      });
    const work = inFlight(task);
    this.#merging.set(peerId, work);
    if (this.#deps.defer) this.#deps.defer(task);
  }

  /** Which of these fingerprints the replica of `peerId` lists, per category; with each category's status. */
  lookup(peerId: string, categories: readonly RecordCategory[], fingerprints: readonly Uint8Array[], epoch?: number) {
    return this.replicas.lookup(peerId, categories, fingerprints, epoch);
  }

  /** Replica states for operators (CLI, console, API). */
  states(peerId?: string): Promise<ReplicaState[]> {
    return this.replicas.states(peerId);
  }

  /**
   * Sync one peer now (deduplicated: a sync already running is joined,
   * unless it has not moved for `abandonAfterMs`, when it starts afresh).
   * With a budget (default: the node's, if any) it stops where the budget
   * runs out, and the next sync resumes there.
   */
  async sync(peerIdOrCountry: string, onProgress?: (p: SyncProgress) => void, budget?: StatementBudget): Promise<Partial<Record<RecordCategory, ReplicaStatus>>> {
    const limit = this.#deps.abandonAfterMs;
    const running = this.#running.get(peerIdOrCountry);
    if (running !== undefined) {
      const joined = await whileMoving(running, limit);
      if (joined !== 'abandoned') return joined.value;
      // Another caller may have started it again while we waited.
      const current = this.#running.get(peerIdOrCountry);
      if (current !== undefined && current !== running) return this.sync(peerIdOrCountry, onProgress, budget);
      this.#deps.logger.warn({ peer: peerIdOrCountry }, 'replica sync abandoned by the runtime; starting it again');
    }
    let work: InFlight<Partial<Record<RecordCategory, ReplicaStatus>>> | undefined;
    const moved = (p: SyncProgress) => {
      if (work !== undefined) work.moved = Date.now();
      onProgress?.(p);
    };
    const task = (async () => {
      const peer = await findPeer(this.#deps.db, peerIdOrCountry);
      if (peer.status !== 'active') return {};
      const bound = budget ?? this.#deps.budget?.();
      const cap = this.#deps.maxReplicaCount;
      const out = await syncPeer({ ...this.#deps.client, replicas: this.replicas, logger: this.#deps.logger, ...(bound ? { budget: bound } : {}), ...(cap !== undefined ? { maxReplicaCount: cap } : {}) }, peer, moved);
      if (work !== undefined) work.moved = Date.now();
      await this.merge(this.#deps.mergeAt ?? INDEX.replicaMergeAt, peer.id, bound);
      return out;
    })().finally(() => {
      if (this.#running.get(peerIdOrCountry) === work) this.#running.delete(peerIdOrCountry);
    });
    work = inFlight(task);
    this.#running.set(peerIdOrCountry, work);
    return task;
  }

  /**
   * Sync one peer now, waiting at most `withinMs` (a search whose answer
   * found a replica missing or behind). True when the sync finished in
   * time; otherwise it goes on in the background and the search reports the
   * peer as still syncing.
   */
  async catchUp(peer: Peer, withinMs: number): Promise<boolean> {
    const task = this.sync(peer.id).then(
      () => true,
      (e: unknown) => {
        this.#deps.logger.warn({ peer: peer.id, code: isCairnError(e) ? e.code : 'internal' }, 'replica catch-up failed');
        return false;
      },
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), withinMs);
    });
    try {
      const done = await Promise.race([task, late]);
      if (!done && this.#deps.defer) this.#deps.defer(task.then(() => undefined));
      return done;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /** Start a sync of one peer in the background (after `peers add`, a policy change, or a stale replica). */
  schedule(peerIdOrCountry: string): void {
    const task = this.sync(peerIdOrCountry).then(
      () => undefined,
      (e: unknown) => {
        this.#deps.logger.warn({ peer: peerIdOrCountry, code: isCairnError(e) ? e.code : 'internal' }, 'background replica sync failed');
      },
    );
    if (this.#deps.defer) this.#deps.defer(task);
  }

  /** Start a background sync of every active peer (at start-up and periodically: heads, then deltas). */
  async scheduleAll(): Promise<void> {
    for (const p of await listPeers(this.#deps.db)) if (p.status === 'active') this.schedule(p.id);
  }

  /**
   * Sync every active peer in turn, waiting for each (Workers' cron
   * trigger), all within one budget (default: the node's, if any). Peers
   * whose replicas were touched longest ago go first, so that a large
   * transfer resumed run after run does not starve the others.
   */
  async syncAll(budget: StatementBudget | undefined = this.#deps.budget?.()): Promise<void> {
    const touched = new Map<string, string>();
    for (const r of await this.replicas.states()) if ((touched.get(r.peer) ?? '\uffff') > r.updatedAt) touched.set(r.peer, r.updatedAt);
    const peers = (await listPeers(this.#deps.db)).filter((p) => p.status === 'active');
    peers.sort((a, b) => (touched.get(a.id) ?? '').localeCompare(touched.get(b.id) ?? ''));
    for (const p of peers) {
      // A peer's heads and replica states cost reads before any page: none left for them, the next run goes on.
      if (!fits(budget, SYNC_OVERHEAD_STATEMENTS)) break;
      try {
        await this.sync(p.id, undefined, budget);
      } catch (e) {
        this.#deps.logger.warn({ peer: p.id, code: isCairnError(e) ? e.code : 'internal' }, 'replica sync failed');
      }
    }
  }

  /**
   * Compact the change log of each of our indexes to its window, and merge
   * every replica's verified changes into its shards, within a budget
   * (default: the node's, if any).
   */
  async compactAll(budget: StatementBudget | undefined = this.#deps.budget?.(), opts: { minIntervalMs?: number } = {}): Promise<void> {
    const rows = await this.#deps.db.selectFrom('index_state').select(['category', 'compacted_at']).execute();
    const nowS = Math.floor(this.#deps.clock.now().getTime() / 1000);
    for (const r of rows) {
      // A job run more often than compaction is worth (Workers' five-minute cron) compacts a category at most every `minIntervalMs`.
      if (opts.minIntervalMs !== undefined && nowS - r.compacted_at < opts.minIntervalMs / 1000) continue;
      if (!fits(budget, COMPACT_STATEMENTS)) break;
      await this.owner.compact(r.category as RecordCategory);
    }
    await this.merge(1, undefined, budget);
  }

  /** Forget our replicas of a peer (removed or revoked). */
  forget(peerId: string): Promise<void> {
    return this.replicas.drop(peerId);
  }
}

export type { IndexChanges, IndexDelta, IndexResync, ReplicaStatus } from './types.js';
export { indexFingerprint, INDEX_FINGERPRINT_BYTES } from './fingerprint.js';
