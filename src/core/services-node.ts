/**
 * The node itself: its identity, its public keys, its signed descriptor and
 * whether its storage answers.
 */
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import { signDescriptor, type RetiringKey } from './descriptor.js';
import type { Clock } from './ports.js';
import type { DsseEnvelope } from './dsse.js';
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
  /** True if the database answers a trivial query; the error, if any, goes to `onError`. */
  databaseOk(onError?: (e: unknown) => void): Promise<boolean>;
}

/** Build the node service. */
export function createNodeService(deps: {
  db: Db;
  clock: Clock;
  signer: Signer;
  /** The retired signing key in its overlap: it cross-signs the descriptor. */
  retiring: (now: Date) => readonly RetiringKey[];
  oprfPublicKey: Uint8Array;
  matchKeyTypes: readonly string[];
  config: Config;
}): NodeService {
  const { config } = deps;
  // Signed once per set of keys: a rotation, or the end of its overlap, signs it anew.
  let cached: { keys: string; envelope: DsseEnvelope } | undefined;
  return {
    signer: deps.signer,
    oprfPublicKey: deps.oprfPublicKey,
    matchKeyTypes: deps.matchKeyTypes,
    descriptor(issuedAt) {
      const retiring = deps.retiring(deps.clock.now());
      const keys = [deps.signer.keyId, ...retiring.map((r) => `${r.signer.keyId}@${r.overlapUntil.toISOString()}`)].join(' ');
      if (cached?.keys === keys) return cached.envelope;
      const envelope = signDescriptor({
        nodeId: config.node.id,
        country: config.node.country,
        name: config.node.name,
        baseUrl: config.node.url,
        signer: deps.signer,
        ...(retiring.length ? { retiring } : {}),
        oprfPublicKey: deps.oprfPublicKey,
        matchKeyTypes: deps.matchKeyTypes,
        bucketBits: config.matching.bucketBits,
        // The first descriptor of a process is issued when it started; one after a rotation, now.
        issuedAt: cached === undefined ? issuedAt : deps.clock.now(),
      });
      cached = { keys, envelope };
      return envelope;
    },
    async databaseOk(onError) {
      try {
        await sql`select 1`.execute(deps.db);
        return true;
      } catch (e) {
        onError?.(e);
        return false;
      }
    },
  };
}
