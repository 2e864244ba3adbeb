/**
 * Bulk import over HTTP: a client streams a file to the serving node as
 * numbered chunks of NDJSON records under an import id it chose, so the node
 * stays the only writer of its database.
 *
 * - A chunk already applied (same id, seq and SHA-256 of its body) is
 *   acknowledged with its stored result, not applied twice; the same seq
 *   with another body is a conflict.
 * - The state names the next seq to send, so a client resumes where it
 *   stopped.
 * - Records go through the records service's `importBatch`, as on every other import path,
 *   so re-sent records are recognised as unchanged by their fingerprint even
 *   if the node stopped between storing a chunk and recording it.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes } from '../bytes.js';
import { parseJsonText } from '../decode/json-body.js';
import type { Db } from '../db/schema.js';
import { CairnError, isCairnError } from '../errors.js';
import type { Clock } from '../ports.js';
import type { ImportResult, ImportRow } from './import.js';

/** Records a chunk may hold (one importBatch, one audit entry). */
export const IMPORT_CHUNK_MAX_ROWS = 1000;
/** Import ids: chosen by the client, safe in a URL path. */
export const IMPORT_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export interface RowError {
  /** 1-based line in the chunk. */
  row: number;
  ref?: string;
  field: string;
  reason: string;
}

export interface ChunkResult {
  importId: string;
  seq: number;
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  errors: RowError[];
  /** True when this chunk had been applied before and was only acknowledged. */
  replayed: boolean;
  /** Searches on registration this chunk fired (0 on a replay). */
  searches: number;
}

export interface ImportState {
  importId: string;
  /** Chunks applied. */
  chunks: number;
  /** The lowest seq not applied yet: where a client resumes. */
  nextSeq: number;
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  completed: boolean;
  completedAt: string | null;
}

export interface BulkImportDeps {
  db: Db;
  clock: Clock;
  /** The records service's importBatch: validation, dedup, storage, search on registration. */
  importBatch: (rows: readonly ImportRow[], opts: { actor: string; source: string }) => Promise<ImportResult>;
}

function checkId(importId: string): void {
  if (!IMPORT_ID_PATTERN.test(importId)) {
    throw new CairnError('invalid_request', `import id ${JSON.stringify(importId.slice(0, 80))} must be 8 to 64 letters, digits, _ or -`, { location: { field: 'importId' } });
  }
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Split a chunk body into rows: one JSON record per line. Row errors never carry values. */
function parseChunk(body: Uint8Array): { rows: ImportRow[]; errors: RowError[] } {
  let text: string;
  try {
    text = fatalUtf8.decode(body);
  } catch (cause) {
    throw new CairnError('invalid_request', 'the chunk is not UTF-8 text', { cause });
  }
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > IMPORT_CHUNK_MAX_ROWS) {
    throw new CairnError('batch_too_large', `a chunk holds at most ${IMPORT_CHUNK_MAX_ROWS} records, this one ${lines.length}`);
  }
  const errors: RowError[] = [];
  const rows: ImportRow[] = [];
  lines.forEach((line, i) => {
    const row = i + 1;
    if (line.trim() === '') return;
    try {
      rows.push({ row, value: parseJsonText(line) });
    } catch (e) {
      errors.push({ row, field: '(row)', reason: `not JSON: ${isCairnError(e) ? e.message : 'malformed'}` });
    }
  });
  return { rows, errors };
}

/** Apply one chunk of an import, or acknowledge it if it was applied before. */
export async function applyImportChunk(deps: BulkImportDeps, importId: string, seq: number, body: Uint8Array, actor: string): Promise<ChunkResult> {
  checkId(importId);
  if (!Number.isSafeInteger(seq) || seq < 0) throw new CairnError('invalid_request', `chunk seq must be an integer >= 0`, { location: { field: 'seq' } });
  const digest = sha256(body);
  const done = await deps.db.selectFrom('imports_completed').select('completed_at').where('import_id', '=', importId).executeTakeFirst();
  const prior = await deps.db.selectFrom('import_chunks').selectAll().where('import_id', '=', importId).where('seq', '=', seq).executeTakeFirst();
  if (prior) {
    if (!equalBytes(new Uint8Array(prior.digest), digest)) {
      throw new CairnError('import_conflict', `chunk ${seq} of import ${importId} was applied before with other content; a new file needs a new import id`, { details: { importId, seq } });
    }
    return {
      importId,
      seq,
      rows: prior.rows,
      imported: prior.imported,
      updated: prior.updated,
      unchanged: prior.unchanged,
      rejected: prior.rejected,
      errors: JSON.parse(prior.errors) as RowError[],
      replayed: true,
      searches: 0,
    };
  }
  if (done) throw new CairnError('import_conflict', `import ${importId} was completed at ${done.completed_at}; a new file needs a new import id`, { details: { importId, seq } });
  const now = deps.clock.now();
  const chunk = parseChunk(body);
  const res = chunk.rows.length
    ? await deps.importBatch(chunk.rows, { actor, source: `import:${importId}` })
    : { imported: 0, updated: 0, unchanged: 0, rejected: 0, errors: [], searches: [] };
  const errors = [...chunk.errors, ...res.errors].sort((a, b) => a.row - b.row);
  const rows = chunk.rows.length + chunk.errors.length;
  const rejected = chunk.errors.length + res.rejected;
  // Recorded after the batch: a node stopping in between applies the chunk
  // again on resend, which stores nothing new (the records are unchanged).
  await deps.db
    .insertInto('import_chunks')
    .values({
      import_id: importId,
      seq,
      digest,
      rows,
      imported: res.imported,
      updated: res.updated,
      unchanged: res.unchanged,
      rejected,
      errors: JSON.stringify(errors),
      actor,
      applied_at: now.toISOString(),
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
  return {
    importId,
    seq,
    rows,
    imported: res.imported,
    updated: res.updated,
    unchanged: res.unchanged,
    rejected,
    errors,
    replayed: false,
    searches: res.searches.length,
  };
}

/** Where an import stands: chunks applied, totals, the seq to resume at. */
export async function importState(db: Db, importId: string): Promise<ImportState> {
  checkId(importId);
  const chunks = await db
    .selectFrom('import_chunks')
    .select(['seq', 'rows', 'imported', 'updated', 'unchanged', 'rejected'])
    .where('import_id', '=', importId)
    .orderBy('seq')
    .execute();
  const done = await db.selectFrom('imports_completed').select('completed_at').where('import_id', '=', importId).executeTakeFirst();
  let nextSeq = 0;
  const totals = { rows: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const c of chunks) {
    if (c.seq === nextSeq) nextSeq++;
    totals.rows += c.rows;
    totals.imported += c.imported;
    totals.updated += c.updated;
    totals.unchanged += c.unchanged;
    totals.rejected += c.rejected;
  }
  return { importId, chunks: chunks.length, nextSeq, ...totals, completed: done !== undefined, completedAt: done?.completed_at ?? null };
}

/** Mark an import complete and return its totals. Idempotent. */
export async function completeImport(deps: { db: Db; clock: Clock }, importId: string): Promise<ImportState> {
  const state = await importState(deps.db, importId);
  if (state.chunks === 0) throw new CairnError('not_found', `import ${importId} has no chunks`);
  if (!state.completed) {
    await deps.db
      .insertInto('imports_completed')
      .values({ import_id: importId, chunks: state.chunks, completed_at: deps.clock.now().toISOString() })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
  return importState(deps.db, importId);
}
