/**
 * The answering side of the federation (protocol cairn/2): a peer's blind
 * match request and its hit confirmations. Policy first (deny by default),
 * then rate and budget (counted in padded elements, reserved before any
 * evaluation), then the OPRF evaluation with one batch DLEQ proof, and with
 * it the changes of our token index since the peer's replica versions, for
 * the categories the purpose may match. The request carries nothing
 * computed from identifiers but uniformly random blinded elements, and the
 * audit entry keeps nothing of them but their count. Every answer and every
 * refusal is audited.
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
import { equalBytes, fromBase64, fromBase64Url, fromUtf8, toBase64Url, toHex } from '../bytes.js';
import { FEDERATION, INDEX, MEDIA_TYPES } from '../constants.js';
import type { Db } from '../db/schema.js';
import { signJsonEnvelope, type DsseEnvelope } from '../dsse.js';
import { CairnError, isCairnError } from '../errors.js';
import type { Clock, Logger, Random } from '../ports.js';
import type { Signer } from '../signing.js';
import { changesToWire, type IndexChanges } from './index/types.js';
import type { Peer } from './peers.js';
import { allowedCategories, type PeerReservations, type Reservation } from './policy.js';
import { expiredSince, purgeExpired, utcDate } from '../records/manage.js';

/** Answers evaluated again when an activation raced them, before giving up. */
const EPOCH_ATTEMPTS = 3;

/** Epochs of the heads seen last (a head stays current across many answers). */
const HEAD_EPOCHS = new Map<string, number>();
const HEAD_EPOCHS_MAX = 64;

/** The OPRF epoch a signed head names (our own head: no signature check needed). */
export function headEpochOf(envelope: DsseEnvelope): number {
  let epoch = HEAD_EPOCHS.get(envelope.payload);
  if (epoch === undefined) {
    const head = JSON.parse(fromUtf8(fromBase64(envelope.payload))) as { epoch?: unknown };
    epoch = typeof head.epoch === 'number' ? head.epoch : 1;
    if (HEAD_EPOCHS.size >= HEAD_EPOCHS_MAX) HEAD_EPOCHS.clear();
    HEAD_EPOCHS.set(envelope.payload, epoch);
  }
  return epoch;
}

/** Server-side VOPRF evaluation with one batch proof (portable or fast path). */
export interface OprfEvaluator {
  blindEvaluateBatch(blindedElements: readonly Uint8Array[]): Promise<{ evaluatedElements: Uint8Array[]; proof: Uint8Array }>;
}

/** Our token index as the answer needs it (the index service implements it). */
export interface IndexOwner {
  /**
   * Changes of our index of `category` since `sinceVersion`, at most `max`
   * entries; `resync` when the window no longer reaches back that far.
   * `version`: the category's current version as `currentVersions` just read it.
   */
  changesSince(category: RecordCategory, sinceVersion: number, max: number, version?: number): Promise<IndexChanges>;
  /** The current version of each category, read at once (an answer's in-step check). */
  currentVersions(categories: readonly RecordCategory[]): Promise<Partial<Record<RecordCategory, number>>>;
  /** The current signed head of `category` as a resync signal: what a searcher without a replica of it gets. */
  resync(category: RecordCategory): Promise<IndexChanges>;
}

export interface AnswerDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  random: Random;
  logger: Logger;
  signer: Signer;
  evaluator: OprfEvaluator;
  /**
   * The active OPRF epoch and its evaluator, read per answer (protocol/38-key-epochs.md).
   * Without it, `evaluator` answers and the answer names no epoch (epoch 1).
   */
  epochs?: () => Promise<{ epoch: number; evaluator: OprfEvaluator }>;
  /** Rate and budget, reserved in the database before any evaluation. */
  reservations: PeerReservations;
  /** Our token index: the deltas that ride on every answer. */
  index: IndexOwner;
  self: { nodeId: string; country: string };
  /** The latest signed checkpoint of our audit log, for the peer to witness: every match answer carries one (PROTOCOL.md §45). */
  checkpoint: () => Promise<string>;
  /** `expiredSince` as the answer asks it (default: a probe each time; services pass a RetentionProbe's). */
  expired?: (now: Date) => Promise<string | undefined>;
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
  const n = req.blindedElements.length;
  if (n > MAX_MATCH_ELEMENTS) {
    throw new CairnError('batch_too_large', `at most ${MAX_MATCH_ELEMENTS} elements per request, got ${n}`, { location: { field: 'blindedElements' } });
  }
  if (!(FEDERATION.paddedSizes as readonly number[]).includes(n)) {
    throw new CairnError('invalid_request', `a match request is padded to ${FEDERATION.paddedSizes.join(', ')} elements, got ${n}`, { location: { field: 'blindedElements' } });
  }
  // Length only: the evaluator decodes each element once and rejects
  // non-canonical encodings and the identity (RFC 9497 §2.1 DeserializeElement).
  const blinded = req.blindedElements.map((el, i) => fromBase64Url(el, `blindedElements[${i}]`));
  // The budget counts the padded count: dummies cost what real elements cost, so they cannot be told apart by price either.
  const { categories, reservation } = await admit(deps, peer, 'match', req, n);

  // Retention holds before the hourly purge too: a record past retention
  // leaves the index now (one index probe when none has), so the deltas of
  // this answer remove its fingerprints from the searcher's replica before
  // the searcher looks them up.
  const now = deps.clock.now();
  if ((await (deps.expired ? deps.expired(now) : expiredSince(deps.db, now))) !== undefined) await purgeExpired(deps, 'system:retention');

  let evaluation: Awaited<ReturnType<OprfEvaluator['blindEvaluateBatch']>>;
  let changes: IndexChanges[];
  let epoch: number | undefined;
  try {
    // One epoch per answer: the evaluation and every head it carries. An
    // activation racing this answer makes the heads name another epoch than
    // the key: evaluate again, under the epoch now active.
    for (let attempt = 0; ; attempt++) {
      const e = deps.epochs ? await deps.epochs() : { epoch: undefined, evaluator: deps.evaluator };
      epoch = e.epoch;
      [evaluation, changes] = await Promise.all([
        e.evaluator.blindEvaluateBatch(blinded),
        // A searcher without a replica of a category syncs it in full: a delta from version 0 would only repeat the snapshot.
        deps.index.currentVersions(categories).then((versions) =>
          Promise.all(
            categories.map((c) => {
              const since = req.replicaVersions[c];
              return since === undefined ? deps.index.resync(c) : deps.index.changesSince(c, since, INDEX.maxDeltaChanges, versions[c]);
            }),
          ),
        ),
      ]);
      if (epoch === undefined || changes.every((ch) => headEpochOf(ch.head) === epoch)) break;
      if (attempt >= EPOCH_ATTEMPTS) throw new CairnError('internal', 'the OPRF key epoch kept switching during this answer; ask again');
    }
  } catch (e) {
    // Nothing was answered: the elements go back to the budget.
    await deps.reservations.release(reservation).catch((err: unknown) => deps.logger.error({ err: String(err) }, 'could not release a budget reservation'));
    throw e;
  }

  const ctx = requestContext(peer, req);
  let results: Awaited<ReturnType<AnswerDeps['atomic']['run']>>;
  try {
    results = await deps.atomic.run([
      appendStatement(
        deps.db,
        {
          type: 'match.incoming',
          actor: ctx.actor,
          // Nothing here is computed from the blinded elements: only how many there were.
          data: { ...ctx.data, elements: n, categories, replicaVersions: req.replicaVersions, decision: 'answered', ...(epoch !== undefined ? { epoch } : {}) },
        },
        deps.clock.now(),
      ),
    ]);
  } catch (e) {
    // Not logged, so not answered (a full disk, another writer): the elements go back to the budget.
    await deps.reservations.release(reservation).catch((err: unknown) => deps.logger.error({ err: String(err) }, 'could not release a budget reservation'));
    throw e;
  }
  return {
    searchId: req.searchId,
    evaluatedElements: evaluation.evaluatedElements.map(toBase64Url),
    proof: toBase64Url(evaluation.proof),
    ...(epoch !== undefined && epoch > 1 ? { epoch } : {}),
    deltas: changes.map(changesToWire),
    checkpoint: await deps.checkpoint(),
    logIndex: appendedIndex(results, 0),
  };
}

/**
 * Disclose the reference behind a hit (PROTOCOL.md "Confirm"). The peer
 * shows the token's listed index fingerprint and its unlisted confirmation
 * bytes; only records of categories its purpose may match are disclosed.
 */
export async function answerHit(deps: AnswerDeps, peer: Peer, req: HitConfirmRequest): Promise<{ receipts: DsseEnvelope[] }> {
  const fingerprint = fromBase64Url(req.fingerprint, 'fingerprint');
  const confirm = fromBase64Url(req.confirm, 'confirm');
  const { categories } = await admit(deps, peer, 'hit', req, 0);
  const rows = categories.includes(req.category)
    ? await deps.db
        .selectFrom('tokens')
        .innerJoin('records', 'records.id', 'tokens.record_id')
        .select(['tokens.confirm', 'tokens.key_type', 'records.ref', 'records.category', 'records.owning_unit', 'records.contact_point', 'records.record_date'])
        .where('tokens.category', '=', req.category)
        .where('tokens.fingerprint', '=', fingerprint)
        // A record past retention is never disclosed, even before the purge has run.
        .where('records.retention_until', '>=', utcDate(deps.clock.now()))
        .limit(FEDERATION.maxReceipts)
        .execute()
    : [];
  const hits = rows.filter((r) => equalBytes(new Uint8Array(r.confirm), confirm));
  if (hits.length === 0) {
    await auditRefusal(deps, peer, 'hit', 'hit_not_found', req, 0);
    throw new CairnError('hit_not_found', 'no record this peer may see holds that token', { location: { field: 'fingerprint' } });
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
        key_type: h.key_type,
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
          category: req.category,
          keyTypes: [...new Set(hits.map((h) => h.key_type))].sort(),
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
      keyType: h.key_type,
      record: { ref: h.ref, category: h.category as RecordCategory, owningUnit: h.owning_unit, contactPoint: h.contact_point, recordDate: h.record_date },
      issuedAt: now.toISOString(),
      logIndex,
    };
    return signJsonEnvelope(deps.signer, MEDIA_TYPES.hitReceipt, receipt);
  });
  return { receipts };
}

