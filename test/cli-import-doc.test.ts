/**
 * docs/import.md against the code: every CSV column, every allowed value
 * list and the example file are checked here, so the reference cannot drift
 * from the schemas. Reject reasons name CSV columns.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PURPOSES } from '../schemas/federation.js';
import { DOCUMENT_TYPES, SexSchema } from '../schemas/identifiers.js';
import { RECORD_CATEGORIES } from '../schemas/records.js';
import { PLATFORM_ALIASES } from '../src/core/identity/normalise-contact.js';
import { checkCsvHeader, csvColumnOf, csvRowToRecord, CSV_OPTIONAL, CSV_REQUIRED } from '../src/core/records/csv-record.js';
import { parseCsvRecord } from '../src/core/records/csv.js';
import { parseRecord } from '../src/core/records/parse.js';
import { ROOT } from './helpers/cli.js';

const doc = readFileSync(join(ROOT, 'docs/import.md'), 'utf8');
const ticks = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

/** The column table: column -> { required, allowed }. */
function columnTable(): Map<string, { required: boolean; allowed: string }> {
  const rows = new Map<string, { required: boolean; allowed: string }>();
  for (const line of doc.split('\n')) {
    const m = /^\| `([a-z_0-9]+)` \| (yes|no) \| (.+) \|$/.exec(line);
    if (m) rows.set(m[1]!, { required: m[2] === 'yes', allowed: m[3]! });
  }
  return rows;
}

/** The backticked values of the paragraph that starts with `lead`. */
function paragraph(lead: string): string {
  const start = doc.indexOf(lead);
  expect(start, `docs/import.md has a paragraph "${lead}"`).toBeGreaterThan(-1);
  return doc.slice(start, doc.indexOf('\n\n', start)).replace(/\n/g, ' ');
}

describe('docs/import.md', () => {
  it('lists exactly the columns the importer takes, with the right ones required', () => {
    const table = columnTable();
    expect([...table.keys()]).toEqual([...CSV_REQUIRED, ...CSV_OPTIONAL]);
    for (const c of CSV_REQUIRED) expect(table.get(c)!.required, c).toBe(true);
    for (const c of CSV_OPTIONAL) expect(table.get(c)!.required, c).toBe(false);
  });

  it('lists the allowed values of every enumerated column as the schemas define them', () => {
    const table = columnTable();
    expect(ticks(table.get('category')!.allowed)).toEqual([...RECORD_CATEGORIES]);
    expect(ticks(table.get('sex')!.allowed)).toEqual([...SexSchema.options]);
    expect(ticks(paragraph('Document types'))).toEqual(['documents', ...DOCUMENT_TYPES]);
    expect(ticks(paragraph('Purposes'))).toEqual(['cairn search --purpose', 'cairn peers policy --allow PURPOSE=…', ...PURPOSES]);
    const platforms = paragraph('Platforms');
    const aliases = [...platforms.matchAll(/`([^`]+)` → `([^`]+)`/g)].map((m) => [m[1], m[2]]);
    expect(Object.fromEntries(aliases)).toEqual(PLATFORM_ALIASES);
  });

  it('names the same agreed platforms as the protocol', () => {
    const protocol = readFileSync(join(ROOT, 'protocol/10-identifiers.md'), 'utf8');
    const agreed = (text: string) => {
      const flat = text.replace(/\s+/g, ' ');
      const m = /peers use (.+?)[;.] [A-Z]?/.exec(flat.slice(flat.indexOf('lower-case slug')));
      return ticks(m![1]!);
    };
    expect(agreed(doc)).toEqual(agreed(protocol));
  });

  it('has an example file that imports without a reject', () => {
    const csv = /```csv\n([\s\S]+?)```/.exec(doc)![1]!.trimEnd().split('\n');
    const header = parseCsvRecord(csv[0]!);
    if (!header.ok) throw new Error(header.reason);
    const h = checkCsvHeader(header.fields);
    if (!h.ok) throw new Error(h.reason);
    for (const line of csv.slice(1)) {
      const f = parseCsvRecord(line);
      if (!f.ok) throw new Error(f.reason);
      const rec = csvRowToRecord(h.columns, f.fields);
      if (!rec.ok) throw new Error(rec.reason);
      const parsed = parseRecord(rec.record, '2026-12-01');
      expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    }
  });
});

describe('reject reasons name CSV columns', () => {
  it('maps every record field to its column and value', () => {
    expect(csvColumnOf('retentionUntil')).toBe('retention_until');
    expect(csvColumnOf('owningUnit')).toBe('owning_unit');
    expect(csvColumnOf('identifiers.names[0].given')).toBe('given_name');
    expect(csvColumnOf('identifiers.names[0].aliases[2]')).toBe('aliases (value 3)');
    expect(csvColumnOf('identifiers.dateOfBirth.date')).toBe('date_of_birth');
    expect(csvColumnOf('identifiers.dateOfBirth')).toBe('date_of_birth');
    expect(csvColumnOf('identifiers.placeOfBirth.country')).toBe('birth_country');
    expect(csvColumnOf('identifiers.nationalities[1]')).toBe('nationalities (value 2)');
    expect(csvColumnOf('identifiers.documents[1].issuingCountry')).toBe('documents (value 2, CC)');
    expect(csvColumnOf('identifiers.documents[0].type')).toBe('documents (value 1, TYPE)');
    expect(csvColumnOf('identifiers.phones[0].number')).toBe('phones (value 1, NUMBER)');
    expect(csvColumnOf('identifiers.phones[0]')).toBe('phones (value 1)');
    expect(csvColumnOf('identifiers.handles[3].platform')).toBe('handles (value 4, PLATFORM)');
    expect(csvColumnOf('identifiers.fileSha256[0]')).toBe('file_sha256 (value 1)');
    expect(csvColumnOf('identifiers')).toBe('(row)');
  });

  it('names a column for every problem a bad row can have', () => {
    const cols = [...CSV_REQUIRED, 'given_name', 'family_name', 'sex', 'date_of_birth', 'nationalities', 'documents', 'handles'];
    const row = ['R-1', 'runaway', 'U', 'c@x.example', '2026-13-01', '2000-01-01', 'Ana', 'Pop', 'f', '2011~9', 'DE|de', 'passport:Germany:1', 'Telegram:x'];
    const rec = csvRowToRecord(cols, row);
    if (!rec.ok) throw new Error(rec.reason);
    const parsed = parseRecord(rec.record, '2026-12-01');
    if (parsed.ok) throw new Error('expected rejects');
    const columns = parsed.errors.map((e) => csvColumnOf(e.field));
    for (const c of columns) expect([...CSV_REQUIRED, ...CSV_OPTIONAL].some((k) => c === k || c.startsWith(`${k} (`)), `${c} names a column`).toBe(true);
    expect(columns).toEqual(expect.arrayContaining(['category', 'record_date']));
  });
});
