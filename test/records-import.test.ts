/**
 * Importing records through the real CLI into a real SQLite file: rejects,
 * idempotence, updates, tokens-only storage, bad files, deletion, purge.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveMatchKeys } from '../src/core/identity/index.js';
import { deriveFingerprintKey, recordFingerprint } from '../src/core/records/importer.js';
import { parseRecord } from '../src/core/records/parse.js';
import { readKeyFile } from '../src/node/keyfile.js';
import { cairn, initNode, tempDir } from './helpers/cli.js';

const HEADER = 'ref,category,owning_unit,contact_point,record_date,retention_until,given_name,family_name,patronymic,aliases,sex,date_of_birth,nationalities,documents,phones,emails,handles';

function row(cells: Record<string, string>): string {
  const cols = HEADER.split(',');
  return cols.map((c) => {
    const v = cells[c] ?? '';
    return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  }).join(',');
}

const base = { category: 'missing_child', owning_unit: 'Unit 7', contact_point: 'desk7@police.example', record_date: '2025-03-01', retention_until: '2039-01-01' };
const RAW = {
  given: 'Zhaklina',
  family: 'Marinescu-Wojciechowska',
  passport: 'XK4471920',
  phone: '+40721555019',
  email: 'zhaklina.child@example.ro',
  handle: 'zhak_lina09',
};

function stats(home: string) {
  const r = cairn(['records', 'stats', '--home', home]);
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('cairn import', () => {
  let home: string;
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    const t = tempDir();
    cleanup = t.cleanup;
    dir = t.dir;
    home = join(dir, 'node');
    initNode(home, 'RO', 9);
  });
  afterAll(() => cleanup?.());

  it('stores valid rows, rejects bad ones with row, field and reason, and never writes raw identifiers', () => {
    const lines = [
      HEADER,
      row({ ...base, ref: 'RO-1', given_name: RAW.given, family_name: RAW.family, sex: 'female', date_of_birth: '2012-05-17', documents: `passport:RO:${RAW.passport}`, phones: RAW.phone, emails: RAW.email, handles: `instagram:${RAW.handle}` }),
      row({ ...base, ref: 'RO-2', given_name: 'Ion', family_name: 'Popa', date_of_birth: '2010-02-03', category: 'unaccompanied_minor' }),
      row({ ...base, ref: 'RO-3', given_name: 'Ana', family_name: 'Pop', date_of_birth: '2011', category: 'runaway' }),
      row({ ...base, ref: 'RO-4', given_name: 'Maria', family_name: 'Ene', date_of_birth: '2010-02-30' }),
      row({ ...base, ref: 'RO-5', given_name: 'Dan', family_name: 'Lupu', retention_until: '2001-01-01' }),
      row({ ...base, ref: 'RO-2', given_name: 'Ion', family_name: 'Popa', date_of_birth: '2010-02-03' }),
      row({ ...base, ref: 'RO-6', given_name: 'Elena', family_name: 'Stan', phones: '+40 12' }),
      'RO-7,missing_child,too,few',
    ];
    const file = join(dir, 'batch.csv');
    // Row 9 carries Latin-1 bytes (0xE9) in a UTF-8 file.
    writeFileSync(file, Buffer.concat([Buffer.from(lines.join('\n') + '\n'), Buffer.from('RO-8,missing_child,Unit,desk,2025-01-01,2039-01-01,Ren'), Buffer.from([0xe9]), Buffer.from(',Dupont,,,,,,,,,\n')]));
    const r = cairn(['import', file, '--home', home, '--threads', '1']);
    expect(r.stdout).toContain('imported 2, updated 0, unchanged 0, rejected 7');
    expect(r.status).toBe(3);
    const rejects = readFileSync(join(dir, 'batch.csv.rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const byRow = (n: number) => rejects.filter((x) => x.row === n);
    expect(byRow(4)[0]).toMatchObject({ ref: 'RO-3', field: 'category' });
    // Reject reasons name the CSV column (and the |-separated value), not the record's internal field.
    expect(byRow(5)[0]).toMatchObject({ ref: 'RO-4', field: 'date_of_birth' });
    expect(byRow(6)[0]).toMatchObject({ ref: 'RO-5', field: 'retention_until', reason: expect.stringContaining('past') });
    expect(byRow(7)[0]).toMatchObject({ ref: 'RO-2', field: 'ref', reason: expect.stringContaining('first at row 3') });
    expect(byRow(8)[0]).toMatchObject({ ref: 'RO-6', field: 'phones (value 1, NUMBER)' });
    expect(byRow(9)[0]!.reason).toMatch(/has 4 fields, the header has 17/);
    expect(byRow(10)[0]!.reason).toMatch(/not valid UTF-8/);
    const summary = JSON.parse(readFileSync(join(dir, 'batch.csv.summary.json'), 'utf8'));
    expect(summary).toMatchObject({ rows: 9, imported: 2, rejected: 7 });

    // The database, its WAL, the rejects and summary files hold no raw identifier.
    const files = ['node/cairn.db', 'node/cairn.db-wal', 'batch.csv.rejects.ndjson', 'batch.csv.summary.json'].map((f) => join(dir, f)).filter(existsSync);
    const needles = [RAW.given, RAW.family, RAW.passport, RAW.phone, RAW.phone.slice(1), RAW.email, RAW.handle, 'Popa', 'Zhaklina'.toLowerCase(), 'marinescu'];
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of needles) {
        expect(bytes.includes(Buffer.from(n, 'utf8')), `${n} in ${f}`).toBe(false);
        expect(bytes.includes(Buffer.from(n, 'utf16le')), `${n} (UTF-16) in ${f}`).toBe(false);
      }
    }
    const s = stats(home);
    expect(s.byCategory).toEqual({ missing_child: 1, unaccompanied_minor: 1 });
    expect(s.byMatchKeyType.document).toBe(1);
    expect(s.tokens).toBeGreaterThan(5);
  });

  it('is idempotent by reference and replaces an updated record\'s tokens atomically', () => {
    const file = join(dir, 'again.ndjson');
    const rec = (given: string) => ({ ref: 'RO-10', ...{ category: 'child_at_risk', owningUnit: 'Unit 9', contactPoint: 'desk9@police.example', recordDate: '2025-01-01', retentionUntil: '2035-01-01' }, identifiers: { names: [{ given, family: 'Vasilescu' }], dateOfBirth: { precision: 'day', date: '2013-09-09' } } });
    writeFileSync(file, `${JSON.stringify(rec('Irina'))}\n`);
    expect(cairn(['import', file, '--home', home, '--threads', '1']).stdout).toContain('imported 1, updated 0, unchanged 0, rejected 0');
    const db = () => new Database(join(home, 'cairn.db'), { readonly: true });
    const digests = () => {
      const d = db();
      const out = (d.prepare("select hex(tokens.fingerprint) || hex(tokens.confirm) h from tokens join records on records.id = tokens.record_id where ref = 'RO-10' order by h").all() as { h: string }[]).map((x) => x.h);
      d.close();
      return out;
    };
    const first = digests();
    expect(cairn(['import', file, '--home', home, '--threads', '1']).stdout).toContain('imported 0, updated 0, unchanged 1, rejected 0');
    expect(digests()).toEqual(first);
    writeFileSync(file, `${JSON.stringify(rec('Ilona'))}\n`);
    expect(cairn(['import', file, '--home', home, '--threads', '1']).stdout).toContain('imported 0, updated 1, unchanged 0, rejected 0');
    const second = digests();
    expect(second).toHaveLength(first.length);
    expect(second).not.toEqual(first);
    // Every import batch left one audit entry; nothing in them is a raw identifier.
    const d = db();
    const entries = d.prepare("select entry from audit_entries where type = 'records.import'").all() as { entry: string }[];
    d.close();
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(entries.map((e) => e.entry).join('\n')).not.toMatch(/Irina|Ilona|Vasilescu/i);
  });

  it('stores nothing again when a re-import changes nothing a node stores, and stores again a record whose keys the rules changed', () => {
    const file = join(dir, 'rules.ndjson');
    const meta = { category: 'missing_child', owningUnit: 'Unit 9', contactPoint: 'desk9@police.example', recordDate: '2025-01-01', retentionUntil: '2035-01-01' };
    const rec = (ref: string, given: string, family: string) => ({ ref, ...meta, identifiers: { names: [{ given, family }], dateOfBirth: { precision: 'day', date: '2014-02-11' } } });
    writeFileSync(file, `${[rec('RO-30', 'Mihaela', 'Dobre'), rec('RO-31', 'Sorin', 'Nistor')].map((r) => JSON.stringify(r)).join('\n')}\n`);
    expect(cairn(['import', file, '--home', home, '--threads', '1']).stdout).toContain('imported 2, updated 0, unchanged 0, rejected 0');
    // Written another way that normalises alike: the same keys, so the same stored record.
    writeFileSync(file, `${[rec('RO-30', 'MIHAELA ', 'Dobre'), rec('RO-31', 'Sorin', 'nistor')].map((r) => JSON.stringify(r)).join('\n')}\n`);
    expect(cairn(['import', file, '--home', home, '--threads', '1']).stdout).toContain('imported 0, updated 0, unchanged 2, rejected 0');

    // RO-30 as a node would hold it had it been stored under earlier rules
    // that gave one key fewer: that token missing, and the fingerprint of
    // the keys it was stored with.
    const fpKey = deriveFingerprintKey(readKeyFile(join(home, 'keys/oprf.key'), 'oprf'));
    const parsed = parseRecord(rec('RO-30', 'Mihaela', 'Dobre'), '2026-01-01');
    if (!parsed.ok) throw new Error('fixture does not parse');
    const keys = deriveMatchKeys(parsed.record.identifiers);
    const dropped = keys[keys.length - 1]!;
    const d = new Database(join(home, 'cairn.db'));
    const tokenCount = () => (d.prepare("select count(*) n from tokens join records on records.id = tokens.record_id where ref = 'RO-30'").get() as { n: number }).n;
    const full = tokenCount();
    expect(full).toBe(keys.length);
    d.prepare("delete from tokens where rowid = (select max(tokens.rowid) from tokens join records on records.id = tokens.record_id where ref = 'RO-30' and key_type = ?)").run(dropped.type);
    d.prepare("update records set fingerprint = ? where ref = 'RO-30'").run(Buffer.from(recordFingerprint(fpKey, parsed.record, keys.slice(0, -1))));
    expect(tokenCount()).toBe(full - 1);

    const r = cairn(['import', file, '--home', home, '--threads', '1']);
    expect(r.stdout).toContain('imported 0, updated 1, unchanged 1, rejected 0');
    expect(tokenCount()).toBe(full);
    d.close();
  });

  it('refuses a row whose identifiers give no match key, and keeps what a stored record had', () => {
    const file = join(dir, 'keyless.csv');
    writeFileSync(
      file,
      [
        HEADER,
        // A name with two words and a date: keys. Stored first, then offered again without its date.
        row({ ...base, ref: 'RO-20', given_name: 'Olena', family_name: 'Shevchenko', date_of_birth: '2013-04-12' }),
        // Valid, but no key: a single name with a 1 January placeholder, a name without a date of birth.
        row({ ...base, ref: 'RO-21', given_name: 'Olena', date_of_birth: '2013-01-01' }),
        row({ ...base, ref: 'RO-22', given_name: 'Olena', family_name: 'Shevchenko' }),
        // A single name with a phone: the phone is a key on its own.
        row({ ...base, ref: 'RO-23', given_name: 'Olena', phones: '+380501234567' }),
        // A family name the register did not know: one name, and with the 1 January placeholder no key.
        row({ ...base, ref: 'RO-24', given_name: 'Olena', family_name: 'LNU', date_of_birth: '2013-01-01' }),
        // With an exact date, a single name keys (0x24).
        row({ ...base, ref: 'RO-25', given_name: 'Olena', family_name: 'Unknown', date_of_birth: '2013-04-12' }),
      ].join('\n') + '\n',
    );
    const r = cairn(['import', file, '--home', home, '--threads', '1']);
    expect(r.stdout).toContain('imported 3, updated 0, unchanged 0, rejected 3');
    expect(r.status).toBe(3);
    const rejects = readFileSync(`${file}.rejects.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((x) => [x.row, x.ref, x.field])).toEqual([
      [3, 'RO-21', '(row)'],
      [4, 'RO-22', '(row)'],
      [6, 'RO-24', '(row)'],
    ]);
    expect(rejects[0].reason).toMatch(/^give no match key, so no peer could ever find this record: a name needs two or more words .* and a date of birth/);
    expect(rejects[0].reason).not.toContain('placeholder for an unknown name');
    expect(rejects[2].reason).toMatch(/; the family name is a placeholder for an unknown name \(such as FNU, LNU, Unknown or NN\): no name to match on$/);
    expect(readFileSync(`${file}.rejects.ndjson`, 'utf8')).not.toContain('Olena');

    const db = new Database(join(home, 'cairn.db'), { readonly: true });
    const tokensOf = (ref: string) => (db.prepare('select count(*) n from tokens join records on records.id = tokens.record_id where ref = ?').get(ref) as { n: number }).n;
    const held = tokensOf('RO-20');
    expect(held).toBeGreaterThan(0);
    expect(db.prepare("select count(*) n from records where ref in ('RO-21', 'RO-22', 'RO-24')").get()).toEqual({ n: 0 });
    expect(tokensOf('RO-25')).toBeGreaterThan(0);
    // The same reference offered again without a date of birth: refused, and the stored record keeps its tokens.
    writeFileSync(file, `${HEADER}\n${row({ ...base, ref: 'RO-20', given_name: 'Olena', family_name: 'Shevchenko' })}\n`);
    const again = cairn(['import', file, '--home', home, '--threads', '1']);
    expect(again.stdout).toContain('imported 0, updated 0, unchanged 0, rejected 1');
    expect(again.status).toBe(1);
    expect(tokensOf('RO-20')).toBe(held);
    db.close();
  });

  it('reads CSV saved with semicolons or tabs, as spreadsheets do where the decimal mark is a comma', () => {
    const cells = (ref: string, sep: string) =>
      [ref, 'missing_child', sep === ';' ? '"Unit 7; desk, north"' : 'Unit 7, north', 'desk7@police.example', '2025-03-01', '2039-01-01', 'Olena', 'Shevchenko', '2013-04-12', 'UA|PL'].join(sep);
    const columns = ['ref', 'category', 'owning_unit', 'contact_point', 'record_date', 'retention_until', 'given_name', 'family_name', 'date_of_birth', 'nationalities'];
    const before = stats(home).records;
    for (const [sep, name] of [[';', 'semicolons.csv'], ['\t', 'tabs.csv']] as const) {
      const file = join(dir, name);
      // A BOM and CRLF line ends, as a spreadsheet writes them.
      writeFileSync(file, `\ufeff${columns.join(sep)}\r\n${cells(`RO-SEP-${name.length}`, sep)}\r\n${cells('RO-SEP-X', sep).replace('2013-04-12', '2013-02-30')}\r\n`);
      const r = cairn(['import', file, '--home', home, '--threads', '1']);
      expect(r.stdout, r.stderr).toContain('imported 1, updated 0, unchanged 0, rejected 1');
      // The bad row is named by its column, so the fields were split where the file's separator is.
      expect(JSON.parse(readFileSync(`${file}.rejects.ndjson`, 'utf8').trim())).toMatchObject({ row: 3, ref: 'RO-SEP-X', field: 'date_of_birth' });
    }
    expect(stats(home).records).toBe(before + 2);
    // A header that no separator makes valid is refused as before, naming what is wrong with it.
    const bad = join(dir, 'bad-semicolons.csv');
    writeFileSync(bad, `${columns.join(';').replace('family_name', 'surname')}\n${cells('RO-SEP-Y', ';')}\n`);
    const r = cairn(['import', bad, '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/header row: unknown column\(s\) /);
  });

  it('refuses empty files, unknown or missing columns, and non-JSON lines with clear messages', () => {
    const before = stats(home);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const e = cairn(['import', empty, '--home', home]);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain('is empty');
    const extra = join(dir, 'extra.csv');
    writeFileSync(extra, `${HEADER},shoe_size\n`);
    expect(cairn(['import', extra, '--home', home]).stderr).toContain('unknown column(s) "shoe_size"');
    const missing = join(dir, 'missing.csv');
    writeFileSync(missing, 'ref,category,given_name\nX,suspect,Y\n');
    expect(cairn(['import', missing, '--home', home]).stderr).toContain('missing required column(s) owning_unit, contact_point, record_date, retention_until');
    const nd = join(dir, 'mixed.ndjson');
    writeFileSync(nd, '{"ref": "RO-20", oops}\n');
    const n = cairn(['import', nd, '--home', home, '--threads', '1']);
    // Its only row is rejected: nothing was imported, which is a failure (1), not "some rejected" (3).
    expect(n.status).toBe(1);
    expect(n.stderr).toContain('every row of');
    expect(readFileSync(`${nd}.rejects.ndjson`, 'utf8')).toMatch(/"row":1,"field":"\(row\)","reason":"not JSON: malformed JSON at position 17 \(line 1, column 18\): expected a property name in double quotes/);
    expect(stats(home)).toEqual(before);
  });

  it('stops on a file of garbage without touching what is stored', () => {
    const before = stats(home);
    const file = join(dir, 'garbage.ndjson');
    const rnd = Buffer.alloc(8 * 1024 * 1024);
    // Any byte but NUL (a file with one is refused whole, as not text: the next test).
    for (let i = 0; i < rnd.length; i++) rnd[i] = 1 + (((i * 2654435761) >>> 24) % 255);
    writeFileSync(file, rnd);
    const r = cairn(['import', file, '--home', home, '--max-rejects', '100', '--threads', '1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stopped after more than 100 rejected rows');
    expect(stats(home)).toEqual(before);
  });

  it('says which date forms a column takes when a spreadsheet wrote a date its own way, once per field', () => {
    const file = join(dir, 'dates.csv');
    const named = { given_name: 'Anna', family_name: 'Nowak' };
    writeFileSync(
      file,
      [
        HEADER,
        row({ ...base, ...named, ref: 'RO-50', date_of_birth: '05/01/2012' }),
        row({ ...base, ...named, ref: 'RO-51', date_of_birth: '2012-01-05 00:00:00' }),
        row({ ...base, ...named, ref: 'RO-52', date_of_birth: '2012-01-05', record_date: '1/1/2025' }),
      ].join('\n'),
    );
    expect(cairn(['import', file, '--home', home]).status).toBe(1);
    const rejects = readFileSync(`${file}.rejects.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects).toEqual([
      { row: 2, ref: 'RO-50', field: 'date_of_birth', reason: expect.stringMatching(/^expected YYYY-MM-DD, YYYY-MM, YYYY, YYYY~N \(estimated ± N years\) or unknown; not a date with slashes/) },
      { row: 3, ref: 'RO-51', field: 'date_of_birth', reason: rejects[0].reason },
      { row: 4, ref: 'RO-52', field: 'record_date', reason: 'must be a date as YYYY-MM-DD' },
    ]);
  });

  it('reads categories, sex, document types, platforms and country codes in any case, keyed as written canonically', () => {
    const file = join(dir, 'case.csv');
    const person = { given_name: 'Oksana', family_name: 'Melnyk', date_of_birth: '2011-08-14', phones: 'UA:0671234567' };
    writeFileSync(
      file,
      [
        HEADER,
        row({ ...base, ...person, ref: 'RO-60', category: 'missing_child', sex: 'female', nationalities: 'UA', documents: 'passport:UA:FE123456', handles: 'instagram:oksana_m' }),
        row({ ...base, ...person, ref: 'RO-61', category: 'Missing_Child', sex: 'Female', nationalities: 'ua', documents: 'Passport:ua:FE123456', handles: 'Instagram:oksana_m', phones: 'ua:0671234567' }),
        // Three letters, as travel documents and border systems write them: ISO alpha-3.
        row({ ...base, ...person, ref: 'RO-63', category: 'missing_child', sex: 'female', nationalities: 'UKR', documents: 'passport:ukr:FE123456', handles: 'instagram:oksana_m', phones: 'Ukr:0671234567' }),
      ].join('\n'),
    );
    expect(cairn(['import', file, '--home', home]).stdout).toContain('imported 3, updated 0, unchanged 0, rejected 0');
    const d = new Database(join(home, 'cairn.db'), { readonly: true });
    const tokens = (ref: string) =>
      (d.prepare('select hex(tokens.fingerprint) h from tokens join records on records.id = tokens.record_id where ref = ? order by h').all(ref) as { h: string }[]).map((x) => x.h);
    try {
      expect(tokens('RO-60').length).toBeGreaterThan(3);
      expect(tokens('RO-61')).toEqual(tokens('RO-60'));
      expect(tokens('RO-63')).toEqual(tokens('RO-60'));
    } finally {
      d.close();
    }
    // ICAO's D (Germany, as German passports write it) is read as DE; a country's name or ICAO's XXA (stateless) is refused, saying what a code looks like.
    const icao = join(dir, 'icao.csv');
    writeFileSync(
      icao,
      [
        HEADER,
        row({ ...base, given_name: 'Jonas', family_name: 'Becker', date_of_birth: '2010-02-03', ref: 'RO-64', documents: 'passport:DE:C01X00T47' }),
        row({ ...base, given_name: 'Jonas', family_name: 'Becker', date_of_birth: '2010-02-03', ref: 'RO-65', documents: 'passport:D:C01X00T47' }),
        row({ ...base, ...person, ref: 'RO-66', nationalities: 'Ukraine' }),
        row({ ...base, ...person, ref: 'RO-67', documents: 'passport:XXA:FE123456' }),
      ].join('\n'),
    );
    expect(cairn(['import', icao, '--home', home]).status).toBe(3);
    const rejected = readFileSync(`${icao}.rejects.ndjson`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const reason = 'not an ISO 3166-1 country code: two letters such as PL, or three such as POL (not a name such as Poland)';
    expect(rejected).toEqual([
      { row: 4, ref: 'RO-66', field: 'nationalities (value 1)', reason },
      { row: 5, ref: 'RO-67', field: 'documents (value 1, CC)', reason },
    ]);
    const d2 = new Database(join(home, 'cairn.db'), { readonly: true });
    try {
      const documentTokens = (ref: string) =>
        (d2.prepare("select hex(tokens.fingerprint) h from tokens join records on records.id = tokens.record_id where ref = ? and key_type = 'document' order by h").all(ref) as { h: string }[]).map((x) => x.h);
      expect(documentTokens('RO-64')).toHaveLength(1);
      expect(documentTokens('RO-65')).toEqual(documentTokens('RO-64'));
    } finally {
      d2.close();
    }
  });

  it('refuses a UTF-16 file whole, naming the encoding, and rejects a legacy-encoded line naming its byte', () => {
    const before = stats(home);
    const csv = `${HEADER}\n${row({ ...base, ref: 'RO-40', given_name: 'Jörg', family_name: 'Müller', date_of_birth: '2012-01-01' })}\n`;
    // Excel's "Unicode text" and PowerShell 5's Out-File: UTF-16 little-endian with a byte-order mark.
    const le = join(dir, 'utf16.csv');
    writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(csv, 'utf16le')]));
    const r = cairn(['import', le, '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('utf16.csv is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8: save it as UTF-8');
    // Without a mark: its NUL bytes give it away, in NDJSON as in CSV.
    const nd = join(dir, 'utf16.ndjson');
    writeFileSync(nd, Buffer.from(`{"ref":"RO-41"}\n`, 'utf16le'));
    expect(cairn(['import', nd, '--home', home]).stderr).toContain('utf16.ndjson holds a NUL byte at offset 1: it is UTF-16 text or not text at all');
    for (const f of [le, nd]) expect(existsSync(`${f}.rejects.ndjson`)).toBe(false);
    // Windows-1252 (Excel's plain CSV): a header in it is refused whole; a row in it is one rejected row, naming the byte.
    const head = join(dir, 'cp1252-header.csv');
    writeFileSync(head, Buffer.concat([Buffer.from(HEADER.replace('sex', 's\u00e9x'), 'latin1'), Buffer.from('\n')]));
    expect(cairn(['import', head, '--home', home]).stderr).toContain('header row (line 1): not valid UTF-8 (byte 0xE9 at column');
    const body = join(dir, 'cp1252.csv');
    writeFileSync(body, Buffer.from(csv, 'latin1'));
    expect(cairn(['import', body, '--home', home]).status).toBe(1);
    expect(readFileSync(`${body}.rejects.ndjson`, 'utf8')).toContain('"row":2,"field":"(row)","reason":"not valid UTF-8 (byte 0xF6 at column');
    expect(stats(home)).toEqual(before);
  });

  it('deletes a record with its tokens, and purges records past retention at start-up', () => {
    const s0 = stats(home);
    const del = cairn(['records', 'delete', 'RO-2', '--home', home, '--reason', 'court order 12/2026']);
    expect(del.status, del.stderr).toBe(0);
    const s1 = stats(home);
    expect(s1.records).toBe(s0.records - 1);
    expect(cairn(['records', 'delete', 'RO-2', '--home', home]).stderr).toContain('no record with reference "RO-2"');
    // Time passes: the stored retention date of RO-1 is now behind us.
    const d = new Database(join(home, 'cairn.db'));
    d.prepare("update records set retention_until = '2020-01-01' where ref = 'RO-1'").run();
    d.close();
    expect(cairn(['records', 'purge', '--home', home]).stdout).toContain('purged 1 records');
    const s2 = stats(home);
    expect(s2.records).toBe(s1.records - 1);
    const a = new Database(join(home, 'cairn.db'), { readonly: true });
    const types = (a.prepare('select type from audit_entries order by idx').all() as { type: string }[]).map((x) => x.type);
    const orphans = a.prepare('select count(*) n from tokens where record_id not in (select id from records)').get() as { n: number };
    a.close();
    expect(types).toContain('records.delete');
    expect(types).toContain('records.purge');
    expect(orphans.n).toBe(0);
  });
});
