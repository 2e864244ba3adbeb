/**
 * The records use cases: import (records/import.ts, one path for the API,
 * the CLI and Workers), deletion, retention purge and counts.
 */
import { outcomesOf, seenInMemory, validateRows, type ImportResult, type ImportRow, type RowReject, type SeenRefs, type ValidatedRows } from './records/import.js';
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

/** Stored-batch size and concurrency of an import session. */
export interface SessionOptions extends ImportOptions {
  /** Rows per stored batch (default 500). */
  batchSize?: number;
  /**
   * Batches stored concurrently (default 3), so tokenisation in a worker
   * pool never waits for a commit while the caller reads the next rows.
   */
  inFlight?: number;
}

/** Totals of an import session so far. */
export interface ImportTotals {
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  tokens: number;
  searches: number;
}

/**
 * A streaming import: rows go in one at a time, in order; valid ones are
 * stored in batches. A failed batch stops the session (`failed`); rows
 * already stored stay stored, and a rerun skips them as unchanged.
 */
export interface ImportSession {
  /** Validate one row (its rejects are returned at once) and store a batch when one is full. */
  add(row: number, value: unknown): Promise<RowReject[]>;
  /** The first storage failure, if any: stop adding. */
  readonly failed: unknown;
  readonly totals: Readonly<ImportTotals>;
  /** Store what is left and wait for every batch; throws the first failure. */
  finish(): Promise<ImportTotals>;
  /** Wait for the batches in flight without storing more (on an early stop). */
  settle(): Promise<void>;
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
  /** A streaming import of any length (`cairn import`, an import stream over HTTP). */
  session(opts: SessionOptions): ImportSession;
  /** Remove a record and its tokens at once (with an audit entry). */
  delete(ref: string, actor: string, reason?: string): Promise<{ ref: string; tokens: number }>;
  /** Purge every record past retention; returns how many. */
  purgeExpired(actor?: string): Promise<number>;
  /** Counts per category and match-key type; no identifiers. */
  stats(): ReturnType<typeof recordStats>;
}

/** Build the records service. */
export function createRecordService(
  deps: ImportDeps,
  registration: { searchOnRegistration: boolean; searches: SearchService },
  validation: { phoneCountry?: string } = {},
): RecordService {
  const validate = (rows: Iterable<ImportRow>, seen: SeenRefs) => validateRows(rows, deps.clock.now(), seen, validation);
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
    session: (opts) => openSession(validate, store, opts),
    importBatch: (rows, opts) => store(validate(rows, opts.seen ?? seenInMemory()), opts),
    delete: (ref, actor, reason) => deleteRecord(deps, ref, actor, reason),
    purgeExpired: (actor) => purgeExpired(deps, actor),
    stats: () => recordStats(deps.db),
  };
}

const DEFAULT_BATCH = 500;
const DEFAULT_IN_FLIGHT = 3;

function openSession(
  validate: (rows: Iterable<ImportRow>, seen: SeenRefs) => ValidatedRows,
  store: (valid: ValidatedRows, opts: Omit<ImportOptions, 'seen'>) => Promise<ImportResult>,
  opts: SessionOptions,
): ImportSession {
  const seen = opts.seen ?? seenInMemory();
  const batchSize = opts.batchSize ?? DEFAULT_BATCH;
  const inFlight = opts.inFlight ?? DEFAULT_IN_FLIGHT;
  const totals: ImportTotals = { imported: 0, updated: 0, unchanged: 0, rejected: 0, tokens: 0, searches: 0 };
  const empty = (): ValidatedRows => ({ accepted: [], rejects: [], rejectedRows: [] });
  let batch = empty();
  const inflight: Promise<void>[] = [];
  let failure: unknown;
  const flush = async () => {
    if (batch.accepted.length === 0) return;
    const b = batch;
    batch = empty();
    while (inflight.length >= inFlight) await inflight.shift();
    inflight.push(
      store(b, { actor: opts.actor, source: opts.source }).then(
        (r) => {
          totals.imported += r.imported;
          totals.updated += r.updated;
          totals.unchanged += r.unchanged;
          totals.tokens += r.tokens;
          totals.searches += r.searches.length;
        },
        (e: unknown) => {
          failure ??= e;
        },
      ),
    );
  };
  return {
    async add(row, value) {
      // Validated at once, so rejects come back (and are counted) in row order.
      const v = validate([{ row, value }], seen);
      totals.rejected += v.rejectedRows.length;
      batch.accepted.push(...v.accepted);
      if (batch.accepted.length >= batchSize) await flush();
      return v.rejects;
    },
    get failed() {
      return failure;
    },
    totals,
    async finish() {
      if (failure === undefined) await flush();
      await Promise.all(inflight);
      if (failure !== undefined) throw failure;
      return { ...totals };
    },
    async settle() {
      await Promise.allSettled(inflight);
    },
  };
}
