/**
 * The documented CSV layout of a record file (README "Import"), mapped onto
 * the same JSON record the HTTP API takes. Multi-valued cells separate
 * values with `|`; structured values separate their parts with `:`.
 */

/** Columns every file must have. */
export const CSV_REQUIRED = ['ref', 'category', 'owning_unit', 'contact_point', 'record_date', 'retention_until'] as const;

/** Columns a file may have. */
export const CSV_OPTIONAL = [
  'given_name',
  'family_name',
  'patronymic',
  'aliases',
  'sex',
  'date_of_birth',
  'birth_country',
  'birth_place',
  'nationalities',
  'documents',
  'phones',
  'emails',
  'handles',
  'file_sha256',
] as const;

export const CSV_COLUMNS: readonly string[] = [...CSV_REQUIRED, ...CSV_OPTIONAL];

export type CsvHeader = { ok: true; columns: string[] } | { ok: false; reason: string };

/** Check a header row: every required column present, no unknown or repeated column. */
export function checkCsvHeader(fields: string[]): CsvHeader {
  const columns = fields.map((f) => f.trim().toLowerCase());
  const unknown = columns.filter((c) => !CSV_COLUMNS.includes(c));
  if (unknown.length) {
    return { ok: false, reason: `unknown column(s) ${unknown.map((c) => JSON.stringify(c)).join(', ')}; the columns are: ${CSV_COLUMNS.join(', ')}` };
  }
  const dup = columns.find((c, i) => columns.indexOf(c) !== i);
  if (dup) return { ok: false, reason: `column ${JSON.stringify(dup)} appears twice` };
  const missing = CSV_REQUIRED.filter((c) => !columns.includes(c));
  if (missing.length) return { ok: false, reason: `missing required column(s) ${missing.join(', ')}` };
  return { ok: true, columns };
}

const list = (s: string) =>
  s
    .split('|')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** `YYYY-MM-DD`, `YYYY-MM`, `YYYY`, `YYYY~N` (estimated ±N years) or empty. */
function dateOfBirth(s: string): unknown {
  const v = s.trim();
  if (v === '') return undefined;
  if (v.toLowerCase() === 'unknown') return { precision: 'unknown' };
  const est = /^(\d{4})~(\d{1,2})$/.exec(v);
  if (est) return { precision: 'estimated', date: est[1], plusMinusYears: Number(est[2]) };
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return { precision: 'day', date: v };
  if (/^\d{4}-\d{2}$/.test(v)) return { precision: 'month', date: v };
  if (/^\d{4}$/.test(v)) return { precision: 'year', date: v };
  // Let the identifier schema name the problem: an unparseable day date.
  return { precision: 'day', date: v };
}

/** Split `a:b:c` into exactly n parts (the last part may contain colons). */
function parts(s: string, n: number): string[] {
  const out = s.split(':');
  if (out.length <= n) return out;
  return [...out.slice(0, n - 1), out.slice(n - 1).join(':')];
}

/** Turn a CSV row into the JSON record shape; validation happens afterwards. */
export function csvRowToRecord(columns: string[], fields: string[]): { ok: true; record: Record<string, unknown> } | { ok: false; reason: string } {
  if (fields.length !== columns.length) {
    return { ok: false, reason: `has ${fields.length} fields, the header has ${columns.length}` };
  }
  const cell = (name: string) => {
    const i = columns.indexOf(name);
    return i === -1 ? '' : fields[i]!;
  };
  const ids: Record<string, unknown> = {};
  const name: Record<string, unknown> = {};
  if (cell('given_name').trim()) name.given = cell('given_name').trim();
  if (cell('family_name').trim()) name.family = cell('family_name').trim();
  if (cell('patronymic').trim()) name.patronymic = cell('patronymic').trim();
  if (list(cell('aliases')).length) name.aliases = list(cell('aliases'));
  if (Object.keys(name).length) ids.names = [name];
  if (cell('sex').trim()) ids.sex = cell('sex').trim();
  const dob = dateOfBirth(cell('date_of_birth'));
  if (dob !== undefined) ids.dateOfBirth = dob;
  if (cell('birth_country').trim() || cell('birth_place').trim()) {
    ids.placeOfBirth = {
      ...(cell('birth_country').trim() ? { country: cell('birth_country').trim() } : {}),
      ...(cell('birth_place').trim() ? { locality: cell('birth_place').trim() } : {}),
    };
  }
  if (list(cell('nationalities')).length) ids.nationalities = list(cell('nationalities'));
  if (list(cell('documents')).length) {
    ids.documents = list(cell('documents')).map((d) => {
      const [type, issuingCountry, number] = parts(d, 3);
      return { type, issuingCountry, number };
    });
  }
  if (list(cell('phones')).length) {
    ids.phones = list(cell('phones')).map((p) => {
      const m = /^([A-Z]{2}):(.+)$/.exec(p);
      return m ? { number: m[2], country: m[1] } : { number: p };
    });
  }
  if (list(cell('emails')).length) ids.emails = list(cell('emails'));
  if (list(cell('handles')).length) {
    ids.handles = list(cell('handles')).map((h) => {
      const [platform, handle] = parts(h, 2);
      return { platform, handle };
    });
  }
  if (list(cell('file_sha256')).length) ids.fileSha256 = list(cell('file_sha256'));
  return {
    ok: true,
    record: {
      ref: cell('ref').trim(),
      category: cell('category').trim(),
      owningUnit: cell('owning_unit'),
      contactPoint: cell('contact_point'),
      recordDate: cell('record_date').trim(),
      retentionUntil: cell('retention_until').trim(),
      identifiers: ids,
    },
  };
}

// Record field paths (as parseRecord reports them) and the CSV column each
// comes from; list columns add which value of the cell.
const FIELD_COLUMNS: readonly (readonly [RegExp, string])[] = [
  [/^ref$/, 'ref'],
  [/^category$/, 'category'],
  [/^owningUnit$/, 'owning_unit'],
  [/^contactPoint$/, 'contact_point'],
  [/^recordDate$/, 'record_date'],
  [/^retentionUntil$/, 'retention_until'],
  [/^identifiers\.names\[0\]\.given$/, 'given_name'],
  [/^identifiers\.names\[0\]\.family$/, 'family_name'],
  [/^identifiers\.names\[0\]\.patronymic$/, 'patronymic'],
  [/^identifiers\.names\[0\]\.aliases\[(\d+)\]/, 'aliases'],
  [/^identifiers\.sex$/, 'sex'],
  [/^identifiers\.dateOfBirth/, 'date_of_birth'],
  [/^identifiers\.placeOfBirth\.country$/, 'birth_country'],
  [/^identifiers\.placeOfBirth\.locality$/, 'birth_place'],
  [/^identifiers\.nationalities\[(\d+)\]/, 'nationalities'],
  [/^identifiers\.documents\[(\d+)\]/, 'documents'],
  [/^identifiers\.phones\[(\d+)\]/, 'phones'],
  [/^identifiers\.emails\[(\d+)\]/, 'emails'],
  [/^identifiers\.handles\[(\d+)\]/, 'handles'],
  [/^identifiers\.fileSha256\[(\d+)\]/, 'file_sha256'],
];

/**
 * The CSV column a record field path came from ("phones, value 2" for
 * identifiers.phones[1].number), so a rejected CSV row names the column the
 * user wrote; the path itself when no column maps to it.
 */
export function csvColumnOf(field: string): string {
  for (const [re, column] of FIELD_COLUMNS) {
    const m = re.exec(field);
    if (m) return m[1] === undefined ? column : `${column}, value ${Number(m[1]) + 1}`;
  }
  return field;
}
