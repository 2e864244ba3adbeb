/**
 * Replay protection for federation requests (protocol/30-federation-auth.md,
 * "Nonce window"). A verifier remembers every (peer, nonce) pair it has
 * accepted until the request's timestamp leaves the clock-skew window; after
 * that the timestamp check alone refuses a replay, so the entry can go.
 * RFC 9421 §7.2.2 (Signature Replay) describes the attack this defends.
 *
 * Only requests whose signature has verified reach the store, so its size is
 * bounded by what authenticated peers send, not by what anyone on the
 * network sends.
 */
import { CairnError } from '../errors.js';
import type { Clock } from '../ports.js';

/**
 * Where a verifier remembers nonces. Implementations must make the check and
 * the insert one atomic step (two concurrent calls with the same pair: exactly
 * one gets `true`). A database store does `INSERT … ON CONFLICT DO NOTHING`
 * and reports whether a row was written; it may delete rows past `expiresAt`.
 */
export interface NonceStore {
  /**
   * Record `nonce` for `peerId` until `expiresAt`. Returns `true` if the pair
   * was new (accept the request), `false` if it was already remembered and
   * has not expired (a replay).
   */
  checkAndRemember(peerId: string, nonce: string, expiresAt: Date): Promise<boolean>;
}

export interface MemoryNonceStoreOptions {
  clock: Clock;
  /**
   * Most unexpired nonces kept per peer. A peer past it is refused with
   * `rate_limited` until old entries expire: evicting live entries instead
   * would re-open the replay window.
   */
  maxPerPeer?: number;
}

/** Sweep every peer's expired entries once per this many inserts. */
const SWEEP_EVERY = 1024;

/**
 * In-memory NonceStore for tests and single-process nodes: bounded per peer,
 * entries expire on their own. Not shared between processes or isolates, so a
 * deployment with several instances needs a shared (database) store.
 */
export class MemoryNonceStore implements NonceStore {
  readonly #clock: Clock;
  readonly #maxPerPeer: number;
  /** peerId -> (nonce -> expiry in ms since the epoch). */
  readonly #peers = new Map<string, Map<string, number>>();
  #inserts = 0;

  constructor(opts: MemoryNonceStoreOptions) {
    const max = opts.maxPerPeer ?? 65_536;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('MemoryNonceStore: maxPerPeer must be a positive integer');
    this.#clock = opts.clock;
    this.#maxPerPeer = max;
  }

  /** {@inheritDoc NonceStore.checkAndRemember} */
  async checkAndRemember(peerId: string, nonce: string, expiresAt: Date): Promise<boolean> {
    const now = this.#clock.now().getTime();
    const until = expiresAt.getTime();
    let seen = this.#peers.get(peerId);
    const previous = seen?.get(nonce);
    if (previous !== undefined && previous > now) return false;
    // Already outside the window: the timestamp check refuses any replay.
    if (!(until > now)) return true;
    if (seen === undefined) {
      seen = new Map();
      this.#peers.set(peerId, seen);
    }
    if (seen.size >= this.#maxPerPeer) {
      sweep(seen, now);
      if (seen.size >= this.#maxPerPeer) {
        throw new CairnError('rate_limited', `peer ${peerId} sent more than ${this.#maxPerPeer} requests within the replay window`);
      }
    }
    seen.set(nonce, until);
    if (++this.#inserts % SWEEP_EVERY === 0) this.#sweepAll(now);
    return true;
  }

  /** Number of nonces held (expired ones may linger until the next sweep). */
  get size(): number {
    let n = 0;
    for (const seen of this.#peers.values()) n += seen.size;
    return n;
  }

  #sweepAll(now: number): void {
    for (const [peerId, seen] of this.#peers) {
      sweep(seen, now);
      if (seen.size === 0) this.#peers.delete(peerId);
    }
  }
}

function sweep(seen: Map<string, number>, now: number): void {
  for (const [nonce, until] of seen) if (until <= now) seen.delete(nonce);
}
