/**
 * The node itself: its identity, its public keys, its signed descriptor and
 * whether its storage answers.
 */
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import { signDescriptor } from './descriptor.js';
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
}

/** Build the node service. */
export function createNodeService(deps: {
  db: Db;
  signer: Signer;
  oprfPublicKey: Uint8Array;
  /** The active OPRF epoch and its public key (read per call). */
  oprfKey?: () => Promise<{ epoch: number; publicKey: Uint8Array }>;
  matchKeyTypes: readonly string[];
  config: Config;
}): NodeService {
  const { config } = deps;
  let descriptor: DsseEnvelope | undefined;
  const byEpoch = new Map<number, DsseEnvelope>();
  return {
    async currentDescriptor(issuedAt) {
      if (!deps.oprfKey) return this.descriptor(issuedAt);
      const { epoch, publicKey } = await deps.oprfKey();
      let d = byEpoch.get(epoch);
      if (!d) {
        byEpoch.clear();
        d = signDescriptor({
          nodeId: config.node.id,
          country: config.node.country,
          name: config.node.name,
          baseUrl: config.node.url,
          signer: deps.signer,
          oprfPublicKey: publicKey,
          // Epoch 1 is implied: a node that never rotated publishes the descriptor it always did.
          ...(epoch > 1 ? { oprfEpoch: epoch } : {}),
          matchKeyTypes: deps.matchKeyTypes,
          // A new key is news: its descriptor is issued when it is first served.
          issuedAt: epoch === 1 ? issuedAt : new Date(),
        });
        byEpoch.set(epoch, d);
      }
      return d;
    },
    signer: deps.signer,
    oprfPublicKey: deps.oprfPublicKey,
    matchKeyTypes: deps.matchKeyTypes,
    descriptor: (issuedAt) =>
      (descriptor ??= signDescriptor({
        nodeId: config.node.id,
        country: config.node.country,
        name: config.node.name,
        baseUrl: config.node.url,
        signer: deps.signer,
        oprfPublicKey: deps.oprfPublicKey,
        matchKeyTypes: deps.matchKeyTypes,
        issuedAt,
      })),
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
  };
}
