/**
 * RFC 4180 CSV fields: comma-separated, fields optionally in double quotes,
 * a quote inside a quoted field doubled. A quoted field may span lines; the
 * caller joins lines while `isOpenQuoted` says the record is unfinished.
 */

/** True when `text` ends inside a quoted field (the record continues on the next line). */
export function isOpenQuoted(text: string): boolean {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 34) inQuotes = !inQuotes;
  return inQuotes;
}

/** Split one CSV record into fields; returns an error with the 1-based column on malformed quoting. */
export function parseCsvRecord(text: string): { ok: true; fields: string[] } | { ok: false; column: number; reason: string } {
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
      if (i < n && text[i] !== ',') return { ok: false, column: i + 1, reason: 'unexpected character after a closing quote' };
    } else {
      const comma = text.indexOf(',', i);
      const end = comma === -1 ? n : comma;
      const value = text.slice(i, end);
      if (value.includes('"')) return { ok: false, column: i + value.indexOf('"') + 1, reason: 'a quote inside an unquoted field' };
      fields.push(value);
      i = end;
    }
    if (i >= n) return { ok: true, fields };
    i++; // the comma
    if (i === n) {
      fields.push('');
      return { ok: true, fields };
    }
  }
}
