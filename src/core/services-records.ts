/**
 * The records use cases: import (records/import.ts, one path for the API,
 * the CLI and Workers), deletion, retention purge and counts.
 */
import { outcomesOf, seenInMemory, validateRows, type ImportResult, type ImportRow, type RowReject, type SeenRefs, type ValidatedRows } from './records/import.js';
import { importBatch as storeBatch, type ImportDeps } from './records/importer.js';
import { deleteRecord, purgeExpired, recordStats } from './records/manage.js';
import { applyImportChunk, completeImport, importState, type ChunkResult, type ImportState } from './records/bulk-import.js';
import type { SearchService } from './services-federation.js';
import { importPendingBatch } from './keys/pending-import.js';
import { CairnError } from './errors.js';
import type { TokenBackend } from './oprf/index.js';

/** The tokenisers of the OPRF epochs: the active one's, and the pending one's while a rotation runs. */
export interface ImportEpochs {
  importing(): Promise<{ epoch: number; backend: TokenBackend; fingerprintKey: Uint8Array }>;
  pendingImport(): Promise<{ epoch: number; backend: TokenBackend; fingerprintKey: Uint8Array } | undefined>;
}

/** Who imports and from where: both go into the audit entry of every stored batch. */
export interface ImportOptions {
  actor: string;
  source: string;
  /** `next`: into the pending OPRF epoch, beside the served records (protocol/38-key-epochs.md). */
  epoch?: 'current' | 'next';
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
  /**
   * One numbered NDJSON chunk of an import over HTTP, through importBatch;
   * a chunk applied before (same id, seq, content) is only acknowledged.
   */
  applyChunk(importId: string, seq: number, body: Uint8Array, actor: string, epoch?: 'current' | 'next'): Promise<ChunkResult>;
  /** Where an import over HTTP stands: chunks applied, totals, the seq to resume at. */
  importState(importId: string): Promise<ImportState>;
  /** Mark an import over HTTP complete (idempotent) and return its totals. */
  completeImport(importId: string): Promise<ImportState>;
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
  epochs?: ImportEpochs,
): RecordService {
  const validate = (rows: Iterable<ImportRow>, seen: SeenRefs) => validateRows(rows, deps.clock.now(), seen, validation);
  const storeIn = async (records: ValidatedRows['accepted'][number]['record'][], opts: Omit<ImportOptions, 'seen'>) => {
    if (opts.epoch === 'next') {
      const pending = await epochs?.pendingImport();
      if (!pending) throw new CairnError('invalid_request', 'no pending OPRF epoch to import into: start one with `cairn keys rotate oprf`', { location: { field: 'epoch' } });
      return importPendingBatch({ ...deps, backend: pending.backend, fingerprintKey: pending.fingerprintKey, epoch: pending.epoch }, records, opts.actor, opts.source);
    }
    // The active epoch's tokeniser, read per batch: an activation may have switched it.
    const current = epochs ? await epochs.importing() : undefined;
    return storeBatch(current ? { ...deps, backend: current.backend, fingerprintKey: current.fingerprintKey } : deps, records, opts.actor, opts.source);
  };
  const store = async (valid: ValidatedRows, opts: Omit<ImportOptions, 'seen'>): Promise<ImportResult> => {
    const records = valid.accepted.map((a) => a.record);
    const stored = records.length
      ? await storeIn(records, opts)
      : { imported: 0, updated: 0, unchanged: 0, tokens: 0, changedRefs: [], importedRefs: [] };
    // A pending epoch is not searched from: its records register when it is activated... and were searched when first imported.
    const searches = opts.epoch !== 'next' && registration.searchOnRegistration && stored.changedRefs.length ? await registration.searches.onRegistration(records, stored.changedRefs) : [];
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
  const importBatch = (rows: readonly ImportRow[], opts: ImportOptions) => store(validate(rows, opts.seen ?? seenInMemory()), opts);
  const bulk = { db: deps.db, clock: deps.clock, importBatch };
  return {
    validate,
    store,
    session: (opts) => openSession(validate, store, opts),
    importBatch,
    applyChunk: (importId, seq, body, actor, epoch) => applyImportChunk(epoch === 'next' ? { ...bulk, importBatch: (rows, o) => importBatch(rows, { ...o, epoch }) } : bulk, importId, seq, body, actor),
    importState: (importId) => importState(deps.db, importId),
    completeImport: (importId) => completeImport(bulk, importId),
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
      store(b, { actor: opts.actor, source: opts.source, ...(opts.epoch ? { epoch: opts.epoch } : {}) }).then(
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
