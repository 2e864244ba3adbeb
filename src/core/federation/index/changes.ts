/**
 * The owner's change log, written in the same atomic unit as the tokens it
 * describes: every token row inserted is an add, every token row deleted a
 * remove (the index is a multiset). A unit's changes get increasing sequence
 * numbers; an index's version is the sequence number of its last change.
 * These statements read only inside the unit, so a D1 batch runs them too.
 */
import { CompiledQuery, sql } from 'kysely';
import type { Db } from '../../db/schema.js';

const epochSeconds = (at: Date): number => Math.floor(at.getTime() / 1000);

/** Op codes in index_changes.op. */
export const CHANGE_OP = { remove: 0, add: 1 } as const;

const LOG_RECORD_TOKENS = `insert into index_changes (category, fingerprint, op, at)
  select t.category, t.fingerprint, ?, ? from tokens t where t.record_id = (select id from records where ref = ?) and t.fingerprint is not null`;

/** Log every token of the record `ref` as removed (run before deleting them). */
export function logRecordRemovals(ref: string, at: Date): CompiledQuery {
  return CompiledQuery.raw(LOG_RECORD_TOKENS, [CHANGE_OP.remove, epochSeconds(at), ref]);
}

/** Log every token of the record `ref` as added (run after inserting them). */
export function logRecordAdds(ref: string, at: Date): CompiledQuery {
  return CompiledQuery.raw(LOG_RECORD_TOKENS, [CHANGE_OP.add, epochSeconds(at), ref]);
}

/** Log the tokens of records with ids in [lo, hi] past retention as removed (run before a purge deletes them). */
export function logPurgeRemovals(db: Db, lo: number, hi: number, today: string, at: Date): CompiledQuery {
  return sql`insert into index_changes (category, fingerprint, op, at)
    select t.category, t.fingerprint, ${CHANGE_OP.remove}, ${epochSeconds(at)} from tokens t
    where t.record_id in (select id from records where id between ${lo} and ${hi} and retention_until < ${today}) and t.fingerprint is not null`.compile(db);
}

/** Log the tokens of the record with id `recordId` as removed. */
export function logRecordIdRemovals(db: Db, recordId: number, at: Date): CompiledQuery {
  return sql`insert into index_changes (category, fingerprint, op, at)
    select t.category, t.fingerprint, ${CHANGE_OP.remove}, ${epochSeconds(at)} from tokens t where t.record_id = ${recordId} and t.fingerprint is not null`.compile(db);
}
