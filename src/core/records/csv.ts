/**
 * RFC 4180 CSV fields: comma-separated, fields optionally in double quotes,
 * a quote inside a quoted field doubled. A quoted field may span lines; the
 * caller joins lines while `isOpenQuoted` says the record is unfinished.
 *
 * The separator may also be a semicolon or a tab: spreadsheets in locales
 * whose decimal mark is a comma (German, French, Polish, ...) save "CSV"
 * with semicolons. The reader picks it from the header row (`CSV_SEPARATORS`,
 * in order: the first that gives a valid header).
 */

/** Field separators a CSV file may use, in the order the header is tried with them. */
export const CSV_SEPARATORS = [',', ';', '\t'] as const;
export type CsvSeparator = (typeof CSV_SEPARATORS)[number];

/** True when `text` ends inside a quoted field (the record continues on the next line). */
export function isOpenQuoted(text: string): boolean {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) inQuotes = !inQuotes;
  return inQuotes;
}

/** Split one CSV record into fields; returns an error with the 1-based column on malformed quoting. */
export function parseCsvRecord(text: string, separator: CsvSeparator = ','): { ok: true; fields: string[] } | { ok: false; column: number; reason: string } {
  const fields: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i < n && text[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= n) return { ok: false, column: n, reason: 'unterminated quoted field' };
        const ch = text[i]!;
        if (ch === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += ch;
        i++;
      }
      fields.push(value);
      if (i < n && text[i] !== separator) return { ok: false, column: i + 1, reason: 'unexpected character after a closing quote' };
    } else {
      const next = text.indexOf(separator, i);
      const end = next === -1 ? n : next;
      const value = text.slice(i, end);
      if (value.includes('"')) return { ok: false, column: i + value.indexOf('"') + 1, reason: 'a quote inside an unquoted field' };
      fields.push(value);
      i = end;
    }
    if (i >= n) return { ok: true, fields };
    i++; // the separator
    if (i === n) {
      fields.push('');
      return { ok: true, fields };
    }
  }
}
