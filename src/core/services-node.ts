/**
 * The node itself: its identity, its public keys, its signed descriptor and
 * whether its storage answers.
 */
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import { signDescriptor } from './descriptor.js';
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
export function createNodeService(deps: { db: Db; signer: Signer; oprfPublicKey: Uint8Array; matchKeyTypes: readonly string[]; config: Config }): NodeService {
  const { config } = deps;
  let descriptor: DsseEnvelope | undefined;
  return {
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
  };
}
