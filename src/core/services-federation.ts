/**
 * The federation use cases as services: our searches of peers, our answers
 * to peers, the peers themselves, and witnessing their logs. The protocol
 * lives in federation/*; this file gives each use case its dependencies
 * once and holds the read queries delivery shares (searches list, hits on
 * our records, witness status), so an API route and a console page show
 * the same thing.
 */
import type { HitConfirmRequest, MatchRequest } from '../../schemas/federation.js';
import type { Db, HitsIncomingTable } from './db/schema.js';
import type { DsseEnvelope } from './dsse.js';
import { answerHit, answerMatch, type AnswerDeps } from './federation/answer.js';
import { signResponse, verifyRequest, type AuthenticatedRequest, type RequestBinding } from './federation/http-signature.js';
import { addPeer, exchangeKeys, fetchDescriptor, findPeer, listPeers, peerByKeyId, removePeer, revokePeer, setPeerPolicy, updatePeerDescriptor, type Peer, type PeerDeps, type PeerStatus } from './federation/peers.js';
import { reconcile, type ReconcileReport } from './federation/reconcile.js';
import { searchOnRegistration } from './federation/registration.js';
import type { NonceStore } from './federation/replay.js';
import { confirmPossibleHit, getSearch, runSearch, type PeerOutcome, type SearchDeps, type SearchInput } from './federation/search.js';
import { returnCosignature, witnessCheckpoint, type WitnessDeps } from './federation/witness.js';
import { newestCosignedSizes } from './audit/cosignatures.js';
import { CairnError } from './errors.js';
import { appendStatement } from './audit/entry.js';
import { checkFingerprint, repinStatements, type FollowOutcome, type PeerKeyFollower } from './federation/key-rotation.js';
import type { ParsedRecord } from './records/parse.js';
import { fingerprintOf, type Ed25519Verify } from './signing.js';
import { fromBase64Url, toHex } from './bytes.js';
import type { NodeDescriptor } from '../../schemas/node.js';
import type { User } from './users/users.js';
import type { Sha256 } from './ports.js';

/** D1 binds at most 100 parameters a statement: the id list of a searches page stays under that. */
const MAX_SEARCHES_PAGE = 90;

/** One search in a list, with its peers' outcome counts. */
export interface SearchSummary {
  id: string;
  createdAt: string;
  user: string;
  purpose: string;
  caseReference: string;
  peers: number;
  hits: number;
  /** Hits not yet confirmed. */
  awaiting: number;
}

/** Our searches of peers. */
export interface SearchService {
  /** Run a search across the eligible peers, witness their checkpoints, store it. */
  run(user: User, input: SearchInput): ReturnType<typeof runSearch>;
  /** A stored search with every peer's outcome. */
  get(id: string): ReturnType<typeof getSearch>;
  /** Confirm a possible hit with a recorded justification. */
  confirm(user: User, searchId: string, peer: string, justification: string): ReturnType<typeof confirmPossibleHit>;
  /** The newest searches (at most 90), optionally of one case or one user. */
  list(filter: { caseReference?: string | undefined; userId?: string | undefined; limit: number }): Promise<SearchSummary[]>;
  /** Hits peers confirmed on our records, newest first. */
  incomingHits(limit: number): Promise<HitsIncomingTable[]>;
  /** Search peers for newly registered missing or unaccompanied children among `records`. */
  onRegistration(records: readonly ParsedRecord[], changedRefs: readonly string[]): Promise<{ ref: string; searchId: string }[]>;
  /**
   * Hear each peer's outcome of every search, whichever path ran it (api,
   * console, cli, registration): metrics. Returns the unsubscribe.
   */
  onPeerOutcome(listener: (outcome: PeerOutcome, path: string) => void): () => void;
}

/** Build the search service. */
export function createSearchService(searchDeps: SearchDeps): SearchService {
  const listeners = new Set<(outcome: PeerOutcome, path: string) => void>();
  const deps: SearchDeps = {
    ...searchDeps,
    onPeerOutcome: (outcome, path) => {
      searchDeps.onPeerOutcome?.(outcome, path);
      for (const l of listeners) l(outcome, path);
    },
  };
  const { db } = deps;
  return {
    onPeerOutcome(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    run: (user, input) => runSearch(deps, user, input),
    get: (id) => getSearch(db, id, deps.verify),
    confirm: (user, id, peer, justification) => confirmPossibleHit(deps, user, id, peer, justification),
    async list({ caseReference, userId, limit }) {
      let q = db
        .selectFrom('searches')
        .select(['id', 'created_at', 'user_id', 'purpose', 'case_reference'])
        .orderBy('created_at', 'desc')
        .limit(Math.min(MAX_SEARCHES_PAGE, Math.max(1, limit)));
      if (caseReference) q = q.where('case_reference', '=', caseReference);
      if (userId) q = q.where('user_id', '=', userId);
      const rows = await q.execute();
      if (rows.length === 0) return [];
      const results = await db.selectFrom('search_results').select(['search_id', 'status', 'confirmation']).where('search_id', 'in', rows.map((r) => r.id)).execute();
      return rows.map((r) => {
        const mine = results.filter((x) => x.search_id === r.id);
        return {
          id: r.id,
          createdAt: r.created_at,
          user: r.user_id,
          purpose: r.purpose,
          caseReference: r.case_reference,
          peers: mine.length,
          hits: mine.filter((x) => x.status === 'hit').length,
          awaiting: mine.filter((x) => x.status === 'hit' && x.confirmation !== 'confirmed').length,
        };
      });
    },
    incomingHits: (limit) => db.selectFrom('hits_incoming').selectAll().orderBy('at', 'desc').limit(limit).execute(),
    onRegistration: (records, changedRefs) => searchOnRegistration(deps, records, changedRefs),
  };
}

/** Our answers to peers' signed requests. */
export interface AnswerService {
  /**
   * Authenticate a peer's signed request (RFC 9421-style signature, pinned
   * key, replay check). `onRefused` hears of a known peer's refused request.
   */
  authenticate(request: Request, body: Uint8Array, onRefused?: (peer: Peer, e: unknown) => void): Promise<{ peer: Peer; binding: RequestBinding }>;
  /** Sign an answer (or a problem) bound to the request it answers. */
  signResponse(status: number, body: Uint8Array, request: RequestBinding): Headers;
  /** Answer a blind match query. */
  match(peer: Peer, req: MatchRequest): ReturnType<typeof answerMatch>;
  /** Answer a hit confirmation with signed receipts. */
  hit(peer: Peer, req: HitConfirmRequest): Promise<{ receipts: DsseEnvelope[] }>;
}

/** What authenticating peers needs besides the answer dependencies. */
export interface PeerAuthDeps {
  nonceStore: NonceStore;
  verify?: Ed25519Verify;
  /** SHA-256 of request and response Content-Digests (default: noble). */
  sha256?: Sha256;
  /** Key ids requests may be addressed to: the current key, and a retiring one during its overlap (default: the signer's). */
  ownKeyIds?: () => string[];
  /** A request signed by a key no peer holds: the peer that rotated to it, if a cross-signed descriptor says so. */
  followKey?: (keyId: string) => Promise<Peer | undefined>;
}

/** Build the answer service. */
export function createAnswerService(deps: AnswerDeps, auth: PeerAuthDeps): AnswerService {
  return {
    async authenticate(request, body, onRefused) {
      let peer: Peer | undefined;
      let authenticated: AuthenticatedRequest;
      try {
        authenticated = await verifyRequest(request, body, {
          lookupKey: async (keyId) => {
            // A key no peer holds may be a peer's new key after a rotation: look at their descriptors (throttled).
            peer = (await peerByKeyId(deps.db, keyId)) ?? (await auth.followKey?.(keyId));
            return peer && { peerId: peer.id, publicKey: peer.signingPublicKey, status: peer.status };
          },
          ownKeyIds: auth.ownKeyIds?.() ?? [deps.signer.keyId],
          clock: deps.clock,
          nonceStore: auth.nonceStore,
          ...(auth.verify ? { verify: auth.verify } : {}),
          ...(auth.sha256 ? { sha256: auth.sha256 } : {}),
        });
      } catch (e) {
        if (peer) onRefused?.(peer, e);
        throw e;
      }
      return { peer: peer!, binding: authenticated.binding };
    },
    signResponse: (status, body, request) => signResponse({ status, body, request, signer: deps.signer, clock: deps.clock, ...(auth.sha256 ? { sha256: auth.sha256 } : {}) }),
    match: (peer, req) => answerMatch(deps, peer, req),
    hit: (peer, req) => answerHit(deps, peer, req),
  };
}

/** Peers, their pinned keys and their policy. */
export interface PeerService {
  list(): Promise<Peer[]>;
  /** A peer by node id or, when unambiguous, country code. */
  find(idOrCountry: string): Promise<Peer>;
  /** Fetch and verify a node's descriptor (before pinning it). */
  fetchDescriptor(url: string): Promise<{ envelope: unknown; descriptor: NodeDescriptor }>;
  /**
   * Pin a verified descriptor as a peer. With `fingerprint`, refuse a node
   * whose signing key has another one (the out-of-band check).
   */
  add(fetched: { envelope: unknown; descriptor: NodeDescriptor }, actor: string, fingerprint?: string): Promise<Peer>;
  /**
   * Move a peer to a freshly fetched descriptor; its policy stays. Its pinned
   * signing key must not change, unless `fingerprint` (checked out of band)
   * is the new key's: then the new key is pinned by hand (a peer in
   * `repin_required`, or one whose rotation we missed) and it is active again.
   */
  update(idOrCountry: string, fetched: { envelope: unknown; descriptor: NodeDescriptor }, actor: string, fingerprint?: string): Promise<Peer>;
  /** Look at every active peer's descriptor for a signing-key rotation (the periodic schedule). */
  followRotations(): Promise<Record<FollowOutcome, number>>;
  /** The signing keys a peer has used since we pinned it, oldest first (receipts and cosignatures signed by retired ones still verify). */
  keyHistory(idOrCountry: string): Promise<{ keyId: string; publicKey: Uint8Array; fingerprint: string; pinnedAt: string; retiredAt: string | null }[]>;
  setPolicy(idOrCountry: string, policy: unknown, actor: string): Promise<Peer>;
  revoke(idOrCountry: string, actor: string, reason?: string): Promise<Peer>;
  remove(idOrCountry: string, actor: string): Promise<Peer>;
  /** Elements and requests each peer used on `day` (YYYY-MM-DD). */
  usageOn(day: string): Promise<{ peer_id: string; elements: number; requests: number }[]>;
}

/** Build the peer service. */
export function createPeerService(deps: PeerDeps & { fetch: typeof fetch; ownNodeId: string; timeoutMs: number; follower: PeerKeyFollower }): PeerService {
  const { db } = deps;
  return {
    list: () => listPeers(db),
    find: (sel) => findPeer(db, sel),
    fetchDescriptor: (url) => fetchDescriptor(deps.fetch, url, deps.timeoutMs),
    async add({ envelope, descriptor }, actor, fingerprint) {
      if (fingerprint !== undefined) {
        const fp = fingerprintOf(fromBase64Url(descriptor.signingKey.publicKey));
        if (fingerprint.trim().toLowerCase() !== fp) {
          throw new CairnError('signature_invalid', `fingerprint mismatch: the node at ${descriptor.baseUrl} presents signing key fingerprint ${fp}, not the one given; nothing was added`, {
            location: { field: 'fingerprint' },
          });
        }
      }
      return addPeer(deps, envelope, descriptor, actor, deps.ownNodeId);
    },
    async update(sel, { envelope, descriptor }, actor, fingerprint) {
      const peer = await findPeer(db, sel);
      const presented = fromBase64Url(descriptor.signingKey.publicKey);
      if (fingerprint === undefined || (descriptor.signingKey.keyId === peer.signingKeyId && peer.status !== 'repin_required')) {
        return updatePeerDescriptor(deps, sel, envelope, descriptor, actor);
      }
      if (descriptor.nodeId !== peer.id) {
        throw new CairnError('signature_invalid', `that descriptor is node ${descriptor.nodeId}, not peer ${peer.id}; nothing was changed`, { location: { field: 'url' } });
      }
      if (peer.status === 'revoked') throw new CairnError('invalid_request', `peer ${peer.id} is revoked; remove it and add it again`);
      checkFingerprint(fingerprint, presented, descriptor.baseUrl);
      const now = deps.clock.now();
      const statements =
        descriptor.signingKey.keyId === peer.signingKeyId
          ? [
              db.updateTable('peers').set({ status: 'active', descriptor: JSON.stringify(envelope), updated_at: now.toISOString() }).where('id', '=', peer.id).compile(),
              appendStatement(db, { type: 'peers.update', actor, data: { peer: peer.id, status: 'active', fingerprint: fingerprintOf(presented) } }, now),
            ]
          : repinStatements(db, peer, presented, envelope, now, { actor, data: { crossSigned: false, checkedOutOfBand: true } });
      await deps.atomic.run(statements);
      return findPeer(db, peer.id);
    },
    followRotations: () => deps.follower.checkAll(),
    async keyHistory(sel) {
      const peer = await findPeer(db, sel);
      const rows = await db.selectFrom('peer_signing_keys').selectAll().where('peer_id', '=', peer.id).orderBy('pinned_at').execute();
      return rows.map((r) => ({ keyId: r.key_id, publicKey: new Uint8Array(r.public_key), fingerprint: fingerprintOf(new Uint8Array(r.public_key)), pinnedAt: r.pinned_at, retiredAt: r.retired_at }));
    },
    setPolicy: (sel, policy, actor) => setPeerPolicy(deps, sel, policy, actor),
    revoke: (sel, actor, reason) => revokePeer(deps, sel, actor, reason),
    remove: (sel, actor) => removePeer(deps, sel, actor),
    usageOn: (day) => db.selectFrom('peer_usage').select(['peer_id', 'elements', 'requests']).where('day', '=', day).execute(),
  };
}

/** What we witnessed of one peer's log. */
export interface WitnessedPeer {
  peer: string;
  country: string;
  name: string;
  status: PeerStatus;
  witnessedSize: number | null;
  lastWitnessedAt: string | null;
  checkpoints: number;
  /** The newest size of our log this peer cosigned (PROTOCOL.md §45). */
  cosignedSize: number | null;
  alerts: number;
  /** The kinds of its alerts among those listed, newest first, each once (rollback, fork, inconsistent, …). */
  alertKinds: string[];
}

/** One witness alert: one event, however often later checks found it again (`seen`, `lastSeenAt`). */
export interface WitnessAlertView {
  id: string;
  at: string;
  peer: string;
  kind: string;
  detail: string;
  seen: number;
  lastSeenAt: string;
}

/** Witnessing peers' logs and reconciling our searches with them. */
export interface WitnessService {
  /**
   * Check a peer's checkpoint against what we witnessed before (alerts on a
   * fork); `later` when this peer was checked less than the witnessing
   * interval ago (a later answer's checkpoint covers this one).
   */
  witness(peer: Peer, note: string | undefined): Promise<Awaited<ReturnType<typeof witnessCheckpoint>> | 'later'>;
  /** Prove our searches to `peer` are in its log. */
  reconcile(peer: Peer): Promise<ReconcileReport>;
  /** Per peer, the largest checkpoint witnessed; and the newest alerts (at most `alertLimit`). */
  status(alertLimit: number): Promise<{ peers: WitnessedPeer[]; alerts: WitnessAlertView[] }>;
}

/**
 * Build the witness service. `intervalMs`: check each peer's checkpoints at
 * most this often (0: every new one). A peer's log grows with every answer,
 * so checking each new checkpoint costs two more signed round trips per
 * peer (the consistency proof and the cosignature) about once a second per
 * peer searched; a checkpoint left unchecked is covered by the next one,
 * whose consistency proof spans it, so a fork is still found, at the first
 * answer from that peer once the interval has passed. Reconciling checks a
 * fresh checkpoint whatever the interval.
 */
export function createWitnessService(deps: WitnessDeps, self: { nodeId: string; country: string; baseUrl: string }, opts: { intervalMs?: number } = {}): WitnessService {
  const { db } = deps;
  const intervalMs = opts.intervalMs ?? 0;
  /** Per peer, when this process last checked one of its checkpoints to a verdict. */
  const checkedAt = new Map<string, number>();
  // Per peer, the last checkpoint this process found stored and consistent, under the keys it was checked with.
  // Every answer carries the peer's latest checkpoint, which changes only when the peer signs a new one:
  // the same note again needs neither its signature checked nor a look in the database.
  const witnessed = new Map<string, string>();
  return {
    async witness(peer, note) {
      const seen = note === undefined ? undefined : `${exchangeKeys(peer).map(toHex).join(',')}\n${note}`;
      if (seen !== undefined && witnessed.get(peer.id) === seen) return 'known';
      const now = deps.clock.now().getTime();
      const last = checkedAt.get(peer.id);
      if (note !== undefined && last !== undefined && now - last < intervalMs) return 'later';
      const outcome = await witnessCheckpoint(deps, peer, note);
      if (outcome !== 'none') checkedAt.set(peer.id, now);
      if (seen !== undefined && (outcome === 'known' || outcome === 'stored')) witnessed.set(peer.id, seen);
      // A checkpoint newly verified as consistent: cosign it and send it back (PROTOCOL.md §45).
      if (outcome === 'stored' && note !== undefined) await returnCosignature({ ...deps, baseUrl: self.baseUrl }, peer, note);
      return outcome;
    },
    reconcile: (peer) => reconcile(deps, peer, self),
    async status(alertLimit) {
      const peers = await db.selectFrom('peers').select(['id', 'country', 'name', 'status']).orderBy('country').orderBy('id').execute();
      const latest = await db
        .selectFrom('witnessed_checkpoints')
        .select(['peer_id', (eb) => eb.fn.max('size').as('size'), (eb) => eb.fn.max('at').as('at'), (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy('peer_id')
        .execute();
      const alerts = await db.selectFrom('witness_alerts').select(['id', 'at', 'peer_id', 'kind', 'detail', 'seen', 'last_seen_at']).orderBy('at', 'desc').limit(alertLimit).execute();
      const cosigned = await newestCosignedSizes(db);
      return {
        peers: peers.map((p) => {
          const w = latest.find((l) => l.peer_id === p.id);
          return {
            peer: p.id,
            country: p.country,
            name: p.name,
            status: p.status,
            witnessedSize: w?.size === undefined || w.size === null ? null : Number(w.size),
            lastWitnessedAt: (w?.at as string | null | undefined) ?? null,
            checkpoints: Number(w?.count ?? 0),
            cosignedSize: cosigned.find((x) => x.peerId === p.id)?.size ?? null,
            alerts: alerts.filter((a) => a.peer_id === p.id).length,
            alertKinds: [...new Set(alerts.filter((a) => a.peer_id === p.id).map((a) => a.kind))],
          };
        }),
        alerts: alerts.map((a) => ({ id: a.id, at: a.at, peer: a.peer_id, kind: a.kind, detail: a.detail, seen: Number(a.seen), lastSeenAt: a.last_seen_at ?? a.at })),
      };
    },
  };
}

