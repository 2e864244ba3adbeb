/**
 * Importing into the pending OPRF epoch (protocol/38-key-epochs.md): the
 * same records as an ordinary import, tokenised under the pending key and
 * stored in `pending_records` / `pending_tokens`, beside the served ones.
 * Nothing here touches the served records, tokens or index, so the active
 * epoch keeps answering unchanged; activation swaps these in.
 */
import { CompiledQuery } from 'kysely';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { equalBytes } from '../bytes.js';
import type { Db } from '../db/schema.js';
import { indexFingerprint } from '../federation/index/fingerprint.js';
import { deriveMatchKeys } from '../identity/index.js';
import type { TokenBackend } from '../oprf/index.js';
import type { Clock } from '../ports.js';
import { recordFingerprint, type BatchResult } from '../records/importer.js';
import type { ParsedRecord } from '../records/parse.js';
import { tokenConfirm } from '../records/token-layout.js';

export interface PendingImportDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  /** Tokeniser bound to the pending epoch's key. */
  backend: TokenBackend;
  /** Content fingerprint key derived from the pending epoch's key. */
  fingerprintKey: Uint8Array;
  epoch: number;
}

/** D1 binds at most 100 parameters a statement. */
const IN_CHUNK = 90;
/** Token rows per insert: 3 parameters each plus the reference, under D1's 100. */
const TOKEN_ROWS_PER_INSERT = 33;

const UPSERT_PENDING = `insert into pending_records (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at)
  values (?, ?, ?, ?, ?, ?, ?, ?)
  on conflict (ref) do update set category = excluded.category, owning_unit = excluded.owning_unit,
    contact_point = excluded.contact_point, record_date = excluded.record_date,
    retention_until = excluded.retention_until, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`;

function insertPendingTokens(n: number): string {
  const rows = Array.from({ length: n }, () => '(?, ?, ?)').join(', ');
  return `insert into pending_tokens (ref, key_type, category, confirm, fingerprint)
  select p.ref, v.column1, p.category, v.column2, v.column3 from (values ${rows}) as v, pending_records p where p.ref = ?`;
}

/** Store one batch of validated records in the pending epoch, atomically, with one audit entry. */
export async function importPendingBatch(deps: PendingImportDeps, records: readonly ParsedRecord[], actor: string, source: string): Promise<BatchResult> {
  const { db } = deps;
  const now = deps.clock.now();
  const stored = new Map<string, Uint8Array>();
  const refs = records.map((r) => r.ref);
  for (let i = 0; i < refs.length; i += IN_CHUNK) {
    const rows = await db.selectFrom('pending_records').select(['ref', 'fingerprint']).where('ref', 'in', refs.slice(i, i + IN_CHUNK)).execute();
    for (const r of rows) stored.set(r.ref, new Uint8Array(r.fingerprint));
  }
  // "imported" against the served epoch: a record the active epoch does not hold either.
  const served = new Set<string>();
  for (let i = 0; i < refs.length; i += IN_CHUNK) {
    const rows = await db.selectFrom('records').select('ref').where('ref', 'in', refs.slice(i, i + IN_CHUNK)).execute();
    for (const r of rows) served.add(r.ref);
  }
  const changed: { r: ParsedRecord; fp: Uint8Array }[] = [];
  let unchanged = 0;
  for (const r of records) {
    const fp = recordFingerprint(deps.fingerprintKey, r);
    const old = stored.get(r.ref);
    if (old && equalBytes(old, fp)) unchanged++;
    else changed.push({ r, fp });
  }
  if (changed.length === 0) return { imported: 0, updated: 0, unchanged, tokens: 0, changedRefs: [], importedRefs: [] };
  const keysPerRecord = changed.map((c) => deriveMatchKeys(c.r.identifiers));
  const tokens = await deps.backend.evaluateTokens(keysPerRecord.flat().map((k) => k.encoded));
  const statements: CompiledQuery[] = [];
  const at = now.toISOString();
  let t = 0;
  for (let i = 0; i < changed.length; i++) {
    const { r, fp } = changed[i]!;
    statements.push(
      CompiledQuery.raw(UPSERT_PENDING, [r.ref, r.category, r.owningUnit, r.contactPoint, r.recordDate, r.retentionUntil, fp, at]),
      CompiledQuery.raw('delete from pending_tokens where ref = ?', [r.ref]),
    );
    const keys = keysPerRecord[i]!;
    for (let start = 0; start < keys.length; start += TOKEN_ROWS_PER_INSERT) {
      const chunk = keys.slice(start, start + TOKEN_ROWS_PER_INSERT);
      const params: unknown[] = [];
      for (const k of chunk) {
        const token = tokens[t++]!;
        params.push(k.type, tokenConfirm(token), indexFingerprint(token));
      }
      params.push(r.ref);
      statements.push(CompiledQuery.raw(insertPendingTokens(chunk.length), params));
    }
  }
  const importedRefs = changed.filter((c) => !served.has(c.r.ref)).map((c) => c.r.ref);
  const imported = importedRefs.length;
  const updated = changed.length - imported;
  statements.push(
    appendStatement(
      db,
      {
        type: 'records.import',
        actor,
        data: { source, epoch: deps.epoch, pending: true, imported, updated, unchanged, tokens: t, importedRefs, updatedRefs: changed.filter((c) => served.has(c.r.ref)).map((c) => c.r.ref) },
      },
      now,
    ),
  );
  await deps.atomic.run(statements);
  return { imported, updated, unchanged, tokens: t, changedRefs: changed.map((c) => c.r.ref), importedRefs };
}
