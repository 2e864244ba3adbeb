/**
 * The federation wire format between nodes, and the analyst's search API.
 * Byte strings are base64url without padding; elements are RFC 9497
 * serialisations (32-byte ristretto255 points, 64-byte DLEQ proof).
 * See PROTOCOL.md, "Federation".
 */
import { z } from 'zod';
import { FEDERATION, INDEX, MATCH_KEYS, OPRF } from '../src/core/constants.js';
import { TOKEN_CONFIRM_BYTES } from '../src/core/records/token-layout.js';
import { base64url, countryCode, timestamp } from './common.js';
import { indexAnswerChangesWireSchema } from './index.js';
import { dsseEnvelopeWire } from './node.js';
import { isoDate, peerText, RECORD_CATEGORIES, RECORD_TEXT } from './records.js';

export const PURPOSES = [
  'victim_identification',
  'missing_child_tracing',
  'criminal_investigation',
  'offender_risk_check',
  'child_protection_assessment',
] as const;

export const purposeSchema = z.enum(PURPOSES, { error: `must be one of ${PURPOSES.join(', ')}` });
export type Purpose = z.infer<typeof purposeSchema>;

const noControl = /^[^\p{Cc}]*$/u;
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).regex(noControl, 'must not contain control characters');

/** Why and under which case a search is made: carried by every search. */
export const searchContextSchema = z.object({
  purpose: purposeSchema,
  legalBasis: text(500).describe('the legal basis of the search, as text'),
  caseReference: text(128).describe('the searching unit\'s case reference'),
});

/** Most elements one match request may carry (the largest padded size). */
export const MAX_MATCH_ELEMENTS: number = Math.max(...FEDERATION.paddedSizes);

/** Per-peer policy: which of our categories each purpose may match. Deny by default. */
export const peerPolicySchema = z
  .object({
    purposes: z.partialRecord(purposeSchema, z.array(z.enum(RECORD_CATEGORIES)).max(RECORD_CATEGORIES.length)),
    /** Match requests per minute. */
    ratePerMinute: z.number().int().min(0).max(100_000).default(60),
    /** Evaluated elements per UTC day. */
    dailyElementBudget: z.number().int().min(0).max(100_000_000).default(10_000),
  })
  .strict()
  .meta({ id: 'PeerPolicy' });

export type PeerPolicy = z.infer<typeof peerPolicySchema>;

const searchId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'must be 1-64 letters, digits, _ or -');

/** Index versions of the searcher's replicas of the answering node, per category it holds one of. */
export const replicaVersionsSchema = z
  .partialRecord(z.enum(RECORD_CATEGORIES), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER))
  .describe('the index version of each replica the searcher holds of the answering node');

/**
 * A cairn/2 match request: why, under which case, which index versions the
 * searcher holds, and blinded elements padded with random dummies to one of
 * FEDERATION.paddedSizes. Nothing in it is computed from an identifier
 * except the blinded elements, which are uniformly random group elements.
 */
export const matchRequestSchema = z
  .object({
    searchId,
    ...searchContextSchema.shape,
    replicaVersions: replicaVersionsSchema,
    blindedElements: z
      .array(base64url(OPRF.elementSize))
      .min(1, 'must hold at least one element')
      .describe(`RFC 9497 blinded elements, padded to ${FEDERATION.paddedSizes.join(', ')}`),
  })
  .strict()
  .meta({ id: 'MatchRequest' });

export type MatchRequest = z.infer<typeof matchRequestSchema>;

export const matchResponseSchema = z
  .object({
    searchId: z.string(),
    evaluatedElements: z.array(base64url(OPRF.elementSize)).max(MAX_MATCH_ELEMENTS),
    proof: base64url(OPRF.proofSize),
    /** The OPRF key epoch the elements were evaluated under, and every head of `deltas` names (absent: 1). */
    epoch: z.number().int().min(1).optional(),
    /**
     * One entry per category the purpose may match (at least one: a purpose
     * the peer allows matches a category or more): what changed since the
     * searcher's replica version, at most INDEX.maxDeltaChanges changes each.
     */
    deltas: z.array(indexAnswerChangesWireSchema).min(1).max(RECORD_CATEGORIES.length),
    /** The answering node's latest audit checkpoint (C2SP signed note), for witnessing: required (PROTOCOL.md §45). */
    checkpoint: z.string().min(1).max(4096),
    /** Index of this request's entry in the answering node's audit log: required, every answer is audited. */
    logIndex: z.number().int().min(0),
  })
  .strict()
  .meta({ id: 'MatchResponse' });

export type MatchResponse = z.infer<typeof matchResponseSchema>;

/**
 * Confirm a hit: the listed index fingerprint and the unlisted confirmation
 * bytes of the same token, which only whoever evaluated it can know.
 */
export const hitConfirmRequestSchema = z
  .object({
    searchId,
    ...searchContextSchema.shape,
    category: z.enum(RECORD_CATEGORIES).describe('the category whose index listed the fingerprint'),
    fingerprint: base64url(INDEX.fingerprintBytes).describe('the index fingerprint of the token'),
    confirm: base64url(TOKEN_CONFIRM_BYTES).describe('bytes 16..23 of the token: proves the asker evaluated it'),
    justification: text(1000).optional(),
  })
  .strict()
  .meta({ id: 'HitConfirmRequest' });

export type HitConfirmRequest = z.infer<typeof hitConfirmRequestSchema>;

/**
 * The payload of a signed hit receipt (DSSE, application/vnd.cairn.hit-receipt+json).
 * Attacker-controlled: its text reaches analysts' terminals and pages, so it
 * meets our own record rules (schemas/records.ts) and carries no control or
 * bidi override/isolate character; a receipt that breaks them is refused.
 */
export const hitReceiptSchema = z
  .object({
    receiptId: peerText(128),
    issuer: z.object({ nodeId: peerText(128), country: countryCode }).strict(),
    requester: z.object({ nodeId: peerText(128), country: countryCode }).strict(),
    searchId,
    caseReference: peerText(128),
    purpose: purposeSchema,
    keyType: peerText(64),
    record: z
      .object({
        ref: peerText(RECORD_TEXT.ref.max).regex(RECORD_TEXT.ref.pattern, RECORD_TEXT.ref.patternMessage),
        category: z.enum(RECORD_CATEGORIES),
        owningUnit: peerText(RECORD_TEXT.owningUnit.max),
        contactPoint: peerText(RECORD_TEXT.contactPoint.max),
        recordDate: isoDate,
      })
      .strict(),
    issuedAt: timestamp,
    /** Index of the disclosure's entry in the issuer's audit log: every disclosure is audited. */
    logIndex: z.number().int().min(0),
  })
  .strict()
  .meta({ id: 'HitReceipt' });

export type HitReceipt = z.infer<typeof hitReceiptSchema>;

/** Match strengths, weakest first (src/core/constants.ts MATCH_KEYS.strengths). */
export const STRENGTHS = MATCH_KEYS.strengths;
export type Strength = (typeof STRENGTHS)[number];

/** A whole number from `min` to `max`, read from a query string. */
const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a whole number' : undefined) })
    .int('must be a whole number')
    .min(min, `must be from ${min} to ${max}`)
    .max(max, `must be from ${min} to ${max}`);

/** GET /v1/searches: the newest searches first, optionally of one case. */
export const searchListQuerySchema = z
  .object({
    caseReference: z.string().min(1).max(128).optional().describe('only the searches of this case'),
    limit: wholeNumber(1, 90).default(50).describe('at most this many (1-90, default 50)'),
  })
  .strict();

/** GET /v1/hits/incoming: the newest disclosures first. */
export const incomingHitsQuerySchema = z
  .object({
    limit: wholeNumber(1, 500).default(100).describe('at most this many (1-500, default 100)'),
  })
  .strict();

export const searchRequestSchema = z
  .object({
    identifiers: z.unknown(),
    ...searchContextSchema.shape,
    /** Limit the search to these peers (countries or node ids); default: every active peer. */
    peers: z.array(z.string().min(1).max(128)).max(100).optional(),
  })
  .strict()
  .meta({ id: 'SearchRequest' });

/**
 * A peer's outcome in a search. `index_syncing`: our replica of one of its
 * indexes is missing, syncing or too stale for deltas, so a miss would not
 * mean no hit; `error` also covers a replica that fails its root check.
 * `not_searched`: the peer lists none of the search's key types in its
 * descriptor (`matchKeyTypes`), so it was not asked: not a no-hit either.
 */
export const PEER_RESULT_STATUSES = ['hit', 'no_hit', 'index_syncing', 'not_searched', 'error', 'timeout', 'pending'] as const;

/** A record a peer confirmed: the strength and type of its own strongest matching key, and its verified receipt. */
export const confirmedRecordSchema = z
  .object({
    strength: z.enum(STRENGTHS),
    keyType: z.string(),
    receipt: hitReceiptSchema,
  })
  .strict()
  .meta({ id: 'ConfirmedRecord' });

export const peerResultSchema = z
  .object({
    peer: z.object({ nodeId: z.string(), country: z.string(), name: z.string() }),
    status: z
      .enum(PEER_RESULT_STATUSES)
      .describe(
        '`no_hit` only when every replica of the peer\'s indexes the purpose may match is ready and lists none of the search\'s tokens; `index_syncing` when one is not ready; `not_searched` when the peer holds none of the search\'s key types (its descriptor\'s matchKeyTypes), so nothing was sent to it (`error.code` `no_shared_key_type`); `error` and `timeout` when it failed; never a no-hit for any of those',
      ),
    strength: z.enum(STRENGTHS).optional(),
    keyTypes: z.array(z.string()).optional(),
    confirmation: z
      .enum(['confirmed', 'awaiting_analyst', 'not_needed', 'failed'])
      .optional()
      .describe(
        '`failed`: a confirmation request failed (see `error`); the hit waits for POST /v1/searches/{id}/confirm, which asks again only about the tokens the peer did not answer, and the records the peer confirmed before the failure are in `receipts` and `records` (it disclosed them and logged it)',
      ),
    receipts: z
      .array(dsseEnvelopeWire)
      .optional()
      .describe('the signed hit receipts as the peer sent them (DSSE, payloadType application/vnd.cairn.hit-receipt+json), one per confirmed record'),
    records: z
      .array(confirmedRecordSchema)
      .optional()
      .describe('every distinct record the peer confirmed, decoded from `receipts` and verified against its signing key, strongest first'),
    undisclosed: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'records the peer holds under a confirmed key beyond the 20 one confirmation discloses (the most over its keys, as its index lists them; some may be past retention there): no request can reach them, so follow up through the contact point of a receipt',
      ),
    awaiting: z
      .object({
        tokens: z.number().int().describe('matched tokens waiting for an analyst to confirm them (POST /v1/searches/{id}/confirm): those of possible strength, or those a failed confirmation left unanswered'),
        records: z
          .object({
            atLeast: z.number().int().describe('the most records any one of those tokens names at the peer'),
            atMost: z.number().int().describe('the sum over those tokens: one record may hold several'),
          })
          .strict(),
      })
      .strict()
      .optional(),
    error: z.object({ code: z.string(), detail: z.string() }).optional(),
    ms: z.number().optional(),
  })
  .meta({ id: 'PeerResult' });

export const searchResultSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    user: z.string(),
    purpose: purposeSchema,
    legalBasis: z.string(),
    caseReference: z.string(),
    keyTypes: z.array(z.string()),
    results: z.array(peerResultSchema),
  })
  .meta({ id: 'SearchResult' });

export const confirmRequestSchema = z
  .object({
    peer: z.string().min(1).max(128).describe('country code or node id of the peer whose possible hit to confirm'),
    justification: text(1000).describe('why the analyst asks for the reference of a possible hit'),
  })
  .strict()
  .meta({ id: 'ConfirmRequest' });

/** An operator adds a peer by URL and the fingerprint it gave out of band. */
/** A manual re-pin: the peer's new signing-key fingerprint, checked with its operator out of band. */
export const repinPeerSchema = z
  .object({ fingerprint: z.string().min(1).max(200).describe('the new signing key fingerprint, as the peer\'s operator read it out') })
  .strict()
  .meta({ id: 'RepinPeer' });

export const addPeerSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }),
    fingerprint: z.string().regex(/^([0-9a-f]{4}:){15}[0-9a-f]{4}$/, 'must be the 16 groups of 4 hex digits `cairn init` printed'),
  })
  .strict()
  .meta({ id: 'AddPeer' });
