/**
 * Audit entries: the leaves of the node's tamper-evident log.
 *
 * An entry is the canonical JSON of { v, at, type, actor, data }. Its leaf
 * hash is SHA-256(0x00 || entry) (RFC 6962 §2.1). The leaf index is assigned
 * by the database in append order and is not part of the entry, so an entry
 * and its hash can be computed before the index is known (needed for D1,
 * where an entry is appended in the same batch as its act).
 *
 * No raw identifiers and no tokens ever go into `data`.
 */
import { sql, type CompiledQuery, type Kysely } from 'kysely';
import { utf8 } from '../bytes.js';
import { canonicalJson, type CanonicalValue } from '../canonical-json.js';
import type { Database } from '../db/schema.js';
import { leafHash } from './merkle/hasher.js';

export { AUDIT_EVENT_TYPES, type AuditEventType } from '../../../schemas/audit.js';
import type { AuditEventType } from '../../../schemas/audit.js';

export interface AuditEvent {
  type: AuditEventType;
  /** Who acted: `user:<id>`, `peer:<CC>:<nodeId>`, `system`, `cli`. */
  actor: string;
  data: { [k: string]: CanonicalValue | undefined };
}

/** Canonical bytes of an entry. */
export function entryText(e: AuditEvent, at: Date): string {
  return canonicalJson({ v: 1, at: at.toISOString(), type: e.type, actor: e.actor, data: e.data });
}

/** RFC 6962 §2.1 leaf hash. */
export function leafHashOf(text: string): Uint8Array {
  return leafHash(utf8(text));
}

/**
 * The INSERT that appends an entry, to run in the same atomic unit as the act.
 * The index is the next free one, chosen by the database inside the unit.
 */
export function appendStatement(db: Kysely<Database>, e: AuditEvent, at: Date): CompiledQuery {
  const text = entryText(e, at);
  return sql`insert into audit_entries (idx, at, type, actor, entry, leaf_hash)
    select coalesce(max(idx) + 1, 0), ${at.toISOString()}, ${e.type}, ${e.actor}, ${text}, ${leafHashOf(text)} from audit_entries
    returning idx`.compile(db);
}

/** The leaf index an appendStatement was given, from the atomic unit's results. */
export function appendedIndex(results: Record<string, unknown>[][], statementIndex: number): number {
  const idx = results[statementIndex]?.[0]?.idx;
  if (typeof idx !== 'number' && typeof idx !== 'bigint') throw new Error('audit append returned no index');
  return Number(idx);
}
