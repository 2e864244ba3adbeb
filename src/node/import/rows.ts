/**
 * The rows of an import file, as both imports read them (into the local
 * database, and through a serving node's API): NDJSON one object a line; CSV
 * with a header row, quoted fields that may span lines, and each row turned
 * into the record shape. A row that cannot be read is a rejection with its
 * reason and the file's line number, never a failed import; a bad header is.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { CairnError, isCairnError } from '../../core/errors.js';
import { parseJsonText } from '../../core/decode/json-body.js';
import { checkCsvHeader, csvRowToRecord } from '../../core/records/csv-record.js';
import { CSV_SEPARATORS, isOpenQuoted, parseCsvRecord, type CsvSeparator } from '../../core/records/csv.js';
import { readLines } from './lines.js';

/** Longest line read; a longer one is one rejected row. */
const MAX_LINE_BYTES = 1 << 20;
/** Most physical lines one quoted CSV field may span. */
const MAX_CSV_CONTINUATION = 50;

export type ImportFormat = 'csv' | 'ndjson';

/** The format of an import file: --format, else its extension. */
export function formatOf(file: string, explicit?: string): ImportFormat {
  if (explicit === 'csv' || explicit === 'ndjson') return explicit;
  if (explicit !== undefined) throw new CairnError('invalid_request', `--format must be csv or ndjson, not ${JSON.stringify(explicit)}`);
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  throw new CairnError('invalid_request', `cannot tell the format of ${file} from its name; use --format csv or --format ndjson`);
}

/** The size of an import file; a file that cannot be read or is empty is refused before anything changes. */
export function importFileSize(file: string): number {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (cause) {
    throw new CairnError('invalid_request', `cannot read ${file}`, { cause });
  }
  if (size === 0) throw new CairnError('invalid_request', `${file} is empty: nothing to import (nothing was changed)`);
  return size;
}

/** Bytes looked at for the file's encoding. */
const SNIFF_BYTES = 4096;

/**
 * Refuse a file that is not UTF-8 text as a whole, before any row: UTF-16
 * (what Excel's "Unicode text" and Windows PowerShell 5's `>` and Out-File
 * write) would otherwise be read as rows of NUL-padded garbage, each
 * rejected for a reason that hides the cause. Another 8-bit encoding
 * (Windows-1252) is still caught row by row, as lines that are not UTF-8.
 */
function checkTextEncoding(file: string): void {
  const head = Buffer.alloc(SNIFF_BYTES);
  let n: number;
  const fd = openSync(file, 'r');
  try {
    n = readSync(fd, head, 0, SNIFF_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  const bytes = head.subarray(0, n);
  const fix = 'save it as UTF-8 (Excel: "CSV UTF-8"; PowerShell: Out-File -Encoding utf8) and import it again (nothing was changed)';
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new CairnError('invalid_request', `${file} is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8: ${fix}`, { location: { row: 1 } });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new CairnError('invalid_request', `${file} holds a NUL byte at offset ${nul}: it is UTF-16 text or not text at all, not UTF-8: ${fix}`, { location: { row: 1 } });
  }
}

/**
 * The header row and the separator it is written with: the first of
 * CSV_SEPARATORS that gives a valid header; when none does, the comma's
 * verdict, which names what is wrong.
 */
function readHeader(text: string): { ok: true; columns: string[]; separator: CsvSeparator } | { ok: false; reason: string } {
  let first: { ok: false; reason: string } | undefined;
  for (const separator of CSV_SEPARATORS) {
    // A separator the row does not hold gives one field: never a header of its own.
    if (separator !== ',' && !text.includes(separator)) continue;
    const f = parseCsvRecord(text, separator);
    const h = f.ok ? checkCsvHeader(f.fields) : { ok: false as const, reason: `malformed at column ${f.column}: ${f.reason}` };
    if (h.ok) return { ok: true, columns: h.columns, separator };
    first ??= h;
  }
  return first!;
}

/** One row of the file: its record (as parsed JSON or converted CSV), or why it was rejected. `row` is the file's line number where it starts. */
export type FileRow = { row: number; bytesRead: number } & ({ ok: true; value: unknown; fromCsv: boolean } | { ok: false; reason: string });

/** Read `file` row by row (blank lines skipped); throws on a missing or bad CSV header, naming the file. */
export async function* readRows(file: string, format: ImportFormat): AsyncGenerator<FileRow> {
  checkTextEncoding(file);
  let header: string[] | undefined;
  let separator: CsvSeparator = ',';
  let pending: { row: number; text: string; lines: number } | undefined;
  let bytesRead = 0;
  for await (const line of readLines(file, MAX_LINE_BYTES)) {
    bytesRead = line.bytesRead;
    if (line.kind === 'bad') {
      // Without a header no row can be read: the file is refused, as for a bad header.
      if (format === 'csv' && header === undefined) throw new CairnError('invalid_request', `${file}: header row (line ${line.row}): ${line.reason} (nothing was changed)`, { location: { row: line.row } });
      if (pending) {
        yield { row: pending.row, bytesRead, ok: false, reason: 'a quoted field was not closed before a bad line' };
        pending = undefined;
      }
      yield { row: line.row, bytesRead, ok: false, reason: line.reason };
      continue;
    }
    if (format === 'ndjson') {
      if (line.text.trim() === '') continue;
      try {
        yield { row: line.row, bytesRead, ok: true, value: parseJsonText(line.text), fromCsv: false };
      } catch (e) {
        yield { row: line.row, bytesRead, ok: false, reason: `not JSON: ${isCairnError(e) ? e.message : String(e)}` };
      }
      continue;
    }
    // CSV: join physical lines while a quoted field is open.
    const text = pending ? `${pending.text}\n${line.text}` : line.text;
    const startRow = pending ? pending.row : line.row;
    if (isOpenQuoted(text)) {
      const lines = (pending?.lines ?? 0) + 1;
      if (lines > MAX_CSV_CONTINUATION) {
        yield { row: startRow, bytesRead, ok: false, reason: `a quoted field is not closed within ${MAX_CSV_CONTINUATION} lines` };
        pending = undefined;
      } else pending = { row: startRow, text, lines };
      continue;
    }
    pending = undefined;
    if (header === undefined) {
      const h = readHeader(text);
      if (!h.ok) throw new CairnError('invalid_request', `${file}: header row: ${h.reason} (nothing was changed)`, { location: { row: 1 } });
      header = h.columns;
      separator = h.separator;
      continue;
    }
    if (text.trim() === '') continue;
    const f = parseCsvRecord(text, separator);
    if (!f.ok) {
      yield { row: startRow, bytesRead, ok: false, reason: `malformed CSV at column ${f.column}: ${f.reason}` };
      continue;
    }
    const rec = csvRowToRecord(header, f.fields);
    yield rec.ok ? { row: startRow, bytesRead, ok: true, value: rec.record, fromCsv: true } : { row: startRow, bytesRead, ok: false, reason: rec.reason };
  }
  if (pending) yield { row: pending.row, bytesRead, ok: false, reason: 'a quoted field is not closed at the end of the file' };
  if (format === 'csv' && header === undefined) throw new CairnError('invalid_request', `${file}: no header row (nothing was changed)`);
}
