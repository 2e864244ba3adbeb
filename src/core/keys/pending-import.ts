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
import type { Db } from '../db/schema.js';
import type { TokenBackend } from '../oprf/index.js';
import type { Clock } from '../ports.js';
import { changedRecords, insertPendingTokens, storedFingerprints, tokenStatements, upsertRecord, type BatchResult } from '../records/importer.js';
import type { ParsedRecord } from '../records/parse.js';

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

/** Store one batch of validated records in the pending epoch, atomically, with one audit entry. */
export async function importPendingBatch(deps: PendingImportDeps, records: readonly ParsedRecord[], actor: string, source: string): Promise<BatchResult> {
  const { db } = deps;
  const now = deps.clock.now();
  const refs = records.map((r) => r.ref);
  const { changed, unchanged } = changedRecords(deps.fingerprintKey, records, await storedFingerprints(db, 'pending_records', refs));
  if (changed.length === 0) return { imported: 0, updated: 0, unchanged, tokens: 0, changedRefs: [], importedRefs: [] };
  // "imported" against the served epoch: a record the active epoch does not hold either.
  const served = await storedFingerprints(db, 'records', changed.map((c) => c.r.ref));
  const at = now.toISOString();
  const { statements, tokens } = await tokenStatements(deps.backend, changed, insertPendingTokens, (c, inserts) => [
    upsertRecord('pending_records', c, at),
    CompiledQuery.raw('delete from pending_tokens where ref = ?', [c.r.ref]),
    ...inserts,
  ]);
  const importedRefs = changed.filter((c) => !served.has(c.r.ref)).map((c) => c.r.ref);
  const updatedRefs = changed.filter((c) => served.has(c.r.ref)).map((c) => c.r.ref);
  statements.push(
    appendStatement(db, { type: 'records.import', actor, data: { source, epoch: deps.epoch, pending: true, imported: importedRefs.length, updated: updatedRefs.length, unchanged, tokens, importedRefs, updatedRefs } }, now),
  );
  await deps.atomic.run(statements);
  return { imported: importedRefs.length, updated: updatedRefs.length, unchanged, tokens, changedRefs: changed.map((c) => c.r.ref), importedRefs };
}
