/**
 * An analyst's search across the federation: derive the match keys once,
 * ask every eligible peer in parallel (each with its own timeout and fresh
 * blinds), confirm strong and probable hits at once, keep possible hits for
 * the analyst to confirm with a justification, and record it all: the
 * search, each peer's outcome, and one audit entry. A peer that fails is
 * reported as failed, never as a no-hit.
 */
import { hitReceiptSchema, MAX_MATCH_ELEMENTS, type HitReceipt, type PEER_RESULT_STATUSES, type Purpose, type Strength } from '../../../schemas/federation.js';
import type { RecordCategory } from '../../../schemas/records.js';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { toHex } from '../bytes.js';
import type { Db } from '../db/schema.js';
import { verifyJsonEnvelope, type DsseEnvelope } from '../dsse.js';
import { FEDERATION, MEDIA_TYPES } from '../constants.js';
import { CairnError, isCairnError } from '../errors.js';
import { deriveQueryKeys, MATCH_KEY_NEEDS, MATCH_KEY_TYPES, parseIdentifiers, placeholderNote, strengthAtLeast, strengthRank, strongestOf, type MatchKey, type MatchKeyType } from '../identity/index.js';
import type { Logger } from '../ports.js';
import type { Ed25519Verify } from '../signing.js';
import type { User } from '../users/users.js';
import { confirmHit, queryPeer, usableKeys, type HashedInputs, type Hit, type MatchDeps, type ReplicaStatus, type SearchContext } from './client.js';
import { exchangeKeys, findPeer, listPeers, type Peer } from './peers.js';
import { withAnyKey } from '../keys/history.js';

export interface SearchDeps extends MatchDeps {
  db: Db;
  atomic: AtomicWriter;
  logger: Logger;
  /** Called with each peer's checkpoint after an answer (witnessing). */
  witness: (peer: Peer, checkpoint: string | undefined) => Promise<void>;
  /**
   * Runs work the analyst need not wait for (witnessing: a consistency
   * proof round trip per peer) after the search has answered. Without it,
   * such work is awaited in line (Workers, where unawaited work may be cut).
   */
  defer?: (task: Promise<void>) => void;
  /** Told each peer's outcome of every search, whichever path ran it (metrics). */
  onPeerOutcome?: (outcome: PeerOutcome, path: string) => void;
  /** The node's country: the numbering plan of searched phones in national or "00…" form. */
  phoneCountry?: string;
  /**
   * The longest one peer's confirmations of a search (or of an analyst's
   * confirm) may take in all, in milliseconds (default: `timeoutMs`, what one
   * request may take). The tokens it has not answered by then wait for the
   * analyst, as after any failed confirmation.
   */
  confirmDeadlineMs?: number;
}

export interface PeerOutcome {
  peer: { nodeId: string; country: string; name: string };
  status: Exclude<(typeof PEER_RESULT_STATUSES)[number], 'pending'>;
  strength?: Strength;
  keyTypes?: string[];
  confirmation?: 'confirmed' | 'awaiting_analyst' | 'failed';
  receipts?: unknown[];
  /** Records the peer's index lists under a confirmed token beyond those one confirmation discloses (undisclosedBy). */
  undisclosed?: number;
  error?: { code: string; detail: string };
  ms: number;
  /** Peer log index of the match request (for reconciliation). */
  logIndex?: number;
}

export interface SearchInput {
  identifiers: unknown;
  purpose: Purpose;
  legalBasis: string;
  caseReference: string;
  peers?: string[] | undefined;
  /** Which path ran the search, for metrics: api (default), console, cli, registration. */
  path?: 'api' | 'console' | 'cli' | 'registration';
}

function strongest(hits: Hit[]): Strength {
  return strongestOf(hits.map((h) => h.strength)) ?? 'possible';
}

/**
 * The hits to confirm, strongest first, one per token (category and
 * fingerprint), of strength `min` or stronger. A peer answers a confirmation
 * with every record it holds under that token, but two records of one
 * person need not share a token (one written with a typo, the other with
 * another spelling), so tokens beyond the first can be confirmed too
 * (confirmEach says which); a record named by several is reported once,
 * with the strength of its strongest.
 */
function toConfirm(hits: Hit[], min: Strength): Hit[] {
  const seen = new Set<string>();
  return hits
    .filter((h) => strengthAtLeast(h.strength, min))
    .sort((a, b) => strengthRank(b.strength) - strengthRank(a.strength))
    .filter((h) => {
      const token = `${h.category}:${h.fingerprint}`;
      if (seen.has(token)) return false;
      seen.add(token);
      return true;
    });
}

/** The strength of a receipt's key type; unknown types (a newer peer) count as possible. */
function strengthOfKeyType(keyType: string): Strength {
  return (MATCH_KEY_TYPES as Record<string, { strength: Strength } | undefined>)[keyType as MatchKeyType]?.strength ?? 'possible';
}

/**
 * Confirm hits in order and keep one receipt per record: the first, which
 * came from the strongest token that named it (toConfirm orders them); the
 * first token of each key type is asked for at once, the rest in order.
 * Every confirmation is a signed request the peer rate-limits and a
 * disclosure it logs, so a token is confirmed only if it can name a record
 * not seen yet: its key type has not been confirmed in its category in this
 * search, or the peer's index of that category lists it for more records
 * than have been confirmed there so far (its multiplicity in our replica). A record is missed only if every token
 * it holds is of a key type already confirmed, is listed for no more
 * records than were confirmed before it, and names it alone; the analyst
 * sees the key types and can search again with that record's other
 * identifiers. On a failure, `left` holds the tokens the peer did not
 * answer: only those are asked about again when the analyst retries, with
 * the records and key types already confirmed in `known`, so a token of a
 * type confirmed before is decided on its multiplicity, not sent as a first.
 */
async function confirmEach(
  deps: SearchDeps,
  peer: Peer,
  ctx: SearchContext,
  hits: Hit[],
  justification?: string,
  known: { records: ReadonlySet<string>; types: ReadonlySet<string> } = { records: new Set(), types: new Set() },
): Promise<{ kept: DsseEnvelope[]; error?: unknown; left: Hit[]; undisclosed: number }> {
  const kept: DsseEnvelope[] = [];
  // One deadline for the whole round: a peer slow on each answer (but within the per-request
  // timeout) would otherwise hold the search for as many timeouts as there are tokens in sequence.
  const deadlineMs = deps.confirmDeadlineMs ?? deps.timeoutMs;
  const deadline = Date.now() + deadlineMs;
  const confirm = async (h: Hit) => {
    const left = deadline - Date.now();
    const overdue = () =>
      new CairnError('peer_timeout', `${peer.country} did not answer this search's confirmations within ${deadlineMs} ms (its deadline for one peer); the tokens it did not answer wait for an analyst to confirm them again`);
    if (left <= 0) throw overdue();
    try {
      return await confirmHit(left < deps.timeoutMs ? { ...deps, timeoutMs: left } : deps, peer, ctx, h, justification);
    } catch (e) {
      throw left < deps.timeoutMs && isCairnError(e, 'peer_timeout') ? overdue() : e;
    }
  };
  // Tokens the peer answered: confirming one again would only log the same disclosure twice.
  const answered = new Set<Hit>();
  const left = () => hits.filter((h) => !answered.has(h));
  const seen = new Set(known.records);
  let undisclosed = 0;
  const keep = (h: Hit, { envelopes, receipts }: Awaited<ReturnType<typeof confirmHit>>) => {
    receipts.forEach((r, i) => {
      const record = `${r.record.category}:${r.record.ref}`;
      if (seen.has(record)) return;
      seen.add(record);
      kept.push(envelopes[i]!);
    });
    undisclosed = Math.max(undisclosed, undisclosedBy(h, receipts.length));
  };
  // Each category is its own index: key types and record counts are per category.
  const typesDone = new Set(known.types);
  const seenIn = (category: string) => [...seen].filter((r) => r.startsWith(`${category}:`)).length;
  // The first token of each key type in its category is confirmed whatever came before it, so
  // those requests go out at once: a hit on a phone, an e-mail, a document and a name costs one
  // round trip, not four. Later tokens of a type are decided in order below, on the records the
  // tokens before them named, as if every request had been sent one after another.
  const firsts = new Map<Hit, Promise<Awaited<ReturnType<typeof confirmHit>>>>();
  const types = new Set<string>();
  for (const h of hits) {
    const type = `${h.category}:${h.keyType}`;
    if (types.has(type) || typesDone.has(type)) continue;
    types.add(type);
    const sent = confirm(h);
    // Observed now: a failure is thrown below, in order, and one after it is not left unhandled.
    sent.catch(() => undefined);
    firsts.set(h, sent);
  }
  for (const h of hits) {
    const multiplicity = typeof h.records === 'number' ? h.records : Number.POSITIVE_INFINITY;
    const type = `${h.category}:${h.keyType}`;
    if (typesDone.has(type) && multiplicity <= seenIn(h.category)) continue;
    typesDone.add(type);
    try {
      keep(h, await (firsts.get(h) ?? confirm(h)));
      answered.add(h);
    } catch (error) {
      // The requests already sent in parallel that succeeded are disclosures the peer
      // logged: they are kept, so that our log and the peer's say the same.
      const settled = await Promise.allSettled(firsts.values());
      [...firsts.keys()].forEach((first, i) => {
        const sent = settled[i]!;
        if (sent.status !== 'fulfilled' || answered.has(first)) return;
        keep(first, sent.value);
        answered.add(first);
      });
      return { kept, error, left: left(), undisclosed };
    }
  }
  return { kept, left: [], undisclosed };
}

/**
 * Records a confirmation left undisclosed: a peer answers a token for at
 * most FEDERATION.maxReceipts records, and when it answered that many for a
 * token our replica of its index lists for more, the rest exist at the peer
 * without a receipt (some may be past retention there). No later request
 * can reach them: the analyst follows up through the peer's contact point.
 */
function undisclosedBy(h: Hit, receipts: number): number {
  if (receipts < FEDERATION.maxReceipts || typeof h.records !== 'number') return 0;
  return Math.max(0, h.records - receipts);
}

/** One record a peer confirmed: its verified receipt and the strength of its strongest matching key. */
export interface ConfirmedRecord {
  strength: Strength;
  keyType: string;
  receipt: HitReceipt;
}

/**
 * Stored receipt envelopes that verify again against the peer's signing keys
 * (its pinned key and those pinned before: a receipt keeps the key of its
 * day). An envelope that verifies under none (the peer was removed) is left
 * out here and stays in `receipts`.
 */
function verifiedReceipts(envelopes: unknown[], signingKeys: readonly Uint8Array[], verify?: Ed25519Verify): HitReceipt[] {
  if (signingKeys.length === 0) return [];
  return envelopes.flatMap((env) => {
    try {
      const r = hitReceiptSchema.safeParse(withAnyKey(signingKeys, (key) => verifyJsonEnvelope(env, MEDIA_TYPES.hitReceipt, key, verify)));
      return r.success ? [r.data] : [];
    } catch {
      return [];
    }
  });
}

/** The records behind verified receipts: one per record, with its strongest key. */
function confirmedRecords(envelopes: unknown[], signingKeys: readonly Uint8Array[], verify?: Ed25519Verify): ConfirmedRecord[] {
  const byRecord = new Map<string, ConfirmedRecord>();
  for (const receipt of verifiedReceipts(envelopes, signingKeys, verify)) {
    const key = `${receipt.record.category}:${receipt.record.ref}`;
    const strength = strengthOfKeyType(receipt.keyType);
    const prev = byRecord.get(key);
    if (prev === undefined || strengthRank(strength) > strengthRank(prev.strength)) byRecord.set(key, { strength, keyType: receipt.keyType, receipt });
  }
  return [...byRecord.values()].sort((a, b) => strengthRank(b.strength) - strengthRank(a.strength));
}

/**
 * How many records possible hits wait for: at least the most any one token
 * names, at most the sum over tokens (one record may hold several). Only
 * confirmation tells them apart.
 */
function awaitingOf(pending: Hit[]): { tokens: number; records: { atLeast: number; atMost: number } } {
  const counts = pending.map((h) => (typeof h.records === 'number' && h.records > 0 ? h.records : 1));
  return { tokens: pending.length, records: { atLeast: Math.max(0, ...counts), atMost: counts.reduce((a, b) => a + b, 0) } };
}

/** The error a peer outcome reports: the peer's own problem code when it refused. */
function outcomeError(e: unknown): { code: string; detail: string } {
  if (!isCairnError(e)) return { code: 'internal', detail: 'unexpected failure' };
  const peerCode = e.details?.peerCode;
  return { code: typeof peerCode === 'string' ? peerCode : e.code, detail: e.message };
}

/**
 * Whether a miss means no hit: only when every replica the purpose may match
 * is ready. Otherwise the peer is `index_syncing` (missing, syncing, stale
 * beyond deltas) or `error` (failing its head or root check), never `no_hit`.
 */
function missOutcome(peer: Peer, replicas: Partial<Record<RecordCategory, ReplicaStatus>>): Pick<PeerOutcome, 'status' | 'error'> {
  // No replica looked in proves nothing (queryPeer refuses such an answer; this holds whatever the path).
  if (Object.keys(replicas).length === 0) return { status: 'error', error: { code: 'peer_response_invalid', detail: `${peer.country}'s answer named no index to look in` } };
  const notReady = Object.entries(replicas).filter(([, s]) => s !== 'ready');
  if (notReady.length === 0) return { status: 'no_hit' };
  const detail = `our replica of ${peer.country}'s index ${notReady.map(([c, s]) => `${c}: ${s}`).join(', ')}`;
  if (notReady.some(([, s]) => s === 'error')) return { status: 'error', error: { code: 'replica_invalid', detail: `${detail} (it failed its signed head or root check)` } };
  return { status: 'index_syncing', error: { code: 'index_syncing', detail: `${detail}; search again when it is ready` } };
}

async function askPeer(deps: SearchDeps, peer: Peer, keys: MatchKey[], ctx: SearchContext, hashed: HashedInputs): Promise<{ outcome: PeerOutcome; pending: Hit[] }> {
  const t0 = Date.now();
  const who = { nodeId: peer.id, country: peer.country, name: peer.name };
  // A peer that holds none of the search's key types is not asked (protocol/35 "Match"): that is
  // not a no-hit, it says nothing about the peer's records, and the analyst is told so.
  if (usableKeys(peer, keys).length === 0) {
    const types = [...new Set(keys.map((k) => k.type))].sort().join(', ');
    return {
      outcome: { peer: who, status: 'not_searched', error: { code: 'no_shared_key_type', detail: `${peer.country} lists none of this search's key types (${types}) in its descriptor, so it was not asked: this is not a no-hit` }, ms: 0 },
      pending: [],
    };
  }
  try {
    const answer = await queryPeer(deps, peer, keys, ctx, hashed);
    if (deps.witness) {
      const witnessed = deps.witness(peer, answer.checkpoint).catch((e: unknown) => deps.logger.warn({ peer: peer.id, err: String(e) }, 'witnessing failed'));
      if (deps.defer) deps.defer(witnessed);
      else await witnessed;
    }
    const base = { peer: who, ...(answer.logIndex !== undefined ? { logIndex: answer.logIndex } : {}) };
    if (answer.hits.length === 0) return { outcome: { ...base, ...missOutcome(peer, answer.replicas), ms: Date.now() - t0 }, pending: [] };
    const strength = strongest(answer.hits);
    const keyTypes = [...new Set(answer.hits.map((h) => h.keyType))].sort();
    if (!strengthAtLeast(strength, 'probable')) {
      return { outcome: { ...base, status: 'hit', strength, keyTypes, confirmation: 'awaiting_analyst', ms: Date.now() - t0 }, pending: toConfirm(answer.hits, 'possible') };
    }
    // Tokens of possible strength are not confirmed beside a strong or
    // probable hit: disclosing a reference on a possible match needs an
    // analyst's justification, and such tokens mostly name the records
    // confirmed here already (their year or unordered-date keys).
    const confirmNow = toConfirm(answer.hits, 'probable');
    try {
      const { kept: receipts, error, left, undisclosed } = await confirmEach(deps, peer, ctx, confirmNow);
      const more = undisclosed > 0 ? { undisclosed } : {};
      if (error === undefined) return { outcome: { ...base, status: 'hit', strength, keyTypes, confirmation: 'confirmed', receipts, ...more, ms: Date.now() - t0 }, pending: [] };
      // Failed, but what the peer did confirm before is kept: it disclosed those records and logged it.
      // Only the tokens it did not answer wait for the analyst to confirm again.
      return { outcome: { ...base, status: 'hit', strength, keyTypes, confirmation: 'failed', error: outcomeError(error), ...(receipts.length ? { receipts } : {}), ...more, ms: Date.now() - t0 }, pending: left };
    } catch (e) {
      const error = outcomeError(e);
      return { outcome: { ...base, status: 'hit', strength, keyTypes, confirmation: 'failed', error, ms: Date.now() - t0 }, pending: confirmNow };
    }
  } catch (e) {
    const error = outcomeError(e);
    if (!isCairnError(e)) deps.logger.error({ peer: peer.id, err: String(e) }, 'peer query failed');
    return { outcome: { peer: who, status: error.code === 'peer_timeout' ? 'timeout' : 'error', error, ms: Date.now() - t0 }, pending: [] };
  }
}

/** Run a search across the eligible peers and store it. */
export async function runSearch(deps: SearchDeps, user: User, input: SearchInput): Promise<{ id: string; createdAt: string; keyTypes: string[]; results: PeerOutcome[] }> {
  const identifiers = parseIdentifiers(input.identifiers, deps.phoneCountry !== undefined ? { phoneCountry: deps.phoneCountry } : {});
  const keys = deriveQueryKeys(identifiers);
  if (keys.length === 0) {
    throw new CairnError('invalid_request', `these identifiers give no match key: ${MATCH_KEY_NEEDS}${placeholderNote(identifiers)}`, {
      location: { field: 'identifiers' },
    });
  }
  // One match request holds at most MAX_MATCH_ELEMENTS elements. Asking only
  // some of the keys would make a no-hit claim more than was searched.
  if (keys.length > MAX_MATCH_ELEMENTS) {
    throw new CairnError('invalid_request', `these identifiers give ${keys.length} match keys and one search asks at most ${MAX_MATCH_ELEMENTS}: split them over several searches (fewer names, aliases, documents or file digests in each); nothing was sent`, {
      location: { field: 'identifiers' },
    });
  }
  let peers = (await listPeers(deps.db)).filter((p) => p.status === 'active');
  if (input.peers?.length) {
    const chosen = await Promise.all(input.peers.map((p) => findPeer(deps.db, p)));
    const revoked = chosen.find((p) => p.status !== 'active');
    if (revoked) throw new CairnError('invalid_request', `peer ${revoked.id} is revoked`, { location: { field: 'peers' } });
    peers = chosen;
  }
  if (peers.length === 0) throw new CairnError('invalid_request', 'no active peer to search: add one with `cairn peers add URL`', { location: { field: 'peers' } });

  const id = `s_${toHex(deps.random.bytes(12))}`;
  const ctx: SearchContext = { searchId: id, purpose: input.purpose, legalBasis: input.legalBasis, caseReference: input.caseReference };
  const keyTypes = [...new Set(keys.map((k) => k.type))].sort();
  const hashed: HashedInputs = new Map();
  const answers = await Promise.all(peers.map((p) => askPeer(deps, p, keys, ctx, hashed)));
  const now = deps.clock.now();
  const createdAt = now.toISOString();
  const statements = [
    deps.db
      .insertInto('searches')
      .values({ id, created_at: createdAt, user_id: user.id, purpose: input.purpose, legal_basis: input.legalBasis, case_reference: input.caseReference, key_types: JSON.stringify(keyTypes) })
      .compile(),
    ...answers.map(({ outcome, pending }, i) =>
      deps.db
        .insertInto('search_results')
        .values({
          search_id: id,
          peer_id: peers[i]!.id,
          status: outcome.status,
          strength: outcome.strength ?? null,
          key_types: outcome.keyTypes ? JSON.stringify(outcome.keyTypes) : null,
          confirmation: outcome.confirmation ?? null,
          receipts: outcome.receipts ? JSON.stringify(outcome.receipts) : null,
          undisclosed: outcome.undisclosed ?? null,
          error: outcome.error ? JSON.stringify(outcome.error) : null,
          ms: outcome.ms,
          pending: pending.length ? JSON.stringify(pending) : null,
          peer_log_index: outcome.logIndex ?? null,
          updated_at: createdAt,
        })
        .compile(),
    ),
    appendStatement(
      deps.db,
      {
        type: 'search.outgoing',
        actor: `user:${user.id}`,
        data: {
          searchId: id,
          user: user.id,
          purpose: input.purpose,
          legalBasis: input.legalBasis,
          caseReference: input.caseReference,
          keyTypes,
          peers: answers.map(({ outcome }) => ({
            peer: outcome.peer.nodeId,
            country: outcome.peer.country,
            result: outcome.status,
            strength: outcome.strength,
            confirmation: outcome.confirmation,
            error: outcome.error?.code,
            peerLogIndex: outcome.logIndex,
            receipts: outcome.receipts?.length,
            undisclosed: outcome.undisclosed,
          })),
        },
      },
      now,
    ),
  ];
  await deps.atomic.run(statements);
  for (const a of answers) deps.onPeerOutcome?.(a.outcome, input.path ?? 'api');
  return { id, createdAt, keyTypes, results: answers.map((a) => a.outcome) };
}

/** Every signing key each of these peers has had pinned, newest first. */
async function keyHistories(db: Db, peerIds: readonly string[]): Promise<Map<string, Uint8Array[]>> {
  const history = new Map<string, Uint8Array[]>();
  if (peerIds.length === 0) return history;
  const keys = await db.selectFrom('peer_signing_keys').select(['peer_id', 'public_key']).where('peer_id', 'in', [...peerIds]).orderBy('pinned_at', 'desc').execute();
  for (const k of keys) history.set(k.peer_id, [...(history.get(k.peer_id) ?? []), new Uint8Array(k.public_key)]);
  return history;
}

/** A stored search with every peer's outcome (`verify`: Cairn's Ed25519 rule for the receipts, default portable). */
export async function getSearch(db: Db, id: string, verify?: Ed25519Verify) {
  const s = await db.selectFrom('searches').selectAll().where('id', '=', id).executeTakeFirst();
  if (!s) throw new CairnError('not_found', `no search ${JSON.stringify(id)}`, { location: { field: 'id' } });
  const rows = await db
    .selectFrom('search_results')
    .leftJoin('peers', 'peers.id', 'search_results.peer_id')
    .select([
      'search_results.peer_id',
      'peers.country',
      'peers.name',
      'peers.signing_public_key',
      'search_results.status',
      'search_results.strength',
      'search_results.key_types',
      'search_results.confirmation',
      'search_results.receipts',
      'search_results.undisclosed',
      'search_results.pending',
      'search_results.error',
      'search_results.ms',
    ])
    .where('search_id', '=', id)
    .orderBy('peers.country')
    .execute();
  // A receipt keeps the key of its day: check it against every key the peer
  // has had pinned (its current one first), as the console's receipt view does.
  const history = await keyHistories(db, rows.filter((r) => r.receipts && r.signing_public_key).map((r) => r.peer_id));
  const keysOf = (peerId: string, pinned: Uint8Array | null): Uint8Array[] => (pinned ? [new Uint8Array(pinned), ...(history.get(peerId) ?? [])] : []);
  return {
    id: s.id,
    createdAt: s.created_at,
    user: s.user_id,
    purpose: s.purpose as Purpose,
    legalBasis: s.legal_basis,
    caseReference: s.case_reference,
    keyTypes: JSON.parse(s.key_types) as string[],
    results: rows.map((r) => {
      const receipts = r.receipts ? (JSON.parse(r.receipts) as unknown[]) : undefined;
      const pending = r.pending ? (JSON.parse(r.pending) as Hit[]) : undefined;
      return {
        peer: { nodeId: r.peer_id, country: r.country ?? '??', name: r.name ?? '(removed peer)' },
        status: r.status as PeerOutcome['status'],
        ...(r.strength ? { strength: r.strength as Strength } : {}),
        ...(r.key_types ? { keyTypes: JSON.parse(r.key_types) as string[] } : {}),
        ...(r.confirmation ? { confirmation: r.confirmation as PeerOutcome['confirmation'] } : {}),
        ...(receipts ? { receipts, records: confirmedRecords(receipts, keysOf(r.peer_id, r.signing_public_key), verify) } : {}),
        ...(r.undisclosed ? { undisclosed: r.undisclosed } : {}),
        ...(pending?.length ? { awaiting: awaitingOf(pending) } : {}),
        ...(r.error ? { error: JSON.parse(r.error) as { code: string; detail: string } } : {}),
        ...(r.ms !== null ? { ms: r.ms } : {}),
      };
    }),
  };
}

/** Confirm a possible hit on the analyst's request, with a recorded justification. */
export async function confirmPossibleHit(deps: SearchDeps, user: User, searchId: string, peerSel: string, justification: string) {
  const s = await deps.db.selectFrom('searches').selectAll().where('id', '=', searchId).executeTakeFirst();
  if (!s) throw new CairnError('not_found', `no search ${JSON.stringify(searchId)}`, { location: { field: 'id' } });
  const peer = await findPeer(deps.db, peerSel);
  const row = await deps.db.selectFrom('search_results').selectAll().where('search_id', '=', searchId).where('peer_id', '=', peer.id).executeTakeFirst();
  if (!row || row.status !== 'hit' || !row.pending) {
    throw new CairnError('invalid_request', `search ${searchId} has no hit from ${peer.country} waiting for confirmation`, { location: { field: 'peer' } });
  }
  if (peer.status !== 'active') throw new CairnError('invalid_request', `peer ${peer.id} is revoked`);
  const pending = JSON.parse(row.pending) as Hit[];
  if (pending.some((h) => typeof h.fingerprint !== 'string')) {
    // Stored under cairn/1 (bucket and digest): a cairn/2 peer finds hits by index fingerprint only.
    throw new CairnError('invalid_request', `the hit from ${peer.country} was found under protocol cairn/1; run search ${searchId} again to confirm it`, {
      location: { field: 'peer' },
    });
  }
  const ctx: SearchContext = { searchId, purpose: s.purpose as Purpose, legalBasis: s.legal_basis, caseReference: s.case_reference };
  // Records already confirmed at this peer in this search are not listed twice, nor asked for
  // again by a later token that names only them, whichever of the peer's keys signed their
  // receipts (the search may predate a rotation).
  const stored = row.receipts ? (JSON.parse(row.receipts) as unknown[]) : [];
  const keys = [...exchangeKeys(peer), ...((await keyHistories(deps.db, [peer.id])).get(peer.id) ?? [])];
  const confirmed = verifiedReceipts(stored, keys, deps.verify);
  const known = {
    records: new Set(confirmed.map((r) => `${r.record.category}:${r.record.ref}`)),
    types: new Set(confirmed.map((r) => `${r.record.category}:${r.keyType}`)),
  };
  const { kept: receipts, error, left, undisclosed } = await confirmEach(deps, peer, ctx, pending, justification, known);
  const now = deps.clock.now();
  // A failure keeps the hit waiting (the analyst may confirm again), and what the peer
  // answered before it is stored all the same: the peer disclosed those records and logged it.
  if (error !== undefined && left.length === pending.length) throw error;
  const failed = error === undefined ? undefined : outcomeError(error);
  await deps.atomic.run([
    deps.db
      .updateTable('search_results')
      .set({
        receipts: JSON.stringify([...stored, ...receipts]),
        undisclosed: Math.max(row.undisclosed ?? 0, undisclosed) || null,
        updated_at: now.toISOString(),
        // Failed: the tokens the peer answered this time leave the list; the others still wait.
        ...(failed ? { confirmation: 'failed', error: JSON.stringify(failed), pending: JSON.stringify(left) } : { confirmation: 'confirmed', pending: null, error: null }),
      })
      .where('search_id', '=', searchId)
      .where('peer_id', '=', peer.id)
      .compile(),
    appendStatement(
      deps.db,
      {
        type: 'hit.confirm.outgoing',
        actor: `user:${user.id}`,
        data: { searchId, peer: peer.id, country: peer.country, strength: row.strength ?? undefined, justification, caseReference: s.case_reference, receipts: receipts.length, ...(undisclosed > 0 ? { undisclosed } : {}), ...(failed ? { error: failed.code } : {}) },
      },
      now,
    ),
  ]);
  if (error !== undefined) throw error;
  return getSearch(deps.db, searchId, deps.verify);
}
