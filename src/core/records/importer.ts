/**
 * Storing records as tokens. For each record: derive its match keys, turn
 * them into RFC 9497 tokens under the node's key, and replace the record's
 * tokens and metadata atomically together with one audit entry per batch.
 *
 * Re-imports are idempotent: a keyed fingerprint of the record's metadata
 * and match keys tells an unchanged record apart without recomputing its
 * tokens.
 */
import { CompiledQuery } from 'kysely';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { equalBytes, toBase64Url, utf8 } from '../bytes.js';
import { canonicalJson } from '../canonical-json.js';
import type { Db } from '../db/schema.js';
import { deriveMatchKeys, type MatchKey } from '../identity/index.js';
import { logRecordAdds, logRecordRemovals } from '../federation/index/changes.js';
import { indexFingerprint } from '../federation/index/fingerprint.js';
import type { TokenBackend } from '../oprf/index.js';
import type { Clock } from '../ports.js';
import type { ParsedRecord } from './parse.js';
import { tokenConfirm } from './token-layout.js';

/** Key for record fingerprints, derived from the node's OPRF secret key (HKDF-SHA256, RFC 5869). */
export function deriveFingerprintKey(oprfSecretKey: Uint8Array): Uint8Array {
  return hkdf(sha256, oprfSecretKey, utf8('cairn/record-fingerprint'), utf8('cairn record fingerprint v1'), 32);
}

export interface ImportDeps {
  db: Db;
  atomic: AtomicWriter;
  backend: TokenBackend;
  clock: Clock;
  fingerprintKey: Uint8Array;
}

export interface BatchResult {
  imported: number;
  updated: number;
  unchanged: number;
  tokens: number;
  /** References of the records imported or updated by this batch. */
  changedRefs: string[];
  /** References of the records new to this node (a subset of changedRefs). */
  importedRefs: string[];
}

/** D1 binds at most 100 parameters a statement: keep IN lists under that. */
const IN_CHUNK = 90;

/** What a record's fingerprint covers (protocol/25-storage.md): 2 since it covers the match keys instead of the identifiers. */
const FINGERPRINT_CONTENT_VERSION = 2;

/**
 * The keyed fingerprint of what a node stores of a record (also the pending
 * epoch's, under its key): its metadata and its match keys. The keys, not
 * the identifiers they come from: when the derivation rules change
 * (protocol/10-identifiers.md), a re-import finds the records whose keys
 * they change and stores those again, and only those.
 */
export function recordFingerprint(key: Uint8Array, r: ParsedRecord, keys: readonly MatchKey[]): Uint8Array {
  const content = canonicalJson({
    v: FINGERPRINT_CONTENT_VERSION,
    ref: r.ref,
    category: r.category,
    owningUnit: r.owningUnit,
    contactPoint: r.contactPoint,
    recordDate: r.recordDate,
    retentionUntil: r.retentionUntil,
    keys: keys.map((k) => toBase64Url(k.encoded)).sort(),
  });
  return hmac(sha256, key, utf8(content));
}

/** Statements dropping the pending-epoch copies of these records (protocol/38-key-epochs.md); no-ops when no epoch is pending. */
export function dropPendingCopies(refs: readonly string[]): CompiledQuery[] {
  const out: CompiledQuery[] = [];
  for (let i = 0; i < refs.length; i += IN_CHUNK) {
    const chunk = refs.slice(i, i + IN_CHUNK);
    const marks = chunk.map(() => '?').join(', ');
    out.push(CompiledQuery.raw(`delete from pending_tokens where ref in (${marks})`, chunk), CompiledQuery.raw(`delete from pending_records where ref in (${marks})`, chunk));
  }
  return out;
}

/** Content fingerprints stored for these references, in the served epoch's `records` or the pending one's `pending_records`. */
export async function storedFingerprints(db: Db, table: 'records' | 'pending_records', refs: readonly string[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (let i = 0; i < refs.length; i += IN_CHUNK) {
    const rows = await db
      .selectFrom(table)
      .select(['ref', 'fingerprint'])
      .where('ref', 'in', refs.slice(i, i + IN_CHUNK))
      .execute();
    for (const r of rows) out.set(r.ref, new Uint8Array(r.fingerprint));
  }
  return out;
}

/** A record whose stored form differs from what is stored, with its match keys and new fingerprint. */
export interface ChangedRecord {
  r: ParsedRecord;
  keys: MatchKey[];
  fp: Uint8Array;
}

/** The records of a batch whose stored form changed since `stored` (the others are counted unchanged). */
export function changedRecords(fingerprintKey: Uint8Array, records: readonly ParsedRecord[], stored: ReadonlyMap<string, Uint8Array>): { changed: ChangedRecord[]; unchanged: number } {
  const changed: ChangedRecord[] = [];
  let unchanged = 0;
  for (const r of records) {
    const keys = deriveMatchKeys(r.identifiers);
    const fp = recordFingerprint(fingerprintKey, r, keys);
    const old = stored.get(r.ref);
    if (old && equalBytes(old, fp)) unchanged++;
    else changed.push({ r, keys, fp });
  }
  return { changed, unchanged };
}

/**
 * Turn the match keys of every changed record into tokens
 * in one call to the backend (one batch for the worker pool), and write the
 * inserts of each record's token rows with `insertSql(n)`: `n` rows of
 * (key type, confirmation bytes, index fingerprint), the record's reference
 * last. `statementsOf` places them among the record's other statements.
 */
export async function tokenStatements(
  backend: TokenBackend,
  changed: readonly ChangedRecord[],
  insertSql: (rows: number) => string,
  statementsOf: (c: ChangedRecord, tokenInserts: CompiledQuery[]) => CompiledQuery[],
): Promise<{ statements: CompiledQuery[]; tokens: number }> {
  const tokens = await backend.evaluateTokens(changed.flatMap((c) => c.keys.map((k) => k.encoded)));
  const statements: CompiledQuery[] = [];
  let t = 0;
  for (let i = 0; i < changed.length; i++) {
    const c = changed[i]!;
    const keys = c.keys;
    const inserts: CompiledQuery[] = [];
    for (let start = 0; start < keys.length; start += TOKEN_ROWS_PER_INSERT) {
      const chunk = keys.slice(start, start + TOKEN_ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (const k of chunk) {
        const token = tokens[t++]!;
        params.push(k.type, tokenConfirm(token), indexFingerprint(token));
      }
      params.push(c.r.ref);
      inserts.push(CompiledQuery.raw(insertSql(chunk.length), params));
    }
    statements.push(...statementsOf(c, inserts));
  }
  return { statements, tokens: t };
}

/** Statement texts kept by their row count (`insertSql` of tokenStatements). */
export function textsByRowCount(build: (rows: number) => string): (rows: number) => string {
  const kept = new Map<number, string>();
  return (rows) => {
    let text = kept.get(rows);
    if (text === undefined) {
      text = build(rows);
      kept.set(rows, text);
    }
    return text;
  };
}

// The hot statements of an import, written out rather than built per row:
// kysely's compiler costs more than SQLite's insert at ten rows per record.
// The served epoch's tables and the pending one's (protocol/38-key-epochs.md)
// hold the same columns; pending tokens name their record by reference.
const upsertTexts = {
  records: upsertText('records'),
  pending_records: upsertText('pending_records'),
} as const;
function upsertText(table: 'records' | 'pending_records'): string {
  return `insert into ${table} (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at)
  values (?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (ref) do update set category = excluded.category, owning_unit = excluded.owning_unit,
    contact_point = excluded.contact_point, record_date = excluded.record_date,
    retention_until = excluded.retention_until, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`;
}

/** The insert or update of a changed record's row in `table`, stamped `at`. */
export function upsertRecord(table: 'records' | 'pending_records', { r, fp }: ChangedRecord, at: string): CompiledQuery {
  return CompiledQuery.raw(upsertTexts[table], [r.ref, r.category, r.owningUnit, r.contactPoint, r.recordDate, r.retentionUntil, fp, at]);
}

const DELETE_TOKENS = 'delete from tokens where record_id = (select id from records where ref = ?)';
/** Token rows per insert: 3 parameters each plus the reference, under D1's 100 bound parameters per statement. */
const TOKEN_ROWS_PER_INSERT = 33;
/** The `n` rows of a token insert: (key type, confirmation bytes, index fingerprint) each. */
const tokenValues = (n: number) => Array.from({ length: n }, () => '(?, ?, ?)').join(', ');
/** One insert of `n` token rows of one record, found once by its reference (the last parameter). */
const insertTokens = textsByRowCount(
  (n) => `insert into tokens (record_id, key_type, category, confirm, fingerprint)
  select r.id, v.column1, r.category, v.column2, v.column3 from (values ${tokenValues(n)}) as v, records r where r.ref = ?`,
);
/** The same for the pending epoch's tokens. */
export const insertPendingTokens = textsByRowCount(
  (n) => `insert into pending_tokens (ref, key_type, category, confirm, fingerprint)
  select p.ref, v.column1, p.category, v.column2, v.column3 from (values ${tokenValues(n)}) as v, pending_records p where p.ref = ?`,
);

/**
 * Import one batch of distinct, validated records in one atomic unit.
 * `actor` and `source` go into the audit entry with the references.
 */
export async function importBatch(deps: ImportDeps, records: readonly ParsedRecord[], actor: string, source: string): Promise<BatchResult> {
  const { db } = deps;
  const now = deps.clock.now();
  const stored = await storedFingerprints(db, 'records', records.map((r) => r.ref));
  const { changed, unchanged } = changedRecords(deps.fingerprintKey, records, stored);
  if (changed.length === 0) return { imported: 0, updated: 0, unchanged, tokens: 0, changedRefs: [], importedRefs: [] };

  const at = now.toISOString();
  const { statements, tokens } = await tokenStatements(deps.backend, changed, insertTokens, (c, inserts) => [
    // The index change log sees the old tokens go and the new ones come (protocol/37-token-index.md).
    upsertRecord('records', c, at),
    logRecordRemovals(c.r.ref, now),
    CompiledQuery.raw(DELETE_TOKENS, [c.r.ref]),
    ...inserts,
    logRecordAdds(c.r.ref, now),
  ]);
  // A record changed in the served epoch while another is pending: its pending copy is older, so it goes (re-import it into the pending epoch).
  statements.push(...dropPendingCopies(changed.map((c) => c.r.ref)));
  const importedRefs = changed.filter((c) => !stored.has(c.r.ref)).map((c) => c.r.ref);
  const updatedRefs = changed.filter((c) => stored.has(c.r.ref)).map((c) => c.r.ref);
  statements.push(appendStatement(db, { type: 'records.import', actor, data: { source, imported: importedRefs.length, updated: updatedRefs.length, unchanged, tokens, importedRefs, updatedRefs } }, now));
  await deps.atomic.run(statements);
  return { imported: importedRefs.length, updated: updatedRefs.length, unchanged, tokens, changedRefs: changed.map((c) => c.r.ref), importedRefs };
}
