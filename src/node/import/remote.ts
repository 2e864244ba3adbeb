/**
 * `cairn import FILE --node URL`: stream a file to a serving node (Node or
 * Workers) over its bulk-import routes, so the node stays the only writer.
 *
 * The file is read as lines (CSV rows become JSON records here, with the same
 * parser as the local import), cut into chunks of `chunkRows` records and
 * sent as PUT /v1/imports/{id}/chunks/{seq}. The import id is derived from
 * the file's content and the chunk size, so running the same command again
 * asks the node where it stopped (GET /v1/imports/{id}) and resumes there;
 * a chunk the node already applied is only acknowledged.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { importChunkResultSchema, importStateSchema } from '../../../schemas/records.js';
import { MEDIA_TYPES } from '../../core/constants.js';
import { CairnError, isStorageFull } from '../../core/errors.js';
import { csvColumnOf, csvReasonOf } from '../../core/records/csv-record.js';
import { IMPORT_CHUNK_MAX_ROWS } from '../../core/records/bulk-import.js';
import { createProgress } from './progress.js';
import { formatOf, importFileSize, readRows } from './rows.js';

/** Attempts per chunk when the node is unreachable or answers 5xx. */
const ATTEMPTS = 5;
const RETRY_BASE_MS = 500;

export interface RemoteImportOptions {
  file: string;
  node: string;
  token: string;
  format?: 'csv' | 'ndjson' | undefined;
  /** Records per chunk (at most 1,000). */
  chunkRows?: number;
  importId?: string;
  outDir?: string | undefined;
  progressOut?: NodeJS.WriteStream;
  fetch?: typeof fetch;
  /** `next`: into the node's pending OPRF epoch (protocol/38-key-epochs.md). */
  epoch?: 'current' | 'next';
}

export interface RemoteImportSummary {
  file: string;
  node: string;
  importId: string;
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Chunks sent by this run, and those the node had applied before (resumed). */
  chunksSent: number;
  chunksSkipped: number;
  rejectsFile: string | null;
  summaryFile: string;
  seconds: number;
}

/** A stable import id for this file and chunk size: the same command resumes. */
async function importIdOf(file: string, chunkRows: number, epoch: 'current' | 'next'): Promise<string> {
  const h = createHash('sha256');
  for await (const b of createReadStream(file)) h.update(b as Buffer);
  h.update(`\nchunk-rows:${chunkRows}`);
  // The same file re-imported into a pending OPRF epoch is another import.
  if (epoch === 'next') h.update('\nepoch:next');
  return `f${h.digest('hex').slice(0, 40)}`;
}

async function problemText(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const p = JSON.parse(text) as { code?: string; detail?: string; title?: string };
    return `${res.status} [${p.code ?? '?'}]: ${p.detail ?? p.title ?? text.slice(0, 200)}`;
  } catch {
    return `${res.status}: ${text.slice(0, 200)}`;
  }
}

/** Run an import against a serving node. */
export async function runRemoteImport(opts: RemoteImportOptions): Promise<RemoteImportSummary> {
  const t0 = performance.now();
  const format = formatOf(opts.file, opts.format);
  const size = importFileSize(opts.file);
  const chunkRows = Math.min(opts.chunkRows ?? 500, IMPORT_CHUNK_MAX_ROWS);
  const base = opts.node.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  const epoch = opts.epoch ?? 'current';
  const importId = opts.importId ?? (await importIdOf(opts.file, chunkRows, epoch));
  const headers = { authorization: `Bearer ${opts.token}` };
  const outDir = opts.outDir ?? dirname(opts.file);
  const rejectsFile = join(outDir, `${basename(opts.file)}.rejects.ndjson`);
  const summaryFile = join(outDir, `${basename(opts.file)}.summary.json`);

  /** One request, retried with backoff while the node is unreachable or failing (5xx). */
  const call = async (method: string, path: string, body?: string): Promise<unknown> => {
    let last = '';
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      let res: Response;
      try {
        res = await doFetch(`${base}${path}`, {
          method,
          headers: body === undefined ? headers : { ...headers, 'content-type': MEDIA_TYPES.ndjson },
          ...(body === undefined ? {} : { body }),
        });
      } catch (e) {
        last = `cannot reach ${base}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`;
        await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
        continue;
      }
      if (res.ok) return res.json();
      last = `${method} ${path}: ${await problemText(res)}`;
      if (res.status < 500) break;
      await new Promise((r) => setTimeout(r, RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
    throw new CairnError('peer_unreachable', `${last} (import ${importId}; run the same command again to resume)`);
  };

  const start = importStateSchema.parse(await call('GET', `/v1/imports/${importId}`));
  let rejectsOut: WriteStream | undefined;
  /** A failed write of the rejects file (a full disk): the import stops rather than lose rows' reasons. */
  let rejectsFailed: Error | undefined;
  const totals = { rows: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0, chunksSent: 0, chunksSkipped: 0 };
  const reject = (row: number, field: string, reason: string, ref?: string) => {
    if (rejectsOut === undefined) {
      rejectsOut = createWriteStream(rejectsFile, { mode: 0o640 });
      rejectsOut.on('error', (e) => (rejectsFailed ??= e));
    }
    rejectsOut.write(`${JSON.stringify({ row, ...(ref !== undefined ? { ref } : {}), field, reason })}\n`);
  };
  const progress = opts.progressOut ? createProgress(size, opts.progressOut) : undefined;

  // The chunk being filled: JSON lines and the file row of each.
  let lines: string[] = [];
  let rows: number[] = [];
  let seq = 0;
  const send = async () => {
    if (lines.length === 0) return;
    const body = `${lines.join('\n')}\n`;
    const fileRows = rows;
    lines = [];
    rows = [];
    const s = seq++;
    if (start.completed || s < start.nextSeq) {
      // Applied before: the node's totals (in its state) include it.
      totals.chunksSkipped++;
      return;
    }
    const r = importChunkResultSchema.parse(await call('PUT', `/v1/imports/${importId}/chunks/${s}${epoch === 'next' ? '?epoch=next' : ''}`, body));
    totals.chunksSent++;
    totals.imported += r.imported;
    totals.updated += r.updated;
    totals.unchanged += r.unchanged;
    totals.rejected += r.rejected;
    // A CSV row's problem is named by the column the user wrote, as in a local import.
    for (const e of r.errors) {
      const column = format === 'csv' ? csvColumnOf(e.field) : undefined;
      reject(fileRows[e.row - 1] ?? e.row, column ?? e.field, column === undefined ? e.reason : csvReasonOf(column, e.reason), e.ref);
    }
  };
  const add = (row: number, record: unknown) => {
    lines.push(JSON.stringify(record));
    rows.push(row);
  };
  const rejectRow = (row: number, reason: string) => {
    totals.rejected++;
    reject(row, '(row)', reason);
  };

  try {
    for await (const r of readRows(opts.file, format)) {
      if (rejectsFailed !== undefined) break;
      progress?.update(r.bytesRead, totals.rows);
      totals.rows++;
      if (r.ok) add(r.row, r.value);
      else rejectRow(r.row, r.reason);
      if (lines.length >= chunkRows) await send();
    }
    if (rejectsFailed === undefined) await send();
  } finally {
    await new Promise<void>((r) => (rejectsOut && !rejectsOut.destroyed ? rejectsOut.end(() => r()) : r()));
  }
  if (rejectsFailed !== undefined) {
    const why = isStorageFull(rejectsFailed) ? 'the disk holding it is full' : rejectsFailed.message;
    throw new CairnError('unavailable', `could not write rejected rows to ${rejectsFile}: ${why}; the chunks sent before are stored (import ${importId}): make room, then run the same command again to resume`);
  }
  const end = importStateSchema.parse(await call('POST', `/v1/imports/${importId}/complete`));
  progress?.done(totals.rows);
  // The node's totals cover every chunk of this import, including those of an earlier, interrupted run.
  const clientRejected = totals.rejected - (end.rejected - start.rejected);
  const summary: RemoteImportSummary = {
    file: opts.file,
    node: base,
    importId,
    rows: totals.rows,
    imported: end.imported,
    updated: end.updated,
    unchanged: end.unchanged,
    rejected: end.rejected + Math.max(0, clientRejected),
    chunksSent: totals.chunksSent,
    chunksSkipped: totals.chunksSkipped,
    rejectsFile: rejectsOut ? rejectsFile : null,
    summaryFile,
    seconds: Math.round((performance.now() - t0) / 10) / 100,
  };
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  return summary;
}
