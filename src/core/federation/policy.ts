/**
 * What a peer may do: deny by default. A purpose the policy does not list
 * is refused; a listed purpose matches only the categories listed for it.
 * Rate (requests per minute, per process) and daily element budget (in the
 * database, so it holds across restarts) bound how much a peer can probe.
 */
import { sql } from 'kysely';
import type { Purpose } from '../../../schemas/federation.js';
import type { RecordCategory } from '../../../schemas/records.js';
import type { Db } from '../db/schema.js';
import { CairnError } from '../errors.js';
import type { Peer } from './peers.js';

/** Categories `purpose` may match for `peer`; throws purpose_denied when none. */
export function allowedCategories(peer: Peer, purpose: Purpose): RecordCategory[] {
  const cats = peer.policy.purposes[purpose];
  if (!cats || cats.length === 0) {
    throw new CairnError('purpose_denied', `this node's policy does not allow ${peer.country} (${peer.id}) to search for ${purpose}`, {
      location: { field: 'purpose' },
    });
  }
  return cats;
}

/** Sliding one-minute window of request times per peer (per process). */
export class RateLimiter {
  readonly #hits = new Map<string, number[]>();

  /** Count a request; throws rate_limited when the peer is over `perMinute`. */
  take(peerId: string, perMinute: number, nowMs: number): void {
    const list = (this.#hits.get(peerId) ?? []).filter((t) => t > nowMs - 60_000);
    if (list.length >= perMinute) {
      const retry = Math.max(1, Math.ceil((list[0]! + 60_000 - nowMs) / 1000));
      this.#hits.set(peerId, list);
      throw new CairnError('rate_limited', `more than ${perMinute} requests a minute from this peer; retry in ${retry} s`, { details: { retryAfter: retry } });
    }
    list.push(nowMs);
    this.#hits.set(peerId, list);
  }
}

/** Elements evaluated for `peerId` on `day` so far. */
export async function elementsUsed(db: Db, peerId: string, day: string): Promise<number> {
  const r = await db.selectFrom('peer_usage').select('elements').where('peer_id', '=', peerId).where('day', '=', day).executeTakeFirst();
  return r?.elements ?? 0;
}

/** Throws budget_exceeded when `n` more elements would pass the daily budget. */
export async function checkBudget(db: Db, peer: Peer, day: string, n: number): Promise<void> {
  const used = await elementsUsed(db, peer.id, day);
  if (used + n > peer.policy.dailyElementBudget) {
    throw new CairnError(
      'budget_exceeded',
      `this peer's daily budget of ${peer.policy.dailyElementBudget} evaluated elements is spent (${used} used today, ${n} asked)`,
    );
  }
}

/** The statement adding `n` elements to today's usage (run with the audit entry). */
export function usageStatement(db: Db, peerId: string, day: string, n: number) {
  return sql`insert into peer_usage (peer_id, day, elements, requests) values (${peerId}, ${day}, ${n}, 1)
    on conflict (peer_id, day) do update set elements = elements + excluded.elements, requests = requests + 1`.compile(db);
}
