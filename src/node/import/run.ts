/**
 * `cairn import FILE`: stream a CSV or NDJSON file of records into the node.
 *
 * This file reads the file, reports progress and wires the token worker
 * pool; the import itself is the node's one import use case
 * (services.records, core/records/import.ts), the same as POST /v1/records.
 * Rows are validated one by one; bad rows go to a rejects file (row, field,
 * reason, never the values) and valid rows are stored in batches, each batch
 * one transaction with its audit entry. Killing the process loses at most
 * the batches in flight; running the same command again skips the stored
 * records as unchanged and completes the import.
 *
 * CAIRN_IMPORT_PORTABLE=1 tokenises with the portable noble path on the
 * calling thread instead of the libsodium worker pool: the baseline that
 * `npm run bench:import` measures the fast path against.
 */
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { CairnError, isCairnError, isDatabaseBusy, isStorageFull } from '../../core/errors.js';
import { createPortableTokenBackend } from '../../core/oprf/index.js';
import { csvColumnOf, csvReasonOf } from '../../core/records/csv-record.js';
import type { RowReject, SeenRefs } from '../../core/records/import.js';
import { nodeServices, type NodeContext } from '../context.js';
import { createTokenPool } from '../oprf/index.js';
import { existsSync } from 'node:fs';
import { resolveIn } from '../home.js';
import { readKeyFile } from '../keyfile.js';
import { pendingKeyPath } from '../oprf-keys.js';
import { formatOf, importFileSize, readRows } from './rows.js';
import { createProgress } from './progress.js';

export interface ImportOptions {
  file: string;
  format?: 'csv' | 'ndjson' | undefined;
  batchSize?: number;
  /** Stop after this many rejected rows (a file of garbage). */
  maxRejects?: number;
  threads?: number;
  /** Folder for the rejects and summary files (default: next to the input). */
  outDir?: string | undefined;
  progressOut?: NodeJS.WriteStream;
  actor?: string;
  /** `next`: into the pending OPRF epoch (protocol/38-key-epochs.md). */
  epoch?: 'current' | 'next';
}

export interface ImportSummary {
  file: string;
  format: 'csv' | 'ndjson';
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  tokens: number;
  /** Searches fired by federation.searchOnRegistration. */
  searches: number;
  stoppedEarly: boolean;
  /** Why the import stopped before the end of the file (a full disk, another writer), when it did: the counts are what was stored before. */
  failed?: { code: string; message: string };
  rejectsFile: string | null;
  summaryFile: string;
  seconds: number;
}

/**
 * An import that stopped on a failure to store or to write its rejects (a
 * full disk, the database held by another writer): `summary` counts what
 * was stored before the stop, and `summaryWritten` says whether it also
 * went to the summary file (on a full disk it may not have). Batches that
 * were not stored are not in the database at all; the same command, run
 * again, skips the stored records as unchanged and stores the rest.
 */
export class ImportStopped extends Error {
  constructor(
    readonly summary: ImportSummary,
    readonly summaryWritten: boolean,
    readonly reason: unknown,
  ) {
    super(summary.failed?.message ?? 'import stopped', { cause: reason });
    this.name = 'ImportStopped';
  }
}

const MAX_BATCHES_IN_FLIGHT = 3;
/** Page cache of an import's connection: 64 MiB (negative: KiB). */
const IMPORT_CACHE_KIB = -65_536;
/** WAL pages before an import checkpoints: about 200 MiB. */
const IMPORT_WAL_PAGES = 50_000;

export async function runImport(ctx: NodeContext, opts: ImportOptions): Promise<ImportSummary> {
  const t0 = performance.now();
  const format = formatOf(opts.file, opts.format);
  const size = importFileSize(opts.file);
  const batchSize = opts.batchSize ?? 500;
  const maxRejects = opts.maxRejects ?? 10_000;
  const outDir = opts.outDir ?? dirname(opts.file);
  const rejectsFile = join(outDir, `${basename(opts.file)}.rejects.ndjson`);
  const summaryFile = join(outDir, `${basename(opts.file)}.summary.json`);
  const actor = opts.actor ?? 'cli';
  const source = `import:${basename(opts.file)}`;

  // Into the pending epoch: the pool is bound to the pending key (its file beside the active one).
  const next = opts.epoch === 'next';
  const pendingPath = pendingKeyPath(resolveIn(ctx.home, ctx.config.keys.oprf));
  if (next && !existsSync(pendingPath)) throw new CairnError('invalid_request', 'no pending OPRF epoch to import into: start one with `cairn keys rotate oprf` (nothing was changed)');
  const secretKey = next ? readKeyFile(pendingPath, 'oprf (pending)') : ctx.keys.oprfSecretKey;
  const backend =
    process.env.CAIRN_IMPORT_PORTABLE === '1'
      ? createPortableTokenBackend(secretKey)
      : await createTokenPool({ secretKey, threads: opts.threads ?? availableParallelism() });
  const { records } = await nodeServices(ctx, {
    ...(next ? { tokenBackendFor: async () => backend } : { tokenBackend: backend }),
    searches: ctx.config.federation.searchOnRegistration,
  });
  // Bulk-load settings for this connection only. Tokens land at random
  // places in tokens_bucket; a larger page cache and fewer, larger WAL
  // checkpoints (each one syncs the database file) let pages touched by
  // many batches be written back once. Restored, and the WAL folded back,
  // when the import ends.
  const raw = ctx.sqlite.raw;
  const restore = { cache: raw.pragma('cache_size', { simple: true }), checkpoint: raw.pragma('wal_autocheckpoint', { simple: true }) };
  raw.pragma(`cache_size = ${IMPORT_CACHE_KIB}`);
  raw.pragma(`wal_autocheckpoint = ${IMPORT_WAL_PAGES}`);
  // Duplicate references inside one file, tracked on disk (constant memory).
  raw.exec('create temp table if not exists import_seen (ref text primary key, row integer not null)');
  raw.exec('delete from import_seen');
  const seenInsert = raw.prepare('insert or ignore into import_seen (ref, row) values (?, ?)');
  const seenFirst = raw.prepare('select row from import_seen where ref = ?');
  const seen: SeenRefs = {
    claim: (ref, row) => (seenInsert.run(ref, row).changes === 0 ? (seenFirst.get(ref) as { row: number }).row : undefined),
  };

  let rejectsOut: WriteStream | undefined;
  /** A failed write of the rejects file (a full disk): rows' reasons must not be lost silently, so the import stops. */
  let rejectsFailed: Error | undefined;
  const totals = { rows: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0, tokens: 0, searches: 0 };
  // One shape for every reject, the same as POST /v1/records: row, ref, field, reason.
  const reject = (e: RowReject) => {
    if (rejectsOut === undefined) {
      rejectsOut = createWriteStream(rejectsFile, { mode: 0o640 });
      rejectsOut.on('error', (err) => (rejectsFailed ??= err));
    }
    rejectsOut.write(`${JSON.stringify({ row: e.row, ...(e.ref !== undefined ? { ref: e.ref } : {}), field: e.field, reason: e.reason })}\n`);
  };
  /** A row the file reader could not turn into a record (malformed CSV, not JSON, too long). */
  const rejectRow = (row: number, errors: { field: string; reason: string }[]) => {
    totals.rejected++;
    for (const e of errors) reject({ row, ...e });
  };

  const progress = opts.progressOut ? createProgress(size, opts.progressOut) : undefined;
  // The import use case: validation, dedup and batches of `batchSize`, three in flight.
  const session = records.session({ actor, source, seen, batchSize, inFlight: MAX_BATCHES_IN_FLIGHT, ...(next ? { epoch: 'next' as const } : {}) });
  const accept = async (row: number, value: unknown, fromCsv = false) => {
    // A CSV row's problem is named by the column the user wrote.
    (await session.add(row, value)).forEach((e) => {
      const column = fromCsv ? csvColumnOf(e.field) : undefined;
      reject(column === undefined ? e : { ...e, field: column, reason: csvReasonOf(column, e.reason) });
    });
  };
  const rejectedSoFar = () => totals.rejected + session.totals.rejected;

  let stoppedEarly = false;
  try {
    for await (const r of readRows(opts.file, format)) {
      if (session.failed !== undefined || rejectsFailed !== undefined) break;
      progress?.update(r.bytesRead, totals.rows);
      totals.rows++;
      if (r.ok) await accept(r.row, r.value, r.fromCsv);
      else rejectRow(r.row, [{ field: '(row)', reason: r.reason }]);
      if (rejectedSoFar() > maxRejects) {
        stoppedEarly = true;
        break;
      }
    }
    // Rows validated before an early stop are stored too; a failed batch keeps the rest from being stored.
    if (rejectsFailed === undefined) await session.finish().catch(() => undefined);
  } finally {
    await session.settle();
    await backend.close();
    raw.pragma(`cache_size = ${Number(restore.cache)}`);
    raw.pragma(`wal_autocheckpoint = ${Number(restore.checkpoint)}`);
    try {
      raw.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A reader (a serving node) holds the WAL: it is checkpointed later.
    }
    await closeRejects(rejectsOut).catch((e: Error) => (rejectsFailed ??= e));
  }
  // What the batches that were stored add up to (a failed batch is in none of them).
  const stored = session.totals;
  Object.assign(totals, { imported: stored.imported, updated: stored.updated, unchanged: stored.unchanged, tokens: stored.tokens, searches: stored.searches });
  totals.rejected += stored.rejected;
  const failure = session.failed ?? rejectsFailed;
  const summary: ImportSummary = {
    file: opts.file,
    format,
    ...totals,
    stoppedEarly,
    ...(failure !== undefined ? { failed: describeFailure(failure, rejectsFailed !== undefined && session.failed === undefined ? rejectsFile : undefined) } : {}),
    rejectsFile: rejectsOut ? rejectsFile : null,
    summaryFile,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
  };
  if (failure !== undefined) {
    let written = true;
    try {
      writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
    } catch {
      written = false; // on the same full disk, most likely: the message carries the counts
    }
    progress?.stopped(totals.rows);
    throw new ImportStopped(summary, written, failure);
  }
  progress?.done(totals.rows);
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}

function closeRejects(out: WriteStream | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out === undefined || out.destroyed) return resolve();
    out.once('error', reject);
    out.end(() => resolve());
  });
}

/** Why an import stopped, for the summary and the operator: never a row's values. */
function describeFailure(e: unknown, rejectsFile: string | undefined): { code: string; message: string } {
  if (rejectsFile !== undefined) {
    const why = isStorageFull(e) ? 'the disk holding it is full' : e instanceof Error ? e.message : String(e);
    return { code: isStorageFull(e) ? 'storage_full' : 'rejects_unwritable', message: `could not write rejected rows to ${rejectsFile}: ${why}` };
  }
  if (isStorageFull(e)) return { code: 'storage_full', message: "the disk holding the node's database is full: the batch being stored was not stored" };
  if (isDatabaseBusy(e)) return { code: 'unavailable', message: 'the database was held by another writer for longer than the import waits for it' };
  if (isCairnError(e)) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
