/**
 * The records use cases: import (records/import.ts, one path for the API,
 * the CLI and Workers), deletion, retention purge and counts.
 */
import { outcomesOf, seenInMemory, validateRows, type ImportResult, type ImportRow, type SeenRefs, type ValidatedRows } from './records/import.js';
import { importBatch as storeBatch, type ImportDeps } from './records/importer.js';
import { deleteRecord, purgeExpired, recordStats } from './records/manage.js';
import type { SearchService } from './services-federation.js';

/** Who imports and from where: both go into the audit entry of every stored batch. */
export interface ImportOptions {
  actor: string;
  source: string;
  /** References accepted earlier in the same import (default: only this call's rows). */
  seen?: SeenRefs;
}

/** Records: import, delete, purge, count. */
export interface RecordService {
  /**
   * Validate, deduplicate and store `rows` as one atomic batch (with its
   * audit entry), then search peers on registration if the node does.
   * Bad rows are reported, never stored; good rows are stored regardless.
   */
  importBatch(rows: readonly ImportRow[], opts: ImportOptions): Promise<ImportResult>;
  /**
   * The first half of importBatch, synchronous: for a streaming caller that
   * validates row by row and stores batches concurrently (`cairn import`).
   */
  validate(rows: Iterable<ImportRow>, seen: SeenRefs): ValidatedRows;
  /** The second half of importBatch: store validated rows. */
  store(valid: ValidatedRows, opts: Omit<ImportOptions, 'seen'>): Promise<ImportResult>;
  /** Remove a record and its tokens at once (with an audit entry). */
  delete(ref: string, actor: string, reason?: string): Promise<{ ref: string; tokens: number }>;
  /** Purge every record past retention; returns how many. */
  purgeExpired(actor?: string): Promise<number>;
  /** Counts per category and match-key type; no identifiers. */
  stats(): ReturnType<typeof recordStats>;
}

/** Build the records service. */
export function createRecordService(deps: ImportDeps, registration: { searchOnRegistration: boolean; searches: SearchService }): RecordService {
  const validate = (rows: Iterable<ImportRow>, seen: SeenRefs) => validateRows(rows, deps.clock.now(), seen);
  const store = async (valid: ValidatedRows, opts: Omit<ImportOptions, 'seen'>): Promise<ImportResult> => {
    const records = valid.accepted.map((a) => a.record);
    const stored = records.length
      ? await storeBatch(deps, records, opts.actor, opts.source)
      : { imported: 0, updated: 0, unchanged: 0, tokens: 0, changedRefs: [], importedRefs: [] };
    const searches = registration.searchOnRegistration && stored.changedRefs.length ? await registration.searches.onRegistration(records, stored.changedRefs) : [];
    const refOf = new Map(valid.rejects.flatMap((r) => (r.ref !== undefined ? [[r.row, r.ref] as const] : [])));
    const rejected = valid.rejectedRows.map((row) => ({ row, ...(refOf.has(row) ? { ref: refOf.get(row)! } : {}), status: 'rejected' as const }));
    const outcomes = [...outcomesOf(valid.accepted, stored), ...rejected].sort((a, b) => a.row - b.row);
    return {
      imported: stored.imported,
      updated: stored.updated,
      unchanged: stored.unchanged,
      rejected: valid.rejectedRows.length,
      tokens: stored.tokens,
      errors: valid.rejects,
      outcomes,
      searches,
    };
  };
  return {
    validate,
    store,
    importBatch: (rows, opts) => store(validate(rows, opts.seen ?? seenInMemory()), opts),
    delete: (ref, actor, reason) => deleteRecord(deps, ref, actor, reason),
    purgeExpired: (actor) => purgeExpired(deps, actor),
    stats: () => recordStats(deps.db),
  };
}
