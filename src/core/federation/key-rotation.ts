/**
 * Following a peer's signing-key rotation (protocol/32-key-rotation.md).
 *
 * We pinned one signing key per peer. When the peer presents another (a
 * response or a request signed by an unknown key id), or on the periodic
 * schedule, we fetch its descriptor ourselves and accept the new key only
 * if the descriptor is cross-signed by the key we pinned, within the
 * overlap it states. Then we re-pin and audit `peers.key_rotated`. A
 * descriptor that is not cross-signed (a compromised key, or an overlap we
 * missed) marks the peer `repin_required`: it is searched and answered no
 * more until the operator checks the new fingerprint out of band.
 *
 * An unauthenticated request can name any key id, so a peer's descriptor is
 * fetched at most once per KEYS.descriptorRecheckMs for such a trigger, with
 * one exception: a request signed by a key no peer holds starts a look at
 * every peer's descriptor at most once per KEYS.unknownKeySweepMs, whatever
 * each peer's own wait. Without it, a peer that rotated seconds after we
 * last looked at its descriptor was refused for up to half a minute; with
 * it, junk key ids still cost at most one look per peer per sweep interval.
 */
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { fromBase64Url } from '../bytes.js';
import { KEYS } from '../constants.js';
import type { Db } from '../db/schema.js';
import { acceptRotation } from '../descriptor.js';
import { CairnError, isCairnError } from '../errors.js';
import type { Clock, Logger } from '../ports.js';
import { fingerprintOf, keyIdOf } from '../signing.js';
import { fetchDescriptor, findPeer, listPeers, type Peer } from './peers.js';

export interface KeyFollowerDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  logger: Logger;
  fetch: typeof fetch;
  timeoutMs: number;
}

/** What one look at a peer's descriptor found. */
export type FollowOutcome = 'same' | 'rotated' | 'repin_required' | 'unreachable' | 'skipped';

/**
 * The statements that pin `publicKey` for `peer` in place of its current
 * key: the peer row, its key history, and the audit entry of `type`.
 */
export function repinStatements(
  db: Db,
  peer: Peer,
  publicKey: Uint8Array,
  envelope: unknown,
  now: Date,
  audit: { actor: string; data: Record<string, string | number | boolean> },
) {
  const keyId = keyIdOf(publicKey);
  const at = now.toISOString();
  return [
    db
      .updateTable('peers')
      .set({ signing_key_id: keyId, signing_public_key: publicKey, descriptor: JSON.stringify(envelope), status: 'active', updated_at: at })
      .where('id', '=', peer.id)
      .where('signing_key_id', '=', peer.signingKeyId)
      .compile(),
    db.updateTable('peer_signing_keys').set({ retired_at: at }).where('peer_id', '=', peer.id).where('key_id', '=', peer.signingKeyId).where('retired_at', 'is', null).compile(),
    db
      .insertInto('peer_signing_keys')
      .values({ peer_id: peer.id, key_id: keyId, public_key: publicKey, pinned_at: at, retired_at: null })
      .onConflict((oc) => oc.columns(['peer_id', 'key_id']).doUpdateSet({ retired_at: null }))
      .compile(),
    appendStatement(
      db,
      {
        type: 'peers.key_rotated',
        actor: audit.actor,
        data: { peer: peer.id, country: peer.country, previousKeyId: peer.signingKeyId, keyId, fingerprint: fingerprintOf(publicKey), ...audit.data },
      },
      now,
    ),
  ];
}

/** Reload a Peer object held by a caller, remembering a key it held before (exchangeKeys). */
async function refreshInPlace(db: Db, peer: Peer): Promise<void> {
  const before = peer.signingPublicKey;
  Object.assign(peer, await findPeer(db, peer.id));
  if (keyIdOf(before) !== peer.signingKeyId) peer.justRetiredKeys = [before];
}

/** Watches peers' descriptors for signing-key rotations; one per node instance (services.ts). */
export class PeerKeyFollower {
  readonly #deps: KeyFollowerDeps;
  /** When each peer's descriptor was last fetched for an unknown key. */
  readonly #checkedAt = new Map<string, number>();
  /** The signing key id each peer's descriptor named when we last fetched it. */
  readonly #lastSeen = new Map<string, string>();
  /** A look at a peer in progress: concurrent triggers share it. */
  readonly #running = new Map<string, Promise<FollowOutcome>>();
  /** When a request signed by an unknown key last made us look at every peer regardless of its wait. */
  #sweptAt = -Infinity;

  constructor(deps: KeyFollowerDeps) {
    this.#deps = deps;
  }

  /**
   * Fetch `peer`'s descriptor and follow a cross-signed rotation. `throttle`
   * skips a peer looked at within KEYS.descriptorRecheckMs (triggers that
   * anyone can cause); the schedule does not throttle.
   */
  check(peer: Peer, throttle: boolean, presentedKeyId?: string): Promise<FollowOutcome> {
    const running = this.#running.get(peer.id);
    if (running) return running;
    const now = this.#deps.clock.now().getTime();
    // A response signed by a key the last descriptor did not name is news: no wait for it.
    const news = presentedKeyId !== undefined && this.#lastSeen.get(peer.id) !== presentedKeyId;
    if (throttle && !news && now - (this.#checkedAt.get(peer.id) ?? -Infinity) < KEYS.descriptorRecheckMs) return Promise.resolve('skipped');
    this.#checkedAt.set(peer.id, now);
    const p = this.#check(peer).finally(() => this.#running.delete(peer.id));
    this.#running.set(peer.id, p);
    return p;
  }

  async #check(peer: Peer): Promise<FollowOutcome> {
    const { db, atomic, clock, logger } = this.#deps;
    if (peer.status !== 'active') return 'skipped';
    let fetched;
    try {
      fetched = await fetchDescriptor(this.#deps.fetch, peer.baseUrl, this.#deps.timeoutMs);
    } catch (e) {
      logger.warn({ peer: peer.id, err: isCairnError(e) ? e.message : String(e) }, 'could not fetch a peer descriptor to check its signing key');
      return 'unreachable';
    }
    const { envelope, descriptor } = fetched;
    this.#lastSeen.set(peer.id, descriptor.signingKey.keyId);
    if (descriptor.nodeId !== peer.id) {
      logger.warn({ peer: peer.id, presented: descriptor.nodeId.slice(0, 128) }, "the peer's base URL serves another node's descriptor; its pin is left as it is");
      return 'unreachable';
    }
    const now = clock.now();
    const newKey = fromBase64Url(descriptor.signingKey.publicKey);
    let verdict: 'same' | 'rotated';
    try {
      verdict = acceptRotation(envelope, descriptor, { keyId: peer.signingKeyId, publicKey: peer.signingPublicKey }, now);
    } catch (e) {
      if (!isCairnError(e, 'signature_invalid')) throw e;
      const changed = await db.updateTable('peers').set({ status: 'repin_required', updated_at: now.toISOString() }).where('id', '=', peer.id).where('status', '=', 'active').where('signing_key_id', '=', peer.signingKeyId).executeTakeFirst();
      if (Number(changed.numUpdatedRows) > 0) {
        await atomic.run([
          appendStatement(
            db,
            {
              type: 'peers.repin_required',
              actor: 'system',
              data: { peer: peer.id, country: peer.country, pinnedKeyId: peer.signingKeyId, presentedKeyId: descriptor.signingKey.keyId, presentedFingerprint: fingerprintOf(newKey), reason: e.message },
            },
            now,
          ),
        ]);
        logger.error({ peer: peer.id, country: peer.country, presentedKeyId: descriptor.signingKey.keyId }, `${peer.country} presents a signing key not cross-signed by the pinned one: searching and answering it stop until its fingerprint is checked out of band (cairn peers update ${peer.country} --fingerprint FP)`);
      }
      peer.status = 'repin_required';
      return 'repin_required';
    }
    if (verdict === 'same') return 'same';
    const overlapUntil = descriptor.retiringSigningKeys?.find((r) => r.keyId === peer.signingKeyId)?.overlapUntil ?? '';
    await atomic.run(repinStatements(db, peer, newKey, envelope, now, { actor: 'system', data: { crossSigned: true, overlapUntil } }));
    logger.info({ peer: peer.id, country: peer.country, keyId: descriptor.signingKey.keyId }, `${peer.country} rotated its signing key; re-pinned through its cross-signed descriptor`);
    // Callers hold this Peer for the rest of a search (witnessing, receipts): it follows.
    await refreshInPlace(db, peer);
    return 'rotated';
  }

  /**
   * A response from `peer` is signed by `keyId`, not the pinned key: follow
   * a rotation to it. True when `peer` (updated in place) now holds `keyId`.
   */
  async followResponseKey(peer: Peer, keyId: string | undefined): Promise<boolean> {
    await this.#running.get(peer.id);
    // Another request may have re-pinned it meanwhile.
    const stored = await findPeer(this.#deps.db, peer.id);
    if (keyId === undefined || stored.signingKeyId !== keyId) await this.check(stored, true, keyId);
    await refreshInPlace(this.#deps.db, peer);
    return peer.signingKeyId === keyId && peer.status === 'active';
  }

  /**
   * A request is signed by `keyId`, which no peer holds: look at the active
   * peers' descriptors for a cross-signed rotation to it (all of them at most
   * once per KEYS.unknownKeySweepMs, else only those not looked at within
   * KEYS.descriptorRecheckMs).
   */
  async followRequestKey(keyId: string): Promise<Peer | undefined> {
    const peers = (await listPeers(this.#deps.db)).filter((p) => p.status === 'active');
    const now = this.#deps.clock.now().getTime();
    const sweep = now - this.#sweptAt >= KEYS.unknownKeySweepMs;
    if (sweep) this.#sweptAt = now;
    await Promise.all(peers.map((p) => this.check(p, !sweep).catch(() => 'unreachable' as const)));
    return (await listPeers(this.#deps.db)).find((p) => p.signingKeyId === keyId);
  }

  /** The schedule (replica-sync timer, Workers cron): every active peer, unthrottled. */
  async checkAll(): Promise<Record<FollowOutcome, number>> {
    const counts: Record<FollowOutcome, number> = { same: 0, rotated: 0, repin_required: 0, unreachable: 0, skipped: 0 };
    for (const p of (await listPeers(this.#deps.db)).filter((x) => x.status === 'active')) {
      try {
        counts[await this.check(p, false)]++;
      } catch (e) {
        this.#deps.logger.warn({ peer: p.id, err: String(e) }, 'checking a peer signing key failed');
        counts.unreachable++;
      }
    }
    return counts;
  }
}

/** Refuse a fingerprint given for a manual re-pin that is not the descriptor's. */
export function checkFingerprint(given: string, publicKey: Uint8Array, where: string): void {
  const fp = fingerprintOf(publicKey);
  if (given.trim().toLowerCase() !== fp) {
    throw new CairnError('signature_invalid', `fingerprint mismatch: the node at ${where} presents signing key fingerprint ${fp}, not the one given; nothing was changed`, {
      location: { field: 'fingerprint' },
    });
  }
}
