/**
 * The import use case, one for every way records arrive: `POST /v1/records`,
 * `cairn import FILE` and the Workers entry. It validates untrusted rows,
 * refuses a reference seen earlier in the same import, stores the valid
 * records in atomic batches (importer.ts) and, when the node's policy says
 * so, searches the peers for newly registered children (registration.ts).
 *
 * Rejections carry the row, the reference when one could be read, the field
 * and the reason, never a value. Row numbers are the caller's: the 1-based
 * position in an HTTP batch, the line of a file.
 */
import { utcDate } from './manage.js';
import { parseRecord, type ParsedRecord } from './parse.js';
import type { BatchResult } from './importer.js';

/** One untrusted record and where it came from. */
export interface ImportRow {
  /** 1-based position in the batch or the file. */
  row: number;
  value: unknown;
}

/** Why a row was not stored (never its values). */
export interface RowReject {
  row: number;
  ref?: string;
  field: string;
  reason: string;
}

/** What happened to one row. */
export interface RowOutcome {
  row: number;
  ref?: string;
  status: 'imported' | 'updated' | 'unchanged' | 'rejected';
}

/**
 * References already accepted in this import, with their first row. The
 * default lives in memory; the CLI keeps one on disk (constant memory for
 * any file size).
 */
export interface SeenRefs {
  /** Record `ref` at `row`; returns the earlier row if `ref` was seen before. */
  claim(ref: string, row: number): number | undefined;
}

/** An in-memory SeenRefs, for one import. */
export function seenInMemory(): SeenRefs {
  const first = new Map<string, number>();
  return {
    claim(ref, row) {
      const earlier = first.get(ref);
      if (earlier === undefined) first.set(ref, row);
      return earlier;
    },
  };
}

/** Rows validated and deduplicated: what may be stored, and what was refused. */
export interface ValidatedRows {
  accepted: { row: number; record: ParsedRecord }[];
  rejects: RowReject[];
  /** Rows refused (a row may have several rejects, one per field). */
  rejectedRows: number[];
}

/**
 * Validate rows against the record schema and today's date (UTC), and
 * refuse references claimed earlier in `seen`. Synchronous, so a streaming
 * caller keeps file order across batches it stores concurrently.
 * `phoneCountry` (the node's country) is the numbering plan of phones in
 * national or "00…" form without a country.
 */
export function validateRows(rows: Iterable<ImportRow>, now: Date, seen: SeenRefs, opts: { phoneCountry?: string } = {}): ValidatedRows {
  const today = utcDate(now);
  const out: ValidatedRows = { accepted: [], rejects: [], rejectedRows: [] };
  for (const { row, value } of rows) {
    const p = parseRecord(value, today, opts);
    if (!p.ok) {
      out.rejectedRows.push(row);
      for (const e of p.errors) out.rejects.push({ row, ...(p.ref !== undefined ? { ref: p.ref } : {}), field: e.field, reason: e.reason });
      continue;
    }
    const earlier = seen.claim(p.record.ref, row);
    if (earlier !== undefined) {
      out.rejectedRows.push(row);
      out.rejects.push({ row, ref: p.record.ref, field: 'ref', reason: `duplicate reference (first at row ${earlier})` });
      continue;
    }
    out.accepted.push({ row, record: p.record });
  }
  return out;
}

/** The totals and per-row outcomes of an import call. */
export interface ImportResult {
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  tokens: number;
  errors: RowReject[];
  outcomes: RowOutcome[];
  /** Searches fired by federation.searchOnRegistration. */
  searches: { ref: string; searchId: string }[];
}

/** Per-row outcomes of stored rows, from the batch's changed references. */
export function outcomesOf(accepted: readonly { row: number; record: ParsedRecord }[], stored: BatchResult): RowOutcome[] {
  const imported = new Set(stored.importedRefs);
  const changed = new Set(stored.changedRefs);
  return accepted.map(({ row, record }) => ({
    row,
    ref: record.ref,
    status: imported.has(record.ref) ? 'imported' : changed.has(record.ref) ? 'updated' : 'unchanged',
  }));
}
