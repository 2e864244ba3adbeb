/**
 * The node itself: its identity, its public keys, its signed descriptor and
 * whether its storage answers.
 */
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import { signDescriptor, type RetiringKey } from './descriptor.js';
import { STORAGE } from './constants.js';
import type { Clock, StorageUsage, StoragePort } from './ports.js';
import type { DsseEnvelope } from './dsse.js';
import { nodeHealth, type NodeHealth } from './health.js';
import type { Signer } from './signing.js';

/** The node's identity and health. */
export interface NodeService {
  /** The node's Ed25519 signing key (its public half and key id are shown; it signs descriptors and answers). */
  signer: Signer;
  oprfPublicKey: Uint8Array;
  /** Match-key types this node derives and answers for. */
  matchKeyTypes: readonly string[];
  /** The node's descriptor (DSSE), signed once with `issuedAt`. */
  descriptor(issuedAt: Date): DsseEnvelope;
  /** The descriptor of the active OPRF epoch: signed again when an activation switched the key. */
  currentDescriptor(issuedAt: Date): Promise<DsseEnvelope>;
  /** True if the database answers a trivial query; the error, if any, goes to `onError`. */
  databaseOk(onError?: (e: unknown) => void): Promise<boolean>;
  /** Checkpoint age, uncovered entries, witness alerts and peer reachability, for monitoring. */
  health(now: Date): Promise<NodeHealth>;
  /** Room on the disk under the database, where the runtime sees it (Node); undefined on D1. */
  storage(): Promise<StorageUsage | undefined>;
}

/** How much room the node has: `full` when any write may fail now (STORAGE). */
export function storageState(u: StorageUsage): 'ok' | 'low' | 'full' {
  if (u.freeBytes < STORAGE.fullBelowBytes) return 'full';
  return u.freeBytes < STORAGE.lowBelowBytes ? 'low' : 'ok';
}

/** Build the node service. */
export function createNodeService(deps: {
  db: Db;
  clock: Clock;
  signer: Signer;
  /** The retired signing key in its overlap: it cross-signs the descriptor. */
  retiring: (now: Date) => readonly RetiringKey[];
  oprfPublicKey: Uint8Array;
  /** The active OPRF epoch and its public key (read per call). */
  oprfKey?: () => Promise<{ epoch: number; publicKey: Uint8Array }>;
  matchKeyTypes: readonly string[];
  config: Config;
  storage?: StoragePort;
}): NodeService {
  const { config } = deps;
  // Signed once per set of keys: a signing-key rotation, the end of its
  // overlap, or an OPRF activation signs it anew.
  let cached: { keys: string; envelope: DsseEnvelope } | undefined;
  const sign = (issuedAt: Date, oprf: { epoch: number; publicKey: Uint8Array }): DsseEnvelope => {
    const retiring = deps.retiring(deps.clock.now());
    const keys = [deps.signer.keyId, ...retiring.map((r) => `${r.signer.keyId}@${r.overlapUntil.toISOString()}`), `oprf${oprf.epoch}`].join(' ');
    if (cached?.keys === keys) return cached.envelope;
    const envelope = signDescriptor({
      nodeId: config.node.id,
      country: config.node.country,
      name: config.node.name,
      baseUrl: config.node.url,
      signer: deps.signer,
      ...(retiring.length ? { retiring } : {}),
      oprfPublicKey: oprf.publicKey,
      // Epoch 1 is implied: a node that never rotated publishes the descriptor it always did.
      ...(oprf.epoch > 1 ? { oprfEpoch: oprf.epoch } : {}),
      matchKeyTypes: deps.matchKeyTypes,
      // The first descriptor of a process is issued when it started; one after a rotation, now.
      issuedAt: cached === undefined ? issuedAt : deps.clock.now(),
    });
    cached = { keys, envelope };
    return envelope;
  };
  return {
    async currentDescriptor(issuedAt) {
      return sign(issuedAt, deps.oprfKey ? await deps.oprfKey() : { epoch: 1, publicKey: deps.oprfPublicKey });
    },
    signer: deps.signer,
    oprfPublicKey: deps.oprfPublicKey,
    matchKeyTypes: deps.matchKeyTypes,
    descriptor: (issuedAt) => sign(issuedAt, { epoch: 1, publicKey: deps.oprfPublicKey }),
    async databaseOk(onError) {
      try {
        await sql`select 1`.execute(deps.db);
        return true;
      } catch (e) {
        onError?.(e);
        return false;
      }
    },
    health: (now) => nodeHealth(deps.db, now),
    storage: async () => deps.storage?.usage(),
  };
}
