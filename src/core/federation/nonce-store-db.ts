/**
 * A NonceStore in the node's database, shared by every process or isolate
 * serving the node: the primary key makes check-and-remember one atomic
 * INSERT … ON CONFLICT DO NOTHING.
 */
import { sql } from 'kysely';
import type { Db } from '../db/schema.js';
import type { NonceStore } from './replay.js';

/** Delete expired nonces once per this many inserts. */
const SWEEP_EVERY = 500;

export function dbNonceStore(db: Db): NonceStore {
  let inserts = 0;
  return {
    async checkAndRemember(peerId, nonce, expiresAt) {
      const r = await db
        .insertInto('nonces')
        .values({ peer_id: peerId, nonce, expires_at: Math.ceil(expiresAt.getTime() / 1000) })
        .onConflict((oc) => oc.columns(['peer_id', 'nonce']).doNothing())
        .executeTakeFirst();
      if (++inserts % SWEEP_EVERY === 0) {
        await sql`delete from nonces where expires_at < ${Math.floor(Date.now() / 1000)}`.execute(db);
      }
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
  };
}
