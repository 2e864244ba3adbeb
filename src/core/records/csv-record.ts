/**
 * The documented CSV layout of a record file (README "Import"), mapped onto
 * the same JSON record the HTTP API takes. Multi-valued cells separate
 * values with `|`; structured values separate their parts with `:`.
 */
import { IDENTIFIER_MESSAGES } from '../../../schemas/identifiers.js';
import { readCountryCode } from '../identity/countries.js';

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

/**
 * Turn a CSV row into the JSON record shape; validation happens afterwards.
 * A spreadsheet's author writes `Passport`, `Female` or `pl`: the case of
 * category, sex, document type, platform and country codes is folded to
 * the record's (docs/import.md). Names, numbers and handles keep theirs.
 */
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
  if (cell('sex').trim()) ids.sex = cell('sex').trim().toLowerCase();
  const dob = dateOfBirth(cell('date_of_birth'));
  if (dob !== undefined) ids.dateOfBirth = dob;
  if (cell('birth_country').trim() || cell('birth_place').trim()) {
    ids.placeOfBirth = {
      ...(cell('birth_country').trim() ? { country: readCountryCode(cell('birth_country')) } : {}),
      ...(cell('birth_place').trim() ? { locality: cell('birth_place').trim() } : {}),
    };
  }
  if (list(cell('nationalities')).length) ids.nationalities = list(cell('nationalities')).map(readCountryCode);
  if (list(cell('documents')).length) {
    ids.documents = list(cell('documents')).map((d) => {
      const [type, issuingCountry, number] = parts(d, 3);
      return { type: type?.toLowerCase(), issuingCountry: issuingCountry === undefined ? undefined : readCountryCode(issuingCountry), number };
    });
  }
  if (list(cell('phones')).length) {
    ids.phones = list(cell('phones')).map((p) => {
      const m = /^([A-Z]{2,3}):(.+)$/i.exec(p);
      return m ? { number: m[2], country: readCountryCode(m[1]!) } : { number: p };
    });
  }
  if (list(cell('emails')).length) ids.emails = list(cell('emails'));
  if (list(cell('handles')).length) {
    ids.handles = list(cell('handles')).map((h) => {
      const [platform, handle] = parts(h, 2);
      return { platform: platform?.toLowerCase(), handle };
    });
  }
  if (list(cell('file_sha256')).length) ids.fileSha256 = list(cell('file_sha256'));
  return {
    ok: true,
    record: {
      ref: cell('ref').trim(),
      category: cell('category').trim().toLowerCase(),
      owningUnit: cell('owning_unit'),
      contactPoint: cell('contact_point'),
      recordDate: cell('record_date').trim(),
      retentionUntil: cell('retention_until').trim(),
      identifiers: ids,
    },
  };
}

/** Record fields (as the JSON record names them) and the CSV column that fills each. */
const COLUMN_OF_FIELD: Record<string, string> = {
  ref: 'ref',
  category: 'category',
  owningUnit: 'owning_unit',
  contactPoint: 'contact_point',
  recordDate: 'record_date',
  retentionUntil: 'retention_until',
  'identifiers.names.given': 'given_name',
  'identifiers.names.family': 'family_name',
  'identifiers.names.patronymic': 'patronymic',
  'identifiers.names.aliases': 'aliases',
  'identifiers.sex': 'sex',
  'identifiers.dateOfBirth': 'date_of_birth',
  'identifiers.placeOfBirth.country': 'birth_country',
  'identifiers.placeOfBirth.locality': 'birth_place',
  'identifiers.nationalities': 'nationalities',
  'identifiers.documents': 'documents',
  'identifiers.phones': 'phones',
  'identifiers.emails': 'emails',
  'identifiers.handles': 'handles',
  'identifiers.fileSha256': 'file_sha256',
};

/** The parts of a structured cell value, as docs/import.md names them. */
const PART_OF_FIELD: Record<string, string> = {
  type: 'TYPE',
  issuingCountry: 'CC',
  number: 'NUMBER',
  platform: 'PLATFORM',
  handle: 'HANDLE',
  country: 'CC',
};

/** What the date_of_birth column accepts, for a value it cannot read (docs/import.md). */
export const CSV_DATE_OF_BIRTH_FORMATS =
  'expected YYYY-MM-DD, YYYY-MM, YYYY, YYYY~N (estimated ± N years) or unknown; not a date with slashes (05/01/2012 is the 5th of January or the 1st of May) or with a time';

/**
 * A reject reason as the CSV file's author reads it: the schema's "expected
 * YYYY-MM-DD" for an unreadable date of birth (the JSON record's `day`
 * precision) becomes every format the column takes, and a country code's
 * "(upper case)", which the CSV reader folds itself, becomes what the code
 * looks like. Other reasons stand.
 */
export function csvReasonOf(column: string, reason: string): string {
  if (column === 'date_of_birth' && reason === IDENTIFIER_MESSAGES.dayDate) return CSV_DATE_OF_BIRTH_FORMATS;
  if (reason === IDENTIFIER_MESSAGES.countryCode) return 'not an ISO 3166-1 country code: two letters such as PL, or three such as POL (not a name such as Poland)';
  return reason;
}

/**
 * Name a record field at fault (`identifiers.documents[1].issuingCountry`)
 * the way the CSV file's author knows it (`documents (value 2, CC)`), so a
 * reject reason points at a column and a `|`-separated value, never at an
 * internal field. A field no column fills is the whole row: `(row)`.
 */
export function csvColumnOf(field: string): string {
  const steps = field.split('.').flatMap((s) => {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(s);
    if (!m) return [{ name: s, index: undefined as number | undefined }];
    const idx = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [{ name: m[1]!, index: idx[0] }];
  });
  // The longest prefix of names that a column fills.
  for (let n = steps.length; n > 0; n--) {
    const key = steps.slice(0, n).map((s) => s.name).join('.');
    const column = COLUMN_OF_FIELD[key];
    if (column === undefined) continue;
    // names[0] is the one name entry a CSV row fills: its index says nothing to the author.
    const valued = steps.slice(0, n).filter((s) => s.name !== 'names');
    const index = valued.findLast((s) => s.index !== undefined)?.index;
    const part = n < steps.length && column !== 'date_of_birth' ? PART_OF_FIELD[steps[n]!.name] : undefined;
    const detail = [index !== undefined ? `value ${index + 1}` : undefined, part].filter((x) => x !== undefined);
    return detail.length ? `${column} (${detail.join(', ')})` : column;
  }
  return '(row)';
}
