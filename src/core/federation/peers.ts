/**
 * Peers: other countries' nodes this node searches and answers. A peer is
 * added from its signed descriptor after the operator has compared the key
 * fingerprint out of band; from then on its keys are pinned. Policy is deny
 * by default: a new peer may search for nothing until the operator says so.
 */
import { nodeDescriptorSchema, type NodeDescriptor } from '../../../schemas/node.js';
import { peerPolicySchema, type PeerPolicy } from '../../../schemas/federation.js';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { fromBase64Url } from '../bytes.js';
import type { Db, PeersTable } from '../db/schema.js';
import { verifyDescriptor } from '../descriptor.js';
import { DESCRIPTOR_MAX_BYTES } from '../constants.js';
import { CairnError, isCairnError } from '../errors.js';
import { decodeUtf8Body, parseJsonText, readBody, validate } from '../decode/json-body.js';
import type { Clock } from '../ports.js';
import { fingerprintOf, keyIdOf } from '../signing.js';

/**
 * `repin_required`: the peer changed its signing key without a cross-signature
 * from the pinned one (a compromised key, or an overlap we missed). We search
 * and answer it no more until the operator checks the new fingerprint out of
 * band (`cairn peers update PEER --fingerprint FP`).
 */
export type PeerStatus = 'active' | 'revoked' | 'repin_required';

export interface Peer {
  id: string;
  country: string;
  name: string;
  baseUrl: string;
  signingKeyId: string;
  signingPublicKey: Uint8Array;
  oprfPublicKey: Uint8Array;
  /** The OPRF key epoch of `oprfPublicKey` (protocol/38-key-epochs.md). */
  oprfEpoch: number;
  matchKeyTypes: string[];
  policy: PeerPolicy;
  status: PeerStatus;
  addedAt: string;
  revokedAt: string | null;
  /**
   * Set in memory only, on a Peer that followed a rotation during this
   * request: the key it retired. An answer the peer signed across its own
   * key swap may carry a checkpoint or head signed a moment before, by it.
   */
  justRetiredKeys?: Uint8Array[];
}

/** The keys a peer's signed objects may carry within one exchange: its pinned key, and one retired during it. */
export function exchangeKeys(peer: Peer): Uint8Array[] {
  return [peer.signingPublicKey, ...(peer.justRetiredKeys ?? [])];
}

export interface PeerDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
}

/** Deny-all policy given to new peers. */
export const DENY_ALL: PeerPolicy = { purposes: {}, ratePerMinute: 60, dailyElementBudget: 10_000 };

function toPeer(r: PeersTable): Peer {
  return {
    id: r.id,
    country: r.country,
    name: r.name,
    baseUrl: r.base_url,
    signingKeyId: r.signing_key_id,
    signingPublicKey: new Uint8Array(r.signing_public_key),
    oprfPublicKey: new Uint8Array(r.oprf_public_key),
    oprfEpoch: r.oprf_epoch ?? 1,
    matchKeyTypes: JSON.parse(r.match_key_types) as string[],
    policy: peerPolicySchema.parse(JSON.parse(r.policy)),
    status: r.status,
    addedAt: r.added_at,
    revokedAt: r.revoked_at,
  };
}

/** Public summary of a peer for operators (fingerprints, never key material beyond public keys). */
export function describePeer(p: Peer) {
  return {
    id: p.id,
    country: p.country,
    name: p.name,
    baseUrl: p.baseUrl,
    status: p.status,
    signingKeyFingerprint: fingerprintOf(p.signingPublicKey),
    oprfKeyFingerprint: fingerprintOf(p.oprfPublicKey),
    matchKeyTypes: p.matchKeyTypes,
    policy: p.policy,
    addedAt: p.addedAt,
    revokedAt: p.revokedAt,
  };
}

/**
 * Why a fetch failed, in words an operator can act on: fetch itself says
 * only "fetch failed" and keeps the system's reason (ECONNREFUSED,
 * ENOTFOUND, a certificate error) in its cause.
 */
function fetchFailure(cause: unknown, timeoutMs: number): string {
  const e = cause as { name?: string; message?: string; cause?: { code?: unknown; message?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  const code = typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused (nothing listens there)',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name could not be resolved now',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
  };
  if (code !== undefined) return known[code] ?? (typeof e.cause?.message === 'string' ? `${e.cause.message} (${code})` : code);
  return typeof e?.cause?.message === 'string' ? e.cause.message : (e?.message ?? String(cause));
}

/**
 * The target of a redirect, in a form safe to show: resolved against the
 * URL asked and serialised by the URL parser (which percent-encodes what a
 * peer could hide in it), at most 200 characters.
 */
export function redirectTarget(res: Response, asked: URL): string {
  const location = res.headers.get('location');
  if (location === null) return 'no Location';
  try {
    const href = new URL(location, asked).href;
    return href.length > 200 ? `${href.slice(0, 200)}…` : href;
  } catch {
    return 'an invalid Location';
  }
}

/**
 * Refuse a redirect: federation requests and descriptors are fetched from
 * the peer's pinned URL only (`redirect: 'manual'`), so a 3xx can never
 * send this node's request, or bring another service's answer, elsewhere.
 */
export async function refuseRedirect(res: Response, asked: URL, who: string): Promise<void> {
  if (res.status < 300 || res.status > 399) return;
  await res.body?.cancel().catch(() => undefined);
  throw new CairnError('peer_response_invalid', `${who} answered ${res.status} redirecting to ${redirectTarget(res, asked)}: a peer is asked at its own URL only, and a redirect is never followed`, {
    details: { peerStatus: res.status },
  });
}

/**
 * Fetch and verify a node's descriptor. Attacker-controlled until the
 * operator confirms the fingerprint: read no further than
 * DESCRIPTOR_MAX_BYTES, within the timeout, never through a redirect.
 */
export async function fetchDescriptor(fetchFn: typeof fetch, baseUrl: string, timeoutMs = 10_000): Promise<{ envelope: unknown; descriptor: NodeDescriptor }> {
  let url: URL;
  try {
    url = new URL('/.well-known/cairn/node', baseUrl);
  } catch (cause) {
    throw new CairnError('invalid_request', `not a URL: ${JSON.stringify(baseUrl)}`, { cause, location: { field: 'url' } });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CairnError('invalid_request', `a peer's URL starts with https:// (http:// on a closed test network), not ${url.protocol}//`, { location: { field: 'url' } });
  }
  let res: Response;
  try {
    res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' }, redirect: 'manual' });
  } catch (cause) {
    throw new CairnError('peer_unreachable', `could not fetch ${url.href}: ${fetchFailure(cause, timeoutMs)}`, { cause });
  }
  await refuseRedirect(res, url, url.href);
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new CairnError('peer_response_invalid', `${url.href} answered ${res.status}`);
  }
  let raw: Uint8Array;
  try {
    // The timeout's signal still runs: a peer that trickles its descriptor is cut off with it.
    raw = await readBody(res, DESCRIPTOR_MAX_BYTES);
  } catch (cause) {
    if (isCairnError(cause, 'body_too_large')) throw new CairnError('peer_response_invalid', `${url.href}: descriptor larger than ${DESCRIPTOR_MAX_BYTES / 1024} KiB`, { cause });
    throw new CairnError('peer_unreachable', `could not read ${url.href}: ${fetchFailure(cause, timeoutMs)}`, { cause });
  }
  let envelope: unknown;
  try {
    envelope = parseJsonText(decodeUtf8Body(raw));
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${url.href}: descriptor is not JSON${isCairnError(cause) ? ` (${cause.message})` : ''}`, { cause });
  }
  return { envelope, descriptor: verifyDescriptor(envelope) };
}

/** Register a peer from a verified descriptor, pinned to its keys. */
export async function addPeer(deps: PeerDeps, envelope: unknown, descriptor: NodeDescriptor, actor: string, ownNodeId: string): Promise<Peer> {
  nodeDescriptorSchema.parse(descriptor);
  if (descriptor.nodeId === ownNodeId) throw new CairnError('invalid_request', 'that descriptor is this node itself');
  const existing = await deps.db
    .selectFrom('peers')
    .select(['id', 'status'])
    .where((eb) => eb.or([eb('id', '=', descriptor.nodeId), eb('signing_key_id', '=', descriptor.signingKey.keyId)]))
    .executeTakeFirst();
  if (existing) {
    throw new CairnError('invalid_request', `peer ${existing.id} is already registered (${existing.status}); remove it first to re-add it`);
  }
  const now = deps.clock.now().toISOString();
  const row: PeersTable = {
    id: descriptor.nodeId,
    country: descriptor.country,
    name: descriptor.name,
    base_url: descriptor.baseUrl,
    signing_key_id: descriptor.signingKey.keyId,
    signing_public_key: fromBase64Url(descriptor.signingKey.publicKey),
    oprf_public_key: fromBase64Url(descriptor.oprfKey.publicKey),
    oprf_epoch: descriptor.oprfKey.epoch ?? 1,
    match_key_types: JSON.stringify(descriptor.matchKeyTypes),
    descriptor: JSON.stringify(envelope),
    policy: JSON.stringify(DENY_ALL),
    status: 'active',
    added_at: now,
    updated_at: now,
    revoked_at: null,
  };
  await deps.atomic.run([
    deps.db.insertInto('peers').values(row).compile(),
    deps.db
      .insertInto('peer_signing_keys')
      .values({ peer_id: row.id, key_id: row.signing_key_id, public_key: row.signing_public_key, pinned_at: now, retired_at: null })
      .onConflict((oc) => oc.columns(['peer_id', 'key_id']).doNothing())
      .compile(),
    appendStatement(
      deps.db,
      { type: 'peers.add', actor, data: { peer: row.id, country: row.country, baseUrl: row.base_url, signingKeyId: row.signing_key_id } },
      deps.clock.now(),
    ),
  ]);
  return toPeer(row);
}

/** All peers. */
export async function listPeers(db: Db): Promise<Peer[]> {
  return (await db.selectFrom('peers').selectAll().orderBy('country').orderBy('id').execute()).map(toPeer);
}

/** A peer by node id or, when unambiguous, by country code. */
export async function findPeer(db: Db, idOrCountry: string): Promise<Peer> {
  const byId = await db.selectFrom('peers').selectAll().where('id', '=', idOrCountry).executeTakeFirst();
  if (byId) return toPeer(byId);
  const byCountry = await db.selectFrom('peers').selectAll().where('country', '=', idOrCountry.toUpperCase()).execute();
  if (byCountry.length === 1) return toPeer(byCountry[0]!);
  if (byCountry.length > 1) throw new CairnError('invalid_request', `${byCountry.length} peers are in ${idOrCountry.toUpperCase()}; name one by node id`);
  throw new CairnError('not_found', `no peer ${JSON.stringify(idOrCountry)}`, { location: { field: 'peer' } });
}

/** The peer holding a signing key id, if any (federation authentication). */
export async function peerByKeyId(db: Db, keyId: string): Promise<Peer | undefined> {
  const r = await db.selectFrom('peers').selectAll().where('signing_key_id', '=', keyId).executeTakeFirst();
  return r ? toPeer(r) : undefined;
}

/** Replace a peer's policy (validated). */
export async function setPeerPolicy(deps: PeerDeps, idOrCountry: string, policyInput: unknown, actor: string): Promise<Peer> {
  const peer = await findPeer(deps.db, idOrCountry);
  const policy = validate(peerPolicySchema, policyInput);
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db.updateTable('peers').set({ policy: JSON.stringify(policy), updated_at: now.toISOString() }).where('id', '=', peer.id).compile(),
    appendStatement(deps.db, { type: 'peers.update', actor, data: { peer: peer.id, policy: policy as never } }, now),
  ]);
  return { ...peer, policy };
}

/** Revoke a peer: it can no longer search us, and we no longer search it. Kept for the record. */
export async function revokePeer(deps: PeerDeps, idOrCountry: string, actor: string, reason?: string): Promise<Peer> {
  const peer = await findPeer(deps.db, idOrCountry);
  if (peer.status === 'revoked') throw new CairnError('invalid_request', `peer ${peer.id} is already revoked`);
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db.updateTable('peers').set({ status: 'revoked', revoked_at: now.toISOString(), updated_at: now.toISOString() }).where('id', '=', peer.id).compile(),
    appendStatement(deps.db, { type: 'peers.revoke', actor, data: { peer: peer.id, country: peer.country, reason } }, now),
  ]);
  return { ...peer, status: 'revoked', revokedAt: now.toISOString() };
}

/** Remove a peer entirely (its past searches stay in the audit log). */
export async function removePeer(deps: PeerDeps, idOrCountry: string, actor: string): Promise<Peer> {
  const peer = await findPeer(deps.db, idOrCountry);
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db.deleteFrom('peers').where('id', '=', peer.id).compile(),
    appendStatement(deps.db, { type: 'peers.remove', actor, data: { peer: peer.id, country: peer.country } }, now),
  ]);
  return peer;
}

/** A base URL in one spelling: parsed, without a trailing slash. */
function sameUrl(a: string, b: string): boolean {
  const norm = (s: string) => {
    try {
      return new URL(s).href.replace(/\/+$/, '');
    } catch {
      return s;
    }
  };
  return norm(a) === norm(b);
}

/**
 * The base URL to pin for a peer fetched at `typed`: the one typed, unless
 * the descriptor declares another. A node that calls itself by another
 * name is refused, so a typo or a redirect is never stored silently;
 * `useDescriptorUrl` takes the descriptor's word for it.
 */
export function pinnedBaseUrl(typed: string, descriptor: NodeDescriptor, useDescriptorUrl = false): string {
  if (sameUrl(typed, descriptor.baseUrl) || useDescriptorUrl) return descriptor.baseUrl;
  throw new CairnError(
    'invalid_request',
    `the node at ${typed} declares its base URL as ${descriptor.baseUrl}; nothing was changed. Use that URL, or pass --use-descriptor-url to pin ${descriptor.baseUrl}`,
    { location: { field: 'url' } },
  );
}

/**
 * Move a peer to a new base URL (or refresh it from its current one) with a
 * freshly fetched descriptor. The pinned keys must not change: a node with
 * other keys is another node, to be compared out of band and added anew.
 * Policy, status and history stay.
 */
export async function updatePeerDescriptor(deps: PeerDeps, idOrCountry: string, envelope: unknown, descriptor: NodeDescriptor, actor: string): Promise<Peer> {
  const peer = await findPeer(deps.db, idOrCountry);
  nodeDescriptorSchema.parse(descriptor);
  if (descriptor.nodeId !== peer.id) {
    throw new CairnError('signature_invalid', `that descriptor is node ${descriptor.nodeId}, not peer ${peer.id}; nothing was changed`, { location: { field: 'url' } });
  }
  const samePin =
    descriptor.signingKey.keyId === peer.signingKeyId &&
    fingerprintOf(fromBase64Url(descriptor.signingKey.publicKey)) === fingerprintOf(peer.signingPublicKey) &&
    // The OPRF key may change only with a newer epoch, signed under the pinned signing key (protocol/38-key-epochs.md).
    ((descriptor.oprfKey.epoch ?? 1) > peer.oprfEpoch || fingerprintOf(fromBase64Url(descriptor.oprfKey.publicKey)) === fingerprintOf(peer.oprfPublicKey));
  if (!samePin) {
    throw new CairnError(
      'signature_invalid',
      `the node at ${descriptor.baseUrl} presents keys other than the ones pinned for ${peer.country} (${peer.id}); nothing was changed. If the peer rotated its signing key without a cross-signature, compare the new fingerprint out of band and pass it with --fingerprint`,
      { location: { field: 'url' } },
    );
  }
  const now = deps.clock.now();
  const changes = {
    oprf_public_key: (descriptor.oprfKey.epoch ?? 1) > peer.oprfEpoch ? fromBase64Url(descriptor.oprfKey.publicKey) : peer.oprfPublicKey,
    oprf_epoch: Math.max(descriptor.oprfKey.epoch ?? 1, peer.oprfEpoch),
    name: descriptor.name,
    base_url: descriptor.baseUrl,
    match_key_types: JSON.stringify(descriptor.matchKeyTypes),
    descriptor: JSON.stringify(envelope),
    updated_at: now.toISOString(),
  };
  await deps.atomic.run([
    deps.db.updateTable('peers').set(changes).where('id', '=', peer.id).compile(),
    appendStatement(deps.db, { type: 'peers.update', actor, data: { peer: peer.id, baseUrl: descriptor.baseUrl, previousBaseUrl: peer.baseUrl } }, now),
  ]);
  return { ...peer, oprfPublicKey: new Uint8Array(changes.oprf_public_key), oprfEpoch: changes.oprf_epoch, name: descriptor.name, baseUrl: descriptor.baseUrl, matchKeyTypes: descriptor.matchKeyTypes };
}

/**
 * Follow a peer's OPRF key to a newer epoch (protocol/38-key-epochs.md): its
 * answer named `epoch`, so fetch its descriptor again, which must be signed
 * by the pinned signing key, name the same node and carry that epoch's key.
 * The new key is pinned and the change audited; nothing else changes.
 */
export async function followPeerOprfKey(deps: PeerDeps & { fetch: typeof fetch; timeoutMs: number }, peer: Peer, epoch: number): Promise<Peer> {
  if (epoch <= peer.oprfEpoch) {
    throw new CairnError('peer_response_invalid', `${peer.country} answered under OPRF epoch ${epoch}, older than the pinned epoch ${peer.oprfEpoch}`);
  }
  const { envelope } = await fetchDescriptor(deps.fetch, peer.baseUrl, deps.timeoutMs);
  let descriptor: NodeDescriptor;
  try {
    // Signed by the key we pinned, not merely self-signed.
    descriptor = verifyDescriptor(envelope, peer.signingKeyId);
  } catch (cause) {
    throw new CairnError('peer_response_invalid', `${peer.country}: its descriptor does not verify under the pinned signing key, so its new OPRF key is not taken`, { cause });
  }
  if (descriptor.nodeId !== peer.id) throw new CairnError('peer_response_invalid', `${peer.country}: the descriptor names node ${descriptor.nodeId}, not ${peer.id}`);
  const got = descriptor.oprfKey.epoch ?? 1;
  if (got !== epoch) {
    throw new CairnError('peer_response_invalid', `${peer.country} answered under OPRF epoch ${epoch} but its descriptor carries epoch ${got}; try again`);
  }
  const publicKey = fromBase64Url(descriptor.oprfKey.publicKey);
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db
      .updateTable('peers')
      .set({ oprf_public_key: publicKey, oprf_epoch: epoch, descriptor: JSON.stringify(envelope), updated_at: now.toISOString() })
      .where('id', '=', peer.id)
      .where('oprf_epoch', '<', epoch)
      .compile(),
    appendStatement(
      deps.db,
      { type: 'peers.oprf_key', actor: 'system', data: { peer: peer.id, country: peer.country, epoch, previousEpoch: peer.oprfEpoch, keyId: descriptor.oprfKey.keyId, previousKeyId: keyIdOf(peer.oprfPublicKey) } },
      now,
    ),
  ]);
  return { ...peer, oprfPublicKey: publicKey, oprfEpoch: epoch };
}
