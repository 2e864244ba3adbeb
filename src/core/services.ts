/**
 * The composition root: the one place that turns the runtime's ports and
 * the node's configuration into the use cases, each with its instance state
 * (the audit log's integration lock and checkpoint cache, the peers' rate
 * and budget reservations, the replay-nonce store). The Node server, every Node CLI command
 * and the Workers entry call `createServices`; delivery (HTTP routes, the
 * console) receives the result and never reaches storage itself.
 *
 *   runtime (src/node, src/workers) ── ports + config ──▶ createServices
 *        │                                                    │
 *        └── delivery (src/http) ◀──────── services ──────────┘
 */
import type { AtomicWriter } from './atomic.js';
import { createAuditLog } from './audit/log.js';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import type { OprfClient } from './federation/client.js';
import type { StatementBudget } from './federation/index/budget.js';
import type { IndexOwner, OprfEvaluator } from './federation/answer.js';
import { dbNonceStore } from './federation/nonce-store-db.js';
import { PeerReservations } from './federation/policy.js';
import type { NonceStore } from './federation/replay.js';
import { blindEvaluateBatch, createPortableTokenBackend, oprfPublicKey as derivePublicKey, type TokenBackend } from './oprf/index.js';
import { MATCH_KEY_TYPE_NAMES } from './identity/index.js';
import type { Clock, Logger, Random, Sha256, StoragePort } from './ports.js';
import { deriveFingerprintKey } from './records/importer.js';
import { RetentionProbe } from './records/manage.js';
import { createAuditService, type AuditService } from './services-audit.js';
import { createAnswerService, createPeerService, createSearchService, createWitnessService, type AnswerService, type PeerService, type SearchService, type WitnessService } from './services-federation.js';
import { createNodeService, type NodeService } from './services-node.js';
import { createRecordService, type RecordService } from './services-records.js';
import { createSessionService, createUserService, type SessionService, type UserService } from './services-users.js';
import type { Ed25519Verify, Signer } from './signing.js';
import { IndexService } from './federation/index/service.js';
import { followPeerOprfKey } from './federation/peers.js';
import { EpochEngines, type ClosableEvaluator } from './keys/oprf-engines.js';
import { fixedKeyStore, OprfEpochs, type OprfKeyStore } from './keys/oprf-epochs.js';
import { PeerKeyFollower } from './federation/key-rotation.js';
import type { Peer } from './federation/peers.js';
import type { RetiringKey } from './descriptor.js';
import { createKeyService, type KeyService } from './services-keys.js';

/** What a runtime provides: storage, time, randomness, logging, keys and its fast paths. */
export interface Ports {
  db: Db;
  /** Atomic multi-statement writes (SQLite transaction / D1 batch). */
  atomic: AtomicWriter;
  /**
   * The same for a unit that rewrites a whole table (an OPRF activation), run
   * where it does not stop the node serving (Node: a worker thread with its
   * own connection). Default: `atomic`.
   */
  bulkAtomic?: AtomicWriter;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** The node's Ed25519 signing key (on Node a live view that follows `cairn keys rotate signing`). */
  signer: Signer;
  /**
   * The signing key a rotation retired, while its overlap runs at `now`: it
   * cross-signs the descriptor, and requests addressed to it are still
   * accepted (protocol/32-key-rotation.md). Default: none.
   */
  retiringKeys?: (now: Date) => readonly RetiringKey[];
  /** When the runtime knows it: when each key was created (key files' times), for `keys status` and /metrics. */
  keyCreatedAt?: () => { signing?: Date; oprf?: Date };
  /** The node's RFC 9497 secret key (never logged, never in a response). */
  oprfSecretKey: Uint8Array;
  /** SHA-256 for the index's bulk hashing (default: the portable one). */
  sha256?: Sha256;
  /** Bulk tokenisation of imports (default: the portable path on this thread). */
  tokenBackend?: TokenBackend;
  /** Blind evaluation for peers (default: the portable path). */
  evaluator?: OprfEvaluator;
  /** Where the OPRF secret keys of every epoch live (default: only `oprfSecretKey`, no rotation). */
  oprfKeys?: OprfKeyStore;
  /** Builds the evaluator of another epoch's key (default: the portable path). */
  evaluatorFor?: (secretKey: Uint8Array, publicKey: Uint8Array) => Promise<ClosableEvaluator> | ClosableEvaluator;
  /** Builds the import tokeniser of another epoch's key (default: the portable path). */
  tokenBackendFor?: (secretKey: Uint8Array) => Promise<TokenBackend> | TokenBackend;
  /** Blinding and finalization when we search (default: the portable path). */
  oprfClient?: OprfClient;
  /** Ed25519 verification of peers' signatures (default: noble). */
  ed25519Verify?: Ed25519Verify;
  /** Outgoing HTTP (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Replay protection store (default: the database). */
  nonceStore?: NonceStore;
  /** How the background checkpointer waits before signing (default: not at all; the runtime's timer paces it). */
  sleep?: (ms: number) => Promise<void>;
  /** Runs work a response need not wait for (default: none; such work is awaited). */
  defer?: (task: Promise<void>) => void;
  /**
   * A number that changes whenever another connection (the CLI, a second
   * `serve`) commits to the database, and not for this process's own writes
   * (SQLite's PRAGMA data_version). With it, what every answer reads but
   * only other processes or this process's own key and record use cases
   * change (the active OPRF epoch, whether a record is past retention today)
   * is read once and kept until it changes. Without it (D1: isolates share
   * no such counter), they are read every time.
   */
  dataVersion?: () => number;
  /** The disk under the database, where the runtime sees it (Node): /healthz and /metrics report its room. Default: none. */
  storage?: StoragePort;
  /** A statement budget for each replica sync or merge the node starts (Workers: D1's queries per invocation; default: none). */
  replicaBudget?: () => StatementBudget;
  /**
   * Replica work that has not moved for this long was cut off by the
   * runtime, which abandons its promise (Workers): later syncs, merges and
   * writers of the replica stop waiting for it (in-flight.ts). Default:
   * none, they wait.
   */
  abandonAfterMs?: number;
}

/** Every use case of one node. */
export interface Services {
  config: Config;
  node: NodeService;
  records: RecordService;
  searches: SearchService;
  answers: AnswerService;
  peers: PeerService;
  witness: WitnessService;
  audit: AuditService;
  users: UserService;
  sessions: SessionService;
  /** Token indexes: ours (owner side) and our replicas of peers' (searcher side). */
  index: IndexService;
  /** OPRF key epochs: rotate, re-import, activate (protocol/38-key-epochs.md). */
  oprfEpochs: OprfEpochs;
  /** Each epoch's evaluator and tokeniser. */
  oprfEngines: EpochEngines;
  /** The node's keys: ages, due dates, signing-key history. */
  keys: KeyService;
}

/** The portable evaluator: noble, one batch DLEQ proof. */
export function portableEvaluator(secretKey: Uint8Array, publicKey: Uint8Array): OprfEvaluator {
  return { blindEvaluateBatch: async (blinded) => blindEvaluateBatch(secretKey, publicKey, blinded) };
}

/** Build the node's services from its ports and configuration. */
export function createServices(ports: Ports, config: Config): Services {
  const { db, atomic, clock, random, logger, signer } = ports;
  const oprfPublicKey = derivePublicKey(ports.oprfSecretKey);
  const oprfEpochs = new OprfEpochs({ db, atomic, ...(ports.bulkAtomic ? { bulkAtomic: ports.bulkAtomic } : {}), clock, logger, store: ports.oprfKeys ?? fixedKeyStore([ports.oprfSecretKey]), ...(ports.dataVersion ? { dataVersion: ports.dataVersion } : {}) });
  const retention = new RetentionProbe(db, ports.dataVersion);
  oprfEpochs.onActivated(() => retention.changed());
  const oprfEngines = new EpochEngines(oprfEpochs, {
    evaluatorFor: ports.evaluatorFor ?? ((sk, pk) => portableEvaluator(sk, pk)),
    backendFor: ports.tokenBackendFor ?? ((sk) => createPortableTokenBackend(sk)),
    prebuilt: { secretKey: ports.oprfSecretKey, ...(ports.evaluator ? { evaluator: ports.evaluator } : {}), ...(ports.tokenBackend ? { backend: ports.tokenBackend } : {}) },
  });
  const activeEpoch = async () => (await oprfEpochs.activeEpoch()).epoch;
  const fetchFn = ports.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const store = { db, atomic, clock };
  const log = createAuditLog({ ...store, signer, baseUrl: config.node.url, ...(ports.ed25519Verify ? { verify: ports.ed25519Verify } : {}) });
  const retiring = (now: Date) => ports.retiringKeys?.(now) ?? [];
  const follower = new PeerKeyFollower({ ...store, logger, fetch: fetchFn, timeoutMs: config.federation.timeoutMs });
  const client = {
    followKey: (peer: Peer, keyId: string | undefined) => follower.followResponseKey(peer, keyId),
    ...(ports.oprfClient ? { oprf: ports.oprfClient } : {}),
    signer,
    ...(ports.ed25519Verify ? { verify: ports.ed25519Verify } : {}),
    ...(ports.sha256 ? { sha256: ports.sha256 } : {}),
    clock,
    random,
    fetch: fetchFn,
    timeoutMs: config.federation.timeoutMs,
    maxResponseBytes: config.federation.maxResponseBytes,
  };
  const self = { nodeId: config.node.id, country: config.node.country };
  const witness = createWitnessService({ ...client, db, atomic, logger }, { ...self, baseUrl: config.node.url }, { intervalMs: config.federation.witnessIntervalMs });
  const index = new IndexService({ ...store, logger, signer, nodeId: config.node.id, client, epoch: activeEpoch, ...(ports.defer ? { defer: ports.defer } : {}), ...(ports.sha256 ? { sha256: ports.sha256 } : {}), ...(ports.replicaBudget ? { budget: ports.replicaBudget } : {}), ...(ports.abandonAfterMs !== undefined ? { abandonAfterMs: ports.abandonAfterMs } : {}) });
  /** Our index as the answer needs it: a searcher without a replica of a category gets the head only. */
  const indexOwner: IndexOwner = {
    changesSince: (category, sinceVersion, max, version) => index.changesSince(category, sinceVersion, max, version),
    currentVersions: (categories) => index.currentVersions(categories),
    resync: async (category) => ({ category, head: (await index.owner.head(category)).envelope, resync: true }),
  };
  const peers = createPeerService({ ...store, fetch: fetchFn, ownNodeId: config.node.id, timeoutMs: config.federation.timeoutMs, follower });
  const searches = createSearchService({
    ...client,
    db,
    atomic,
    logger,
    replicas: index,
    catchUpMs: config.federation.replicaCatchUpMs,
    followOprfKey: (peer, epoch) => followPeerOprfKey({ ...store, fetch: fetchFn, timeoutMs: config.federation.timeoutMs }, peer, epoch),
    witness: async (peer, note) => {
      await witness.witness(peer, note);
    },
    ...(ports.defer ? { defer: ports.defer } : {}),
    phoneCountry: config.node.country,
  });
  const answers = createAnswerService({
    ...store,
    random,
    logger,
    signer,
    evaluator: ports.evaluator ?? portableEvaluator(ports.oprfSecretKey, oprfPublicKey),
    epochs: () => oprfEngines.answering(),
    reservations: new PeerReservations(store),
    index: indexOwner,
    self,
    checkpoint: async () => (await log.latestCheckpoint(config.audit.checkpointIntervalMs)).note,
    expired: (now) => retention.expired(now),
  }, {
    nonceStore: ports.nonceStore ?? dbNonceStore(db),
    ...(ports.ed25519Verify ? { verify: ports.ed25519Verify } : {}),
    ...(ports.sha256 ? { sha256: ports.sha256 } : {}),
    ownKeyIds: () => [signer.keyId, ...retiring(clock.now()).map((r) => r.signer.keyId)],
    followKey: (keyId) => follower.followRequestKey(keyId),
  });
  const records = createRecordService(
    {
      ...store,
      backend: ports.tokenBackend ?? createPortableTokenBackend(ports.oprfSecretKey),
      fingerprintKey: deriveFingerprintKey(ports.oprfSecretKey),
    },
    { searchOnRegistration: config.federation.searchOnRegistration, searches },
    { phoneCountry: config.node.country },
    {
      importing: () => oprfEngines.importing(),
      pendingImport: () => oprfEngines.pendingImport(),
    },
  );
  return {
    config,
    node: createNodeService({ db, clock, signer, retiring, oprfPublicKey, oprfKey: () => oprfEpochs.activeEpoch(), matchKeyTypes: MATCH_KEY_TYPE_NAMES, config, ...(ports.storage ? { storage: ports.storage } : {}) }),
    records,
    searches,
    answers,
    peers,
    witness,
    audit: createAuditService({ ...store, log, config, signer, logger, ...(ports.sleep ? { sleep: ports.sleep } : {}), ...(ports.ed25519Verify ? { verify: ports.ed25519Verify } : {}) }),
    users: createUserService({ ...store, random }),
    sessions: createSessionService({ ...store, random }),
    index,
    oprfEpochs,
    oprfEngines,
    keys: createKeyService({ db, clock, signer, oprfPublicKey, oprfKey: () => oprfEpochs.activeEpoch(), retiring, config, ...(ports.keyCreatedAt ? { createdAt: ports.keyCreatedAt } : {}) }),
  };
}
