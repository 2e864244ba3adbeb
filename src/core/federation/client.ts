/**
 * The searching side of the federation (protocol cairn/2): signed requests
 * to a peer, blind match queries padded to a fixed size and verified against
 * the peer's pinned VOPRF key, the index deltas that ride on each answer
 * applied to our replica of the peer's indexes, the fingerprints looked up
 * there, and hit confirmations that return signed receipts. Everything a
 * peer sends back is attacker-controlled: size-limited, signature-checked,
 * schema-checked.
 */
import { z } from 'zod';
import {
  hitReceiptSchema,
  matchResponseSchema,
  MAX_MATCH_ELEMENTS,
  type HitConfirmRequest,
  type HitReceipt,
  type MatchRequest,
  type MatchResponse,
  type Purpose,
} from '../../../schemas/federation.js';
import type { REPLICA_STATUSES } from '../../../schemas/index.js';
import { nodeBaseUrlProblem } from '../../../schemas/node.js';
import type { RecordCategory } from '../../../schemas/records.js';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../bytes.js';
import { FEDERATION, FEDERATION_SIGNATURE, INDEX, MEDIA_TYPES, UNSIGNED_PROBLEM_CODES } from '../constants.js';
import { verifyJsonEnvelope, type DsseEnvelope } from '../dsse.js';
import { CairnError, isCairnError } from '../errors.js';
import { decodeUtf8Body, parseJsonText, readBody } from '../decode/json-body.js';
import { printable, PROBLEM_CODE } from '../decode/text.js';
import { MATCH_KEY_TYPES, type MatchKey, type MatchKeyStrength } from '../identity/index.js';
import { blind, finalizeBatch } from '../oprf/index.js';
import type { Clock, Random, Sha256 } from '../ports.js';
import { tokenConfirm } from '../records/token-layout.js';
import type { Ed25519Verify, Signer } from '../signing.js';
import { signedFetchInit, verifyResponse, type RequestBinding } from './http-signature.js';
import { indexFingerprint } from './index/fingerprint.js';
import { changesFromWire, type IndexChanges } from './index/types.js';
import { exchangeKeys, refuseRedirect, type Peer } from './peers.js';
import { withAnyKey } from '../keys/history.js';

/** The searching side of the VOPRF: portable (noble) by default, libsodium on Node. */
export interface OprfClient {
  blind(input: Uint8Array): { blind: Uint8Array; blindedElement: Uint8Array };
  finalizeBatch: typeof finalizeBatch;
  /**
   * Blind in two steps (Node's fast path): HashToGroup of an input, which
   * is public and the same for every peer, so a search computes it once;
   * then a fresh blind per peer, one multiplication. A client with both
   * blinds every peer's request this way; `blind` is their composition.
   */
  hashToGroup?(input: Uint8Array): Uint8Array;
  blindElement?(element: Uint8Array): { blind: Uint8Array; blindedElement: Uint8Array };
  /**
   * Padding without the work of a blind (Node's fast path): a uniformly
   * random element, distributed as a blinded element is, with the scalar
   * the client made it from as its `blind`. A client with both of these
   * pads with them; others pad with blinds of random inputs.
   */
  dummy?(): { blind: Uint8Array; blindedElement: Uint8Array };
  /**
   * FinalizeBatch of a padded request: `blinds` holds one per element (the
   * dummies' after the real keys'); the proof is checked over every
   * element, and the first `inputs.length` are finalized. It may run
   * elsewhere (Node checks answers on worker threads), hence the promise.
   */
  finalizePrefix?(...args: Parameters<typeof finalizeBatch>): Uint8Array[] | Promise<Uint8Array[]>;
}

/** The portable client: noble, with `rng` for the blinds. */
export const portableOprfClient = (rng: (n: number) => Uint8Array): OprfClient => ({ blind: (input) => blind(input, rng), finalizeBatch });

export interface ClientDeps {
  /** Blinding and finalization (default: the portable path with `random`). */
  oprf?: OprfClient;
  signer: Signer;
  /** Ed25519 verification of responses (default: noble). */
  verify?: Ed25519Verify;
  /** SHA-256 of request and response Content-Digests (default: noble). */
  sha256?: Sha256;
  clock: Clock;
  random: Random;
  fetch: typeof fetch;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Largest response body accepted from a peer. */
  maxResponseBytes: number;
  /**
   * A response came signed by `keyId`, not the peer's pinned key: follow a
   * cross-signed rotation to it (key-rotation.ts). True when `peer`, updated
   * in place, now holds `keyId`; the response is then checked again.
   */
  followKey?: (peer: Peer, keyId: string | undefined) => Promise<boolean>;
}

/** A replica's state, or what applying a delta asks for next. */
export type ReplicaStatus = (typeof REPLICA_STATUSES)[number] | 'resync';


/**
 * Our replicas of the peers' token indexes, as the match needs them (the
 * index service implements it): which versions we hold, applying a delta
 * that came with an answer, and which fingerprints a replica lists.
 */
export interface ReplicaIndex {
  replicaVersions(peerId: string): Promise<Partial<Record<RecordCategory, number>>>;
  /** Apply an answer's deltas in order; one status per delta. */
  applyDeltas(peer: Peer, deltas: readonly IndexChanges[]): Promise<ReplicaStatus[]>;
  lookup(
    peerId: string,
    categories: readonly RecordCategory[],
    fingerprints: readonly Uint8Array[],
    /** The OPRF epoch the fingerprints were evaluated under: a replica of another epoch is never looked in. */
    epoch?: number,
  ): Promise<{ status: Partial<Record<RecordCategory, ReplicaStatus>>; hits: Array<{ category: RecordCategory; fingerprint: Uint8Array; count: number }> }>;
  /**
   * Bring the peer's replicas up to date now, waiting at most `withinMs`;
   * true when the sync finished in time (it goes on in the background otherwise).
   */
  catchUp?(peer: Peer, withinMs: number): Promise<boolean>;
}

/** What a match query needs beyond a signed request: our replicas of the peer's indexes. */
export interface MatchDeps extends ClientDeps {
  replicas: ReplicaIndex;
  /** How long to wait for a replica an answer found behind (default INDEX.catchUpMs). */
  catchUpMs?: number;
  /**
   * Pin a peer's OPRF key of a newer epoch, from its descriptor signed by
   * the pinned signing key (protocol/38-key-epochs.md). Without it, an
   * answer under another epoch than the pinned one is refused.
   */
  followOprfKey?: (peer: Peer, epoch: number) => Promise<Peer>;
}

export interface SearchContext {
  searchId: string;
  purpose: Purpose;
  legalBasis: string;
  caseReference: string;
}

/** A token of ours whose fingerprint our replica of the peer's index lists. */
export interface Hit {
  keyType: string;
  /** The category whose index listed the fingerprint; confirmation names it. */
  category: RecordCategory;
  strength: MatchKeyStrength;
  /** The index fingerprint (base64url). */
  fingerprint: string;
  /** The unlisted confirmation bytes of the same token (base64url). */
  confirm: string;
  /** How many records the peer's index lists under this token (its multiplicity in our replica). */
  records: number;
}

export interface PeerAnswer {
  hits: Hit[];
  /** State of our replica of each index the purpose may match, after the answer's deltas. */
  replicas: Partial<Record<RecordCategory, ReplicaStatus>>;
  checkpoint: string | undefined;
  logIndex: number | undefined;
}

/**
 * HashToGroup of the match keys of one search, by input, shared by its
 * queries to every peer (clients that split blinding fill it).
 */
export type HashedInputs = Map<Uint8Array, Uint8Array>;

/** The smallest padded size that holds `n` elements (n is at most MAX_MATCH_ELEMENTS). */
export function paddedSize(n: number): number {
  const size = FEDERATION.paddedSizes.find((s) => s >= n);
  if (size === undefined) throw new CairnError('batch_too_large', `at most ${MAX_MATCH_ELEMENTS} elements per request, got ${n}`);
  return size;
}

/** Bytes of a dummy element's random input: as long as the longest usual match key, drawn fresh each time. */
const DUMMY_INPUT_BYTES = 32;

/**
 * POST a signed JSON body to a peer and return its verified, schema-checked
 * answer. Never follows a redirect (`redirect: 'manual'`, a 3xx is refused).
 * A problem is taken at its word only when the peer signed it (protocol/35:
 * every answer to an authenticated request is signed); otherwise only its
 * status (`http_<status>`), or a code a node answers before authentication,
 * is reported, never the peer's text.
 */
export async function postSigned<T extends z.ZodType>(deps: ClientDeps, peer: Peer, path: string, body: unknown, schema: T, mediaType: string = MEDIA_TYPES.json): Promise<z.infer<T>> {
  const bytes = utf8(JSON.stringify(body));
  // A peer pinned before base URLs were held to the descriptor's rule may carry one no request should go to.
  const badUrl = nodeBaseUrlProblem(peer.baseUrl);
  if (badUrl !== undefined) {
    throw new CairnError('peer_unreachable', `${peer.country}'s pinned base URL ${printable(JSON.stringify(peer.baseUrl), 120)} ${badUrl}: nothing was sent; remove the peer and add it again by its real URL`);
  }
  const url = new URL(path, peer.baseUrl);
  const { init, binding } = signedFetchInit({
    method: 'POST',
    url,
    body: bytes,
    signer: deps.signer,
    recipientKeyId: peer.signingKeyId,
    clock: deps.clock,
    random: deps.random,
    headers: { 'content-type': mediaType, accept: mediaType },
    ...(deps.sha256 ? { sha256: deps.sha256 } : {}),
  });
  let res: Response;
  try {
    res = await deps.fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(deps.timeoutMs) });
  } catch (cause) {
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new CairnError('peer_timeout', `${peer.country} did not answer within ${deps.timeoutMs} ms`, { cause });
    throw new CairnError('peer_unreachable', `${peer.country} is unreachable at ${url.origin}`, { cause });
  }
  await refuseRedirect(res, url, peer.country);
  let raw: Uint8Array;
  try {
    raw = await readBody(res, deps.maxResponseBytes);
  } catch (cause) {
    const name = (cause as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new CairnError('peer_timeout', `${peer.country} did not finish its answer within ${deps.timeoutMs} ms`, { cause });
    throw new CairnError('peer_response_invalid', `${peer.country}: ${isCairnError(cause) ? cause.message : 'could not read the answer'}`, { cause });
  }
  if (!res.ok) throw await refusal(deps, peer, res, raw, binding);
  let json: unknown;
  try {
    json = parseJsonText(fromUtf8(raw));
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country} answered ${res.status} with a body that is not JSON${isCairnError(cause, 'malformed_json') ? ` (${cause.message})` : ''}`, { cause });
  }
  try {
    await verifySigned(deps, peer, res, raw, binding);
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country}: response signature: ${isCairnError(cause) ? cause.message : String(cause)}`, { cause });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    // The path and message may name keys the peer chose (an unknown field).
    throw new CairnError('peer_response_invalid', printable(`${peer.country}: answer field ${i?.path.join('.')}: ${i?.message}`, 300));
  }
  return parsed.data;
}

/**
 * Check a response's signature under the peer's pinned key; signed by a key
 * we have not pinned, follow a cross-signed rotation to it first
 * (protocol/32-key-rotation.md). Throws the verification's error.
 */
async function verifySigned(deps: ClientDeps, peer: Peer, res: Response, raw: Uint8Array, binding: RequestBinding): Promise<void> {
  const check = () => verifyResponse(res, raw, { peerPublicKey: peer.signingPublicKey, request: binding, clock: deps.clock, ...(deps.verify ? { verify: deps.verify } : {}), ...(deps.sha256 ? { sha256: deps.sha256 } : {}) });
  try {
    check();
  } catch (e) {
    const presented = res.headers.get(FEDERATION_SIGNATURE.headers.keyId);
    if (!isCairnError(e, 'peer_unknown') || !deps.followKey || presented === null || !(await deps.followKey(peer, presented))) throw e;
    check();
  }
}

/**
 * The error a peer's problem answer (4xx, 5xx) becomes. Signed by the peer:
 * its code (when it is one) and its detail, made printable. Unsigned or
 * not signed by it (a problem before authentication, or one injected on the
 * way): words of ours only, and as code `http_<status>`, or the problem's
 * code when it is one a node answers before authentication at that status
 * (UNSIGNED_PROBLEM_CODES: `503 unavailable`, `401 signature_invalid`, …).
 */
async function refusal(deps: ClientDeps, peer: Peer, res: Response, raw: Uint8Array, binding: RequestBinding): Promise<CairnError> {
  const status = res.status;
  let problem: { code?: unknown; detail?: unknown } = {};
  try {
    const json = parseJsonText(decodeUtf8Body(raw));
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) problem = json;
  } catch {
    // Not JSON: only the status is left.
  }
  const claimed = typeof problem.code === 'string' ? problem.code : undefined;
  const signed = await verifySigned(deps, peer, res, raw, binding).then(
    () => true,
    () => false,
  );
  // Refused as addressed to a key the peer no longer holds: it rotated. Look at its descriptor (throttled)
  // so the next request follows a cross-signed rotation, or the peer is marked for a manual re-pin.
  // That refusal comes before authentication, unsigned (protocol/30): its code counts when it is that one at 401.
  const unsignedCodes: readonly string[] = UNSIGNED_PROBLEM_CODES[status as keyof typeof UNSIGNED_PROBLEM_CODES] ?? [];
  const known = claimed !== undefined && unsignedCodes.includes(claimed) ? claimed : undefined;
  if ((signed ? claimed : known) === 'signature_invalid' && deps.followKey) await deps.followKey(peer, undefined).catch(() => false);
  if (!signed) {
    // A code a node answers before authentication, at its status, is one of ours (not the peer's words);
    // anything else unsigned may have been written by anyone on the way: its status alone is reported.
    const code = known ?? `http_${status}`;
    const why = known ? `${status} ${known}, unsigned as a node answers it before authenticating a request` : `${status} without a valid signature`;
    return new CairnError('peer_response_invalid', `${peer.country} answered ${why}; its own words are not taken${known === 'unavailable' ? ': ask again later' : ''}`, {
      details: { peerCode: code, peerStatus: status },
    });
  }
  const code = claimed !== undefined && PROBLEM_CODE.test(claimed) ? claimed : `http_${status}`;
  const detail = typeof problem.detail === 'string' ? printable(problem.detail, 500) : '';
  return new CairnError('peer_response_invalid', `${peer.country} refused: ${code}${detail ? `: ${detail}` : ''}`, { details: { peerCode: code, peerStatus: status } });
}

/**
 * Ask one peer whether it holds any of `keys` (PROTOCOL.md "Match"): blind
 * each key with fresh blinds and pad with blinded random inputs to a fixed
 * size; send them with our replica versions; verify the batch DLEQ proof
 * against the peer's pinned VOPRF key; finalize; apply the index deltas of
 * the answer to our replicas; look the fingerprints up there.
 */
export async function queryPeer(deps: MatchDeps, peer: Peer, keys: readonly MatchKey[], ctx: SearchContext, hashed: HashedInputs = new Map()): Promise<PeerAnswer> {
  // More than MAX_MATCH_ELEMENTS keys is refused before a search starts (runSearch); paddedSize throws here, never drops keys.
  const usable = usableKeys(peer, keys);
  // Nothing to ask is not a no-hit: the caller reports the peer as not searched (runSearch does, before asking).
  if (usable.length === 0) throw new CairnError('invalid_request', `${peer.country} holds none of the key types of this search; it was not asked`);
  // A dummy is a uniformly random element: the blind of a fresh random input,
  // or (fast clients) r * G for a fresh random r. Either is as uniformly
  // random as a real blinded element, so the peer cannot tell them apart.
  const oprf = deps.oprf ?? portableOprfClient(deps.random.bytes);
  const fast = oprf.dummy && oprf.finalizePrefix ? { dummy: oprf.dummy, finalize: oprf.finalizePrefix } : undefined;
  const inputs = usable.map((k) => k.encoded);
  const n = paddedSize(usable.length);
  if (!fast) for (let i = usable.length; i < n; i++) inputs.push(deps.random.bytes(DUMMY_INPUT_BYTES));
  // Fresh blinds per peer: the same blinded element sent to two peers would let them link the searches.
  // HashToGroup of a key is the same for every peer: computed once per search where the client splits blinding.
  const { hashToGroup, blindElement } = oprf;
  const blinds =
    hashToGroup && blindElement
      ? inputs.map((x) => {
          let element = hashed.get(x);
          if (element === undefined) hashed.set(x, (element = hashToGroup(x)));
          return blindElement(element);
        })
      : inputs.map((x) => oprf.blind(x));
  if (fast) for (let i = usable.length; i < n; i++) blinds.push(fast.dummy());
  const elements = blinds.map((b) => b.blindedElement);
  const request: MatchRequest = {
    ...ctx,
    replicaVersions: await deps.replicas.replicaVersions(peer.id),
    blindedElements: elements.map(toBase64Url),
  };
  const answer = await postSigned(deps, peer, `${FEDERATION.prefix}/match`, request, matchResponseSchema, FEDERATION.mediaType);
  if (answer.searchId !== ctx.searchId || answer.evaluatedElements.length !== elements.length) {
    throw new CairnError('peer_response_invalid', `${peer.country}: the answer does not match the request (search id or element count)`);
  }
  const categories = checkDeltas(peer, request, answer.deltas);
  // The answer names the epoch it was evaluated under; a newer one means the
  // peer activated a new OPRF key: take it from its signed descriptor first.
  const epoch = answer.epoch ?? 1;
  let keyed = peer;
  if (epoch < peer.oprfEpoch) {
    // Evaluated before the peer's switch, received after we followed it (a
    // concurrent search did): the old key is no longer pinned, so nothing of
    // this answer is used. Not a no-hit: the same search now runs under the new epoch.
    return { hits: [], replicas: Object.fromEntries(categories.map((c) => [c, 'syncing' as const])), checkpoint: answer.checkpoint, logIndex: answer.logIndex };
  }
  if (epoch !== peer.oprfEpoch) {
    if (!deps.followOprfKey) throw new CairnError('peer_response_invalid', `${peer.country} answered under OPRF epoch ${epoch}, not the pinned epoch ${peer.oprfEpoch}`);
    keyed = await deps.followOprfKey(peer, epoch);
  }
  let tokens: Uint8Array[];
  try {
    // The proof covers every element, dummies included; only the real keys' outputs are used.
    tokens = await (fast?.finalize ?? oprf.finalizeBatch)(
      inputs,
      blinds.map((b) => b.blind),
      answer.evaluatedElements.map((e, i) => fromBase64Url(e, `evaluatedElements[${i}]`)),
      elements,
      keyed.oprfPublicKey,
      fromBase64Url(answer.proof, 'proof'),
    );
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country}: the evaluation proof does not verify against its published VOPRF key`, { cause });
  }
  const applied = await applyDeltas(deps, peer, answer.deltas.map(changesFromWire));
  const real = tokens.slice(0, usable.length);
  const fingerprints = real.map((t) => indexFingerprint(t));
  let found = await deps.replicas.lookup(peer.id, categories, fingerprints, epoch);
  const replicas: Partial<Record<RecordCategory, ReplicaStatus>> = {};
  for (const c of categories) replicas[c] = worse(applied[c], found.status[c] ?? 'syncing');
  // A replica the answer could not bring up to date (missing, or behind the
  // peer's change log): sync it now for a bounded time and look the same
  // fingerprints up again, rather than report a miss that is not a no-hit.
  const behind = categories.filter((c) => replicas[c] === 'stale' || replicas[c] === 'syncing' || replicas[c] === 'resync');
  const wait = deps.catchUpMs ?? INDEX.catchUpMs;
  if (behind.length > 0 && wait > 0 && deps.replicas.catchUp && (await deps.replicas.catchUp(peer, wait))) {
    found = await deps.replicas.lookup(peer.id, categories, fingerprints, epoch);
    for (const c of behind) replicas[c] = found.status[c] ?? 'syncing';
  }
  const byFingerprint = new Map(fingerprints.map((f, i) => [toBase64Url(f), i]));
  const hits: Hit[] = [];
  for (const h of found.hits) {
    const fingerprint = toBase64Url(h.fingerprint);
    const i = byFingerprint.get(fingerprint);
    if (i === undefined || !categories.includes(h.category)) continue;
    const k = usable[i]!;
    hits.push({ keyType: k.type, category: h.category, strength: MATCH_KEY_TYPES[k.type].strength, fingerprint, confirm: toBase64Url(tokenConfirm(real[i]!)), records: h.count });
  }
  return { hits, replicas, checkpoint: answer.checkpoint, logIndex: answer.logIndex };
}

/** The keys of a search whose type the peer lists in its descriptor's `matchKeyTypes`: the only ones it is asked about. */
export function usableKeys(peer: Peer, keys: readonly MatchKey[]): MatchKey[] {
  return keys.filter((k) => peer.matchKeyTypes.includes(k.type));
}

/**
 * The categories of an answer's deltas, checked against the request
 * (protocol/35 "Match", protocol/37 "Endpoints"): at least one (a purpose
 * the peer allows matches one category or more), one per category, and a
 * delta (not a `resync`) only from the version the request named for its
 * category. Anything else leaves our replica unproven, so the answer is
 * refused as peer_response_invalid, never read as a no-hit.
 */
function checkDeltas(peer: Peer, request: MatchRequest, deltas: MatchResponse['deltas']): RecordCategory[] {
  if (deltas.length === 0) throw new CairnError('peer_response_invalid', `${peer.country}: the answer carries no index delta, so our replica of its index is not shown to be current`);
  const categories = [...new Set(deltas.map((d) => d.category))];
  if (categories.length !== deltas.length) throw new CairnError('peer_response_invalid', `${peer.country}: the answer carries two deltas for one category`);
  for (const d of deltas) {
    if ('resync' in d) continue;
    const asked = request.replicaVersions[d.category];
    if (asked === undefined) throw new CairnError('peer_response_invalid', `${peer.country}: the answer carries a delta of ${d.category}, of which the request named no replica (that is a resync)`);
    if (d.fromVersion !== asked) throw new CairnError('peer_response_invalid', `${peer.country}: the answer's delta of ${d.category} starts at version ${d.fromVersion}, not at ${asked} as asked`);
  }
  return categories;
}

/** Apply the deltas of an answer, by category; replicas that throw are in error, never silently behind. */
async function applyDeltas(deps: MatchDeps, peer: Peer, deltas: IndexChanges[]): Promise<Partial<Record<RecordCategory, ReplicaStatus>>> {
  let statuses: ReplicaStatus[];
  try {
    statuses = await deps.replicas.applyDeltas(peer, deltas);
  } catch {
    statuses = deltas.map(() => 'error');
  }
  return Object.fromEntries(deltas.map((d, i) => [d.category, statuses[i] ?? 'error']));
}

const SEVERITY: Record<ReplicaStatus, number> = { ready: 0, resync: 1, stale: 2, syncing: 3, error: 4 };

/** The less usable of two replica states: a replica is only as good as its worst report. */
function worse(a: ReplicaStatus | undefined, b: ReplicaStatus): ReplicaStatus {
  if (a === undefined) return b;
  return SEVERITY[a] >= SEVERITY[b] ? a : b;
}

const receiptsResponse = z.object({ receipts: z.array(z.unknown()).min(1).max(FEDERATION.maxReceipts) }).strict();

/** Ask the peer for the reference behind a hit; returns its verified signed receipts. */
export async function confirmHit(deps: ClientDeps, peer: Peer, ctx: SearchContext, hit: Hit, justification?: string): Promise<{ envelopes: DsseEnvelope[]; receipts: HitReceipt[] }> {
  const body: HitConfirmRequest = { ...ctx, category: hit.category, fingerprint: hit.fingerprint, confirm: hit.confirm, ...(justification ? { justification } : {}) };
  const answer = await postSigned(deps, peer, `${FEDERATION.prefix}/hits`, body, receiptsResponse, FEDERATION.mediaType);
  const receipts = answer.receipts.map((env, i) => {
    let payload: unknown;
    try {
      payload = withAnyKey(exchangeKeys(peer), (key) => verifyJsonEnvelope(env, MEDIA_TYPES.hitReceipt, key, deps.verify));
    } catch (cause) {
      throw new CairnError('peer_response_invalid', `${peer.country}: receipt ${i} does not verify`, { cause });
    }
    const r = hitReceiptSchema.safeParse(payload);
    if (!r.success) {
      // The field and our schema's words (a key the peer made up is one of them: made printable).
      const issue = r.error.issues[0];
      const field = printable(issue?.path.join('.') || '(root)', 100);
      throw new CairnError('peer_response_invalid', `${peer.country}: receipt ${i}, field ${field}: ${printable(issue?.message ?? 'malformed', 200)}`);
    }
    if (r.data.searchId !== ctx.searchId || r.data.issuer.nodeId !== peer.id) {
      throw new CairnError('peer_response_invalid', `${peer.country}: receipt ${i} is for another ${r.data.searchId !== ctx.searchId ? 'search' : 'node'}`);
    }
    return r.data;
  });
  return { envelopes: answer.receipts as DsseEnvelope[], receipts };
}
