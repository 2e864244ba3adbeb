/**
 * The token index's wire format (protocol/37-token-index.md): signed heads,
 * deltas (every change between two versions, in order), full snapshots
 * paged by shard range. Both travel as one base64url string: a delta's
 * changes of 9 bytes each (op, fingerprint), a snapshot page's sorted,
 * concatenated 8-byte fingerprints.
 */
import { z } from 'zod';
import { INDEX } from '../src/core/constants.js';
import { dsseEnvelopeWire as dsseEnvelopeSchema } from './node.js';
import { base64url } from './common.js';
import { RECORD_CATEGORIES } from './records.js';

const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const category = z.enum(RECORD_CATEGORIES);

/** The payload of a signed index head (DSSE, application/vnd.cairn.index-head+json). */
export const indexHeadSchema = z
  .object({
    v: z.literal(1),
    node: z.string().min(1).max(128).describe('node id of the index owner'),
    category,
    version: version.describe('the owner\'s change sequence number of the last change in this index; 0 when empty and unchanged'),
    count: version.describe('fingerprints in the index (a multiset: equal tokens of two records count twice)'),
    root: base64url(32).describe('root over the shard and group hashes'),
    chain: base64url(32).describe('the change chain at this version: SHA-256 over every change of the index, in order (protocol/37 "Change chain")'),
    floor: version.describe('the oldest version a delta still starts from; older replicas resync fully'),
    epoch: z.number().int().min(2).optional().describe('the OPRF key epoch of the fingerprints (absent: 1); a replica of another epoch resyncs fully'),
    issuedAt: z.string(),
  })
  .strict()
  .meta({ id: 'IndexHead' });

export type IndexHead = z.infer<typeof indexHeadSchema>;

/** Signed heads of the categories this peer may fetch. */
export const indexHeadsResponseSchema = z
  .object({ heads: z.array(dsseEnvelopeSchema).max(RECORD_CATEGORIES.length) })
  .strict()
  .meta({ id: 'IndexHeads' });

/** Changes of one index since a version: every change in order, packed. */
export const indexDeltaWireSchema = z
  .object({
    category,
    head: dsseEnvelopeSchema,
    fromVersion: version,
    toVersion: version.describe('equal to the head\'s version when the delta is complete; smaller when more changes follow'),
    changes: base64url()
      .max(12_000_000)
      .describe('the changes after fromVersion up to toVersion, in order, 9 bytes each: op (0 remove, 1 add), then the 8-byte fingerprint'),
  })
  .strict()
  .meta({ id: 'IndexDelta' });

/** The owner can no longer build a delta from that version: resync fully. */
export const indexResyncWireSchema = z
  .object({ category, head: dsseEnvelopeSchema, resync: z.literal(true) })
  .strict()
  .meta({ id: 'IndexResync' });

export const indexChangesWireSchema = z.union([indexDeltaWireSchema, indexResyncWireSchema]);

/** Characters of the base64url (unpadded) of INDEX.maxDeltaChanges changes of 9 bytes: the most a delta on an answer carries. */
const ANSWER_DELTA_CHARS = Math.ceil((INDEX.maxDeltaChanges * 9 * 4) / 3);

/**
 * A delta riding on a match answer (protocol/35 "Match"): at most
 * INDEX.maxDeltaChanges changes, checked before anything of it is decoded
 * or applied; a peer that has more sends a delta that stops short
 * (`toVersion` below the head's) and the replica catches up with
 * /index/changes. A larger one makes the whole answer invalid.
 */
export const indexAnswerDeltaWireSchema = indexDeltaWireSchema.extend({
  changes: base64url()
    .max(ANSWER_DELTA_CHARS, `a delta on an answer carries at most ${INDEX.maxDeltaChanges} changes`)
    .describe(`the changes after fromVersion up to toVersion, in order, 9 bytes each (at most ${INDEX.maxDeltaChanges} on an answer)`),
}).meta({ id: 'IndexAnswerDelta' });

/** What a match answer carries per category: a delta of at most INDEX.maxDeltaChanges changes, or a resync. */
export const indexAnswerChangesWireSchema = z.union([indexAnswerDeltaWireSchema, indexResyncWireSchema]);
export type IndexDeltaWire = z.infer<typeof indexDeltaWireSchema>;
export type IndexResyncWire = z.infer<typeof indexResyncWireSchema>;

/** POST /federation/v2/index/changes */
/** `POST /federation/v2/index/heads`: an empty object. */
export const indexHeadsRequestSchema = z.object({}).strict();

export const indexChangesRequestSchema = z
  .object({ category, sinceVersion: version, max: z.number().int().min(1).max(1_000_000).optional() })
  .strict()
  .meta({ id: 'IndexChangesRequest' });

/** POST /federation/v2/index/snapshot: the shards [fromShard, toShard) of an index as of `version`. */
export const indexSnapshotRequestSchema = z
  .object({
    category,
    version,
    fromShard: z.number().int().min(0).max(65535),
    toShard: z.number().int().min(1).max(65536),
  })
  .strict()
  .refine((r) => r.toShard > r.fromShard, { message: 'toShard must be greater than fromShard', path: ['toShard'] })
  .meta({ id: 'IndexSnapshotRequest' });

export const indexSnapshotPageSchema = z
  .object({
    category,
    version,
    fromShard: z.number().int().min(0).max(65535),
    toShard: z.number().int().min(1).max(65536),
    count: z.number().int().min(0),
    fingerprints: base64url().describe('the shards\' fingerprints, sorted, concatenated (8 bytes each)'),
  })
  .strict()
  .meta({ id: 'IndexSnapshotPage' });

export type IndexSnapshotPage = z.infer<typeof indexSnapshotPageSchema>;

/** A replica's state, as operators see it. */
export const REPLICA_STATUSES = ['ready', 'syncing', 'stale', 'error'] as const;
export const replicaStateSchema = z
  .object({
    peer: z.string(),
    category,
    status: z.enum(REPLICA_STATUSES),
    version: version,
    count: z.number().int(),
    shardsDone: z.number().int().describe('progress of a full sync, out of 65536 shards'),
    error: z.string().nullable(),
    updatedAt: z.string(),
  })
  .meta({ id: 'ReplicaState' });
export type ReplicaState = z.infer<typeof replicaStateSchema>;
