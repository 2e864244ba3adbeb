/**
 * The answering side of the federation: a peer's blind match request and
 * its hit confirmations. Policy first (deny by default), then rate and
 * budget, then the OPRF evaluation with one batch DLEQ proof, then the
 * digests listed in the requested buckets, only from the categories the
 * purpose may match. Every answer and every refusal is audited.
 */
import {
  MAX_MATCH_ELEMENTS,
  type HitConfirmRequest,
  type HitReceipt,
  type MatchRequest,
  type MatchResponse,
} from '../../../schemas/federation.js';
import type { RecordCategory } from '../../../schemas/records.js';
import type { AtomicWriter } from '../atomic.js';
import { appendedIndex, appendStatement, type AuditEvent } from '../audit/entry.js';
import { equalBytes, fromBase64Url, toBase64Url, toHex } from '../bytes.js';
import { MEDIA_TYPES } from '../constants.js';
import type { Db } from '../db/schema.js';
import { signJsonEnvelope, type DsseEnvelope } from '../dsse.js';
import { CairnError, isCairnError } from '../errors.js';
import { relocate } from '../oprf/index.js';
import { MATCH_KEY_TYPE_NAMES } from '../identity/index.js';
import type { Clock, Logger, Random } from '../ports.js';
import type { Signer } from '../signing.js';
import type { Peer } from './peers.js';
import { allowedCategories, type PeerReservations, type Reservation } from './policy.js';

/** Server-side VOPRF evaluation with one batch proof (portable or fast path). */
export interface OprfEvaluator {
  blindEvaluateBatch(blindedElements: readonly Uint8Array[]): Promise<{ evaluatedElements: Uint8Array[]; proof: Uint8Array }>;
}

export interface AnswerDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  random: Random;
  logger: Logger;
  signer: Signer;
  evaluator: OprfEvaluator;
  /** Rate and budget, reserved in the database before any evaluation. */
  reservations: PeerReservations;
  bucketBits: number;
  self: { nodeId: string; country: string };
  /** The latest signed checkpoint of our audit log, for the peer to witness. */
  checkpoint?: () => Promise<string | undefined>;
}

/** Most digests listed per bucket: far above any honest bucket at the advertised b. */
const MAX_DIGESTS_PER_BUCKET = 100_000;

const KEY_TYPES: ReadonlySet<string> = new Set(MATCH_KEY_TYPE_NAMES);

/** A bucket a peer names must exist at this node's b (the schema already made it a non-negative integer). */
function requireBucket(bucket: number, bucketBits: number, field: string): void {
  const limit = 2 ** bucketBits;
  if (bucket >= limit) {
    throw new CairnError('bucket_out_of_range', `bucket ${bucket} is outside 0..${limit - 1} (this node uses ${bucketBits} bucket bits)`, { location: { field } });
  }
}

/** Who asked and why: the part every audit entry of a peer's request shares. */
function requestContext(peer: Peer, req: { searchId: string; purpose: string; legalBasis: string; caseReference: string }) {
  return {
    actor: `peer:${peer.country}:${peer.id}`,
    data: { peer: peer.id, country: peer.country, searchId: req.searchId, purpose: req.purpose, legalBasis: req.legalBasis, caseReference: req.caseReference },
  };
}

/** Append a refusal to the audit log in its own unit (the act refused is the query). */
async function auditRefusal(deps: AnswerDeps, peer: Peer, what: string, code: string, req: { searchId: string; purpose: string; legalBasis: string; caseReference: string }, n: number): Promise<void> {
  const ctx = requestContext(peer, req);
  const e: AuditEvent = { type: 'match.denied', actor: ctx.actor, data: { ...ctx.data, request: what, code, elements: n } };
  try {
    await deps.atomic.run([appendStatement(deps.db, e, deps.clock.now())]);
  } catch (err) {
    deps.logger.error({ err: String(err) }, 'could not audit a refusal');
  }
}

/**
 * Policy, then rate and budget reserved atomically (PROTOCOL.md §35 check
 * order), shared by both requests; refusals are audited. A purpose refused
 * costs the peer nothing; an admitted request holds its reservation.
 */
async function admit(deps: AnswerDeps, peer: Peer, what: 'match' | 'hit', req: { searchId: string; purpose: MatchRequest['purpose']; legalBasis: string; caseReference: string }, elements: number): Promise<{ categories: RecordCategory[]; reservation: Reservation }> {
  try {
    const categories = allowedCategories(peer, req.purpose);
    const reservation = await deps.reservations.reserve(peer, elements);
    return { categories, reservation };
  } catch (e) {
    if (isCairnError(e)) await auditRefusal(deps, peer, what, e.code, req, elements);
    throw e;
  }
}

/** Answer a blind match request (PROTOCOL.md "Match"). */
export async function answerMatch(deps: AnswerDeps, peer: Peer, req: MatchRequest): Promise<MatchResponse> {
  if (req.elements.length > MAX_MATCH_ELEMENTS) {
    throw new CairnError('batch_too_large', `at most ${MAX_MATCH_ELEMENTS} elements per request, got ${req.elements.length}`, { location: { field: 'elements' } });
  }
  const blinded = req.elements.map((el, i) => {
    if (!KEY_TYPES.has(el.keyType)) throw new CairnError('invalid_request', `unknown match-key type ${JSON.stringify(el.keyType.slice(0, 64))}`, { location: { field: `elements[${i}].keyType` } });
    requireBucket(el.bucket, deps.bucketBits, `elements[${i}].bucket`);
    // Length only: the evaluator decodes each element once and rejects
    // non-canonical encodings and the identity (RFC 9497 §2.1 DeserializeElement).
    return fromBase64Url(el.blindedElement, `elements[${i}].blindedElement`);
  });
  const { categories, reservation } = await admit(deps, peer, 'match', req, req.elements.length);

  let evaluation: Awaited<ReturnType<OprfEvaluator['blindEvaluateBatch']>>;
  try {
    evaluation = await deps.evaluator.blindEvaluateBatch(blinded);
  } catch (e) {
    // Nothing was evaluated: the elements go back to the budget.
    await deps.reservations.release(reservation).catch((err: unknown) => deps.logger.error({ err: String(err) }, 'could not release a budget reservation'));
    // Name the element as the peer sent it: blindedElements[i] -> elements[i].blindedElement.
    const index = isCairnError(e, 'oprf_invalid_element') ? e.location?.index : undefined;
    throw index === undefined ? e : relocate(e, `elements[${index}].blindedElement`);
  }

  const wanted = new Map<string, { keyType: string; bucket: number }>();
  for (const el of req.elements) wanted.set(`${el.keyType}/${el.bucket}`, { keyType: el.keyType, bucket: el.bucket });
  const buckets: MatchResponse['buckets'] = [];
  for (const { keyType, bucket } of wanted.values()) {
    const rows = await deps.db
      .selectFrom('tokens')
      .select('digest')
      .where('key_type', '=', keyType)
      .where('bucket', '=', bucket)
      .where('category', 'in', categories)
      .limit(MAX_DIGESTS_PER_BUCKET)
      .execute();
    // Sorted so the order says nothing about when or in which category a token was stored.
    const digests = rows.map((r) => toBase64Url(new Uint8Array(r.digest))).sort();
    buckets.push({ keyType, bucket, digests });
  }

  const ctx = requestContext(peer, req);
  const results = await deps.atomic.run([
    appendStatement(
      deps.db,
      {
        type: 'match.incoming',
        actor: ctx.actor,
        data: {
          ...ctx.data,
          elements: req.elements.length,
          keyTypes: [...new Set(req.elements.map((e) => e.keyType))].sort(),
          buckets: [...wanted.values()].map((w) => w.bucket),
          categories,
          decision: 'answered',
        },
      },
      deps.clock.now(),
    ),
  ]);
  const checkpoint = await deps.checkpoint?.();
  return {
    searchId: req.searchId,
    evaluatedElements: evaluation.evaluatedElements.map(toBase64Url),
    proof: toBase64Url(evaluation.proof),
    buckets,
    ...(checkpoint !== undefined ? { checkpoint } : {}),
    logIndex: appendedIndex(results, 0),
  };
}

/**
 * Disclose the reference behind a hit (PROTOCOL.md "Confirm"). The peer
 * shows the token's listed digest and its unlisted confirmation bytes; only
 * records of categories its purpose may match are disclosed.
 */
export async function answerHit(deps: AnswerDeps, peer: Peer, req: HitConfirmRequest): Promise<{ receipts: DsseEnvelope[] }> {
  const digest = fromBase64Url(req.digest, 'digest');
  const confirm = fromBase64Url(req.confirm, 'confirm');
  requireBucket(req.bucket, deps.bucketBits, 'bucket');
  const { categories } = await admit(deps, peer, 'hit', req, 0);
  const rows = await deps.db
    .selectFrom('tokens')
    .innerJoin('records', 'records.id', 'tokens.record_id')
    .select(['tokens.confirm', 'records.ref', 'records.category', 'records.owning_unit', 'records.contact_point', 'records.record_date'])
    .where('tokens.key_type', '=', req.keyType)
    .where('tokens.bucket', '=', req.bucket)
    .where('tokens.category', 'in', categories)
    .where('tokens.digest', '=', digest)
    .limit(20)
    .execute();
  const hits = rows.filter((r) => equalBytes(new Uint8Array(r.confirm), confirm));
  if (hits.length === 0) {
    await auditRefusal(deps, peer, 'hit', 'hit_not_found', req, 0);
    throw new CairnError('hit_not_found', 'no record this peer may see holds that token', { location: { field: 'digest' } });
  }
  const now = deps.clock.now();
  const ctx = requestContext(peer, req);
  const ids = hits.map(() => `hit_${toHex(deps.random.bytes(12))}`);
  const statements = hits.map((h, i) =>
    deps.db
      .insertInto('hits_incoming')
      .values({
        id: ids[i]!,
        at: now.toISOString(),
        peer_id: peer.id,
        peer_country: peer.country,
        record_ref: h.ref,
        category: h.category,
        owning_unit: h.owning_unit,
        key_type: req.keyType,
        search_id: req.searchId,
        case_reference: req.caseReference,
        purpose: req.purpose,
        justification: req.justification ?? null,
      })
      .compile(),
  );
  statements.push(
    appendStatement(
      deps.db,
      {
        type: 'hit.confirm.incoming',
        actor: ctx.actor,
        data: {
          ...ctx.data,
          keyType: req.keyType,
          refs: hits.map((h) => h.ref),
          receipts: ids,
          justification: req.justification,
        },
      },
      now,
    ),
  );
  const results = await deps.atomic.run(statements);
  const logIndex = appendedIndex(results, statements.length - 1);
  const receipts = hits.map((h, i) => {
    const receipt: HitReceipt = {
      receiptId: ids[i]!,
      issuer: { nodeId: deps.self.nodeId, country: deps.self.country },
      requester: { nodeId: peer.id, country: peer.country },
      searchId: req.searchId,
      caseReference: req.caseReference,
      purpose: req.purpose,
      keyType: req.keyType,
      record: { ref: h.ref, category: h.category as RecordCategory, owningUnit: h.owning_unit, contactPoint: h.contact_point, recordDate: h.record_date },
      issuedAt: now.toISOString(),
      logIndex,
    };
    return signJsonEnvelope(deps.signer, MEDIA_TYPES.hitReceipt, receipt);
  });
  return { receipts };
}

