/**
 * What a peer may do: deny by default. A purpose the policy does not list
 * is refused; a listed purpose matches only the categories listed for it.
 *
 * Rate (requests per fixed one-minute window) and daily element budget bound
 * how much a peer can probe. Both live in the database and are *reserved*
 * before anything is evaluated, in one atomic unit (a SQLite transaction on
 * Node, a D1 batch on Workers) whose conditional upserts check and count in
 * the same statement: two requests racing for the last elements of a budget
 * cannot both pass, whatever process or isolate serves them. A reservation
 * whose evaluation then fails is released.
 */
import { sql } from 'kysely';
import type { Purpose } from '../../../schemas/federation.js';
import type { RecordCategory } from '../../../schemas/records.js';
import type { AtomicWriter } from '../atomic.js';
import type { Db } from '../db/schema.js';
import { CairnError } from '../errors.js';
import type { Clock } from '../ports.js';
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

/** Elements evaluated (or reserved) for `peerId` on `day` so far. */
export async function elementsUsed(db: Db, peerId: string, day: string): Promise<number> {
  const r = await db.selectFrom('peer_usage').select('elements').where('peer_id', '=', peerId).where('day', '=', day).executeTakeFirst();
  return r?.elements ?? 0;
}

/** What one admitted request holds: release it if the evaluation fails. */
export interface Reservation {
  readonly peerId: string;
  /** UTC day (YYYY-MM-DD) the elements count against. */
  readonly day: string;
  readonly elements: number;
}

const MINUTE_MS = 60_000;

/** Rate and budget reservations for peers' requests, in the database. */
export class PeerReservations {
  readonly #db: Db;
  readonly #atomic: AtomicWriter;
  readonly #clock: Clock;
  /** The minute this process last cleared each peer's older windows. */
  readonly #cleared = new Map<string, number>();

  constructor(deps: { db: Db; atomic: AtomicWriter; clock: Clock }) {
    this.#db = deps.db;
    this.#atomic = deps.atomic;
    this.#clock = deps.clock;
  }

  /**
   * Count one request against the peer's rate and reserve `elements` of its
   * daily budget, atomically. Throws rate_limited (nothing reserved) or
   * budget_exceeded (the request still counts against the rate).
   */
  async reserve(peer: Peer, elements: number): Promise<Reservation> {
    const now = this.#clock.now();
    const minute = Math.floor(now.getTime() / MINUTE_MS);
    const day = now.toISOString().slice(0, 10);
    const { ratePerMinute: rate, dailyElementBudget: budget } = peer.policy;
    const statements = [
      // Every request counts, refused or not: hammering does not buy capacity.
      sql`insert into peer_rate (peer_id, minute, requests) values (${peer.id}, ${minute}, 1)
        on conflict (peer_id, minute) do update set requests = requests + 1
        returning requests`.compile(this.#db),
    ];
    // Windows before the current one are no longer needed: cleared once a
    // minute per peer (by each process; whichever clears first, the rest delete nothing).
    const clear = this.#cleared.get(peer.id) !== minute;
    if (clear) statements.push(sql`delete from peer_rate where peer_id = ${peer.id} and minute < ${minute}`.compile(this.#db));
    if (elements > 0) {
      // Inserts or adds only when this request is within the rate (the row
      // the statement above just counted) and the sum stays within the
      // budget; otherwise it changes nothing and returns no row.
      statements.push(
        sql`insert into peer_usage (peer_id, day, elements, requests)
          select ${peer.id}, ${day}, ${elements}, 1
          where (select requests from peer_rate where peer_id = ${peer.id} and minute = ${minute}) <= ${rate} and ${elements} <= ${budget}
          on conflict (peer_id, day) do update set elements = peer_usage.elements + excluded.elements, requests = peer_usage.requests + 1
            where peer_usage.elements + excluded.elements <= ${budget}
          returning elements`.compile(this.#db),
      );
    }
    const results = await this.#atomic.run(statements);
    if (clear) this.#cleared.set(peer.id, minute);
    const counted = Number(results[0]?.[0]?.requests ?? Number.POSITIVE_INFINITY);
    if (counted > rate) {
      const retry = Math.max(1, Math.ceil(((minute + 1) * MINUTE_MS - now.getTime()) / 1000));
      throw new CairnError('rate_limited', `more than ${rate} requests a minute from this peer; retry in ${retry} s`, { details: { retryAfter: retry } });
    }
    if (elements > 0 && (results.at(-1)?.length ?? 0) === 0) {
      const used = await elementsUsed(this.#db, peer.id, day);
      throw new CairnError('budget_exceeded', `this peer's daily budget of ${budget} evaluated elements is spent (${used} used today, ${elements} asked)`);
    }
    return { peerId: peer.id, day, elements };
  }

  /** Give back the elements of a reservation whose evaluation failed. */
  async release(r: Reservation): Promise<void> {
    if (r.elements === 0) return;
    await this.#atomic.run([
      sql`update peer_usage set elements = max(0, elements - ${r.elements}), requests = max(0, requests - 1)
        where peer_id = ${r.peerId} and day = ${r.day}`.compile(this.#db),
    ]);
  }
}
