/**
 * Supplementary measurement "Hebrew names" of the matching evaluation: a
 * person recorded by one register in Hebrew script, unpointed as Israeli
 * records are written, and by another in Latin letters (protocol
 * 10-identifiers.md, 10.2 step 4, the Hebrew pre-rules). The main
 * population has no Hebrew origin group, so it cannot say whether such
 * pairs meet. Unpointed script does not mark whether ב כ פ after a word's
 * first letter are hard (b, k, p) or soft (v, kh, f), and the pool
 * (name-data-hebrew.ts) tags each name that has one by how it is
 * pronounced, so the figures show what a reading of them gains (Goldberg,
 * Kaplan, Shapira, Malka) and what it loses (Rivka, Mordechai, Avraham).
 *
 * Persons are recorded twice: in script and in Latin letters, in two Latin
 * spellings, or in script and Latin with one date an estimate; a register
 * of unrelated persons, half in script, counts the false pairs. Keys come
 * from the public identity API only, so the figures are those of whatever
 * rule is in place. Everything is drawn from random streams of its own, so
 * the main population and its figures are the same with or without this
 * measurement.
 */
import { decodeMatchKey, deriveMatchKeys, deriveQueryKeys, normaliseNameField, parseIdentifiers, phoneticCodes, strengthRank, type MatchKey, type MatchKeyStrength } from '../../src/core/identity/index.js';
import { MATCH_KEYS } from '../../src/core/constants.js';
import { KeyIndex } from './matching-eval.js';
import { HEBREW, type BkpSound, type HebrewName } from './name-data-hebrew.js';
import { exactDob, renderDob, Rng, seededRandom, type Dob } from './variants.js';

const STRENGTHS = MATCH_KEYS.strengths;
const RANK = Object.fromEntries(STRENGTHS.map((s) => [s, strengthRank(s)])) as Record<MatchKeyStrength, number>;

/** The same fixed clock as the main evaluation (matching-eval.ts). */
const EVAL_NOW = new Date('2026-06-01T00:00:00Z');

/** Seed offsets of this measurement's streams: the persons, and the register. */
const HEBREW_NAMES_STREAM = 0x68656272;
const HEBREW_REGISTER_STREAM = 0x68726567;

/** How a person's two records are written. */
export const HEBREW_NAME_KINDS = ['script-latin', 'latin-latin', 'script-latin-date'] as const;
export type HebrewNameKind = (typeof HEBREW_NAME_KINDS)[number];

/**
 * Shares of the persons by kind. Script against Latin is the question;
 * two Latin spellings show what the spellings alone allow; a date estimate
 * on top shows the possible keys, which take reading A only (10.5).
 */
const KIND_WEIGHTS: readonly { weight: number; value: HebrewNameKind }[] = [
  { weight: 0.6, value: 'script-latin' },
  { weight: 0.25, value: 'latin-latin' },
  { weight: 0.15, value: 'script-latin-date' },
];

/** Share of the persons with two given names (Yosef Haim, Sara Rivka). */
const TWO_GIVEN_SHARE = 0.15;

export const HEBREW_NAME_PERSONS = 2000;
export const HEBREW_REGISTER_RECORDS = 10_000;

interface HebrewPerson {
  id: number;
  sex: 'female' | 'male';
  given: readonly HebrewName[];
  family: HebrewName;
  dob: Dob;
}

/** How a record's date of birth is written: exact, or as the main population's dob-jan1-estimate and dob-age-assessed variants. */
type DateHow = 'exact' | 'jan1' | 'assessed';

export interface HebrewNameRecord {
  index: number;
  personId: number;
  /** 'source' for a person's first record (and a register's only one). */
  kind: HebrewNameKind | 'source';
  /** Written in Hebrew script; else in Latin letters. */
  script: boolean;
  /** The given names and then the family name, as drawn and as the record wrote them. */
  names: readonly { name: HebrewName; role: 'given' | 'family'; written: string }[];
  identifiers: Record<string, unknown>;
}

function newPerson(id: number, rng: Rng): HebrewPerson {
  const sex = rng.chance(0.5) ? 'female' : 'male';
  const pool = sex === 'male' ? HEBREW.male : HEBREW.female;
  const first = rng.pick(pool);
  const given = [first];
  if (rng.chance(TWO_GIVEN_SHARE)) {
    let second = rng.pick(pool);
    while (second.native === first.native) second = rng.pick(pool);
    given.push(second);
  }
  return { id, sex, given, family: rng.pick(HEBREW.family), dob: exactDob(rng) };
}

class Recorder {
  readonly records: HebrewNameRecord[] = [];

  /** One record of `p`, in script or with each name's Latin spelling drawn from its list. */
  add(p: HebrewPerson, kind: HebrewNameRecord['kind'], script: boolean, date: DateHow, rng: Rng): void {
    const names = [...p.given.map((name) => ({ name, role: 'given' as const })), { name: p.family, role: 'family' as const }].map((x) => ({
      ...x,
      written: script ? x.name.native : rng.pick(x.name.latin),
    }));
    this.records.push({
      index: this.records.length,
      personId: p.id,
      kind,
      script,
      names,
      identifiers: {
        names: [{ given: names.slice(0, -1).map((x) => x.written).join(' '), family: names[names.length - 1]!.written }],
        sex: rng.chance(0.9) ? p.sex : 'unknown',
        // Never undefined for these three renderings.
        dateOfBirth: renderDob(p.dob, date, rng)!,
        nationalities: [HEBREW.country],
      },
    });
  }
}

/**
 * The persons, each recorded twice by kind: which record is in script, and
 * which carries the date estimate, are drawn; two Latin records draw their
 * spellings independently (they may agree).
 */
export function generateHebrewNames(opts: { seed: number; persons: number }): HebrewNameRecord[] {
  const rng = new Rng(seededRandom(opts.seed ^ HEBREW_NAMES_STREAM));
  const out = new Recorder();
  for (let i = 0; i < opts.persons; i++) {
    const p = newPerson(i, rng);
    const kind = rng.weighted(KIND_WEIGHTS);
    if (kind === 'latin-latin') {
      out.add(p, 'source', false, 'exact', rng);
      out.add(p, kind, false, 'exact', rng);
      continue;
    }
    const scriptFirst = rng.chance(0.5);
    const date: DateHow = kind === 'script-latin-date' ? (rng.chance(0.5) ? 'jan1' : 'assessed') : 'exact';
    const dateFirst = rng.chance(0.5);
    out.add(p, 'source', scriptFirst, dateFirst ? date : 'exact', rng);
    out.add(p, kind, !scriptFirst, dateFirst ? 'exact' : date, rng);
  }
  return out.records;
}

/**
 * A register of `records` unrelated persons of the pool, one record each,
 * half in script and half in Latin letters, dates of birth exact and spread
 * as the main population's: every pair it matches is false, though some
 * are namesakes born the same day whom no key could tell apart.
 */
export function generateHebrewRegister(opts: { seed: number; records: number }): HebrewNameRecord[] {
  const rng = new Rng(seededRandom(opts.seed ^ HEBREW_REGISTER_STREAM));
  const out = new Recorder();
  for (let i = 0; i < opts.records; i++) out.add(newPerson(i, rng), 'source', rng.chance(0.5), 'exact', rng);
  return out.records;
}

// ---- scoring -----------------------------------------------------------------

interface Scored {
  /** Strongest key per matched pair (id min·n + max), as a strength rank. */
  best: Map<number, number>;
  stored: number[];
  asked: number[];
}

const parse = (ids: Record<string, unknown>) => parseIdentifiers(ids, { now: () => EVAL_NOW });

/** As evaluateMatching: each record's stored and query keys, and every pair where one's query meets the other's stored keys. */
function score(records: readonly HebrewNameRecord[]): Scored {
  const index = new KeyIndex();
  const stored: number[] = [];
  const asked: number[] = [];
  for (const r of records) {
    const ids = parse(r.identifiers);
    const s = deriveMatchKeys(ids);
    const q = deriveQueryKeys(ids);
    stored.push(s.length);
    asked.push(q.length);
    index.add(r.index, s, q);
  }
  const best = index.strongestPairs(records.length);
  return { best, stored, asked };
}

/** A stand-in family name for the year-key probe: a token no pool name codes alike. */
const ANCHOR = 'Zzyzx';
const ANCHOR_CODES: ReadonlySet<string> = new Set(phoneticCodes(ANCHOR.toLowerCase()));
const PROBE_DOB = { precision: 'day', date: '2000-06-15' };
const PROBE_ESTIMATE = { precision: 'estimated', date: '2000', plusMinusYears: 1 };
const utf8 = new TextDecoder();

/** How strictly two writings must code alike: as the probable keys compare them, or as the possible (year) keys do. */
type Level = 'probable' | 'possible';

const codeCache = new Map<string, readonly string[]>();
/**
 * The CPH1 codes a one-word name is keyed under, read off the keys the
 * identity API derives for it, so that every reading a rule gives it is
 * seen wherever the rule lives (a second reading of Hebrew letters is a
 * name form, not a token normaliseNameField returns). probable: the
 * single-name keys (0x24) of the name alone, every reading, no typo
 * variants; possible: the year keys (0x21) of the name beside a stand-in
 * family name, reading A only, as the possible keys take it (10.5).
 */
function keyedCodes(name: string, level: Level): readonly string[] {
  const id = `${level}\u0000${name}`;
  let out = codeCache.get(id);
  if (out !== undefined) return out;
  const codes = new Set<string>();
  if (level === 'probable') {
    for (const k of deriveMatchKeys(parse({ names: [{ given: name }], dateOfBirth: PROBE_DOB }))) {
      if (k.type === 'phoneticSingleDob') codes.add(utf8.decode(decodeMatchKey(k.encoded).fields[0]));
    }
  } else {
    for (const k of deriveMatchKeys(parse({ names: [{ given: name, family: ANCHOR }], dateOfBirth: PROBE_ESTIMATE }))) {
      if (k.type !== 'phoneticPairYear') continue;
      const [a, b] = decodeMatchKey(k.encoded).fields.slice(0, 2).map((f) => utf8.decode(f));
      codes.add(ANCHOR_CODES.has(a!) ? b! : a!);
    }
  }
  codeCache.set(id, (out = [...codes].sort()));
  return out;
}

const showCodes = (codes: readonly string[]) => codes.join('|') || '-';
/** Whether two writings of a one-word name share a code at `level`. */
const codesMeet = (a: string, b: string, level: Level) => keyedCodes(a, level).some((c) => keyedCodes(b, level).includes(c));

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
const dateOf = (r: HebrewNameRecord) => (r.identifiers['dateOfBirth'] as { date: string }).date;
/** Two records of distinct persons with the same first given name, family name and date of birth: look-alikes no key tells apart. */
const namesakes = (a: HebrewNameRecord, b: HebrewNameRecord) =>
  a.names[0]!.name === b.names[0]!.name && a.names[a.names.length - 1]!.name === b.names[b.names.length - 1]!.name && dateOf(a) === dateOf(b);

export interface HebrewKindFigures {
  pairs: number;
  recall: Record<MatchKeyStrength, number>;
}

/** A script form and a Latin spelling that code apart, in the script/Latin pairs a kind missed. */
export interface HebrewMissedName {
  /** The name in script and as the Latin record wrote it; a whole field where the two normalise to a different number of words. */
  native: string;
  latin: string;
  role: 'given' | 'family';
  /** The codes each is keyed under at the missed strength (keyedCodes); a whole field's normalised words. */
  scriptCodes: string;
  latinCodes: string;
  /** Missed pairs with this name written so. */
  pairs: number;
}

/** Script/Latin pairs of a kind missed at a strength, by the field whose two writings code apart there, and the names that do. */
export interface HebrewMissedPairs {
  pairs: number;
  /** neither: every name codes alike, and the keys still did not meet. */
  byField: { given: number; family: number; both: number; neither: number };
  /** Most missed pairs first. */
  names: HebrewMissedName[];
}

/** Listed Latin spellings (counted with their repeats, as drawn) and how many share a code with the script form at probable (keyedCodes). */
export interface SpellingFigures {
  /** Entries of the lists: a name that is a given and a family name (Malka, Avraham, Yosef) counts in both. */
  entries: number;
  spellings: number;
  meeting: number;
}

/** A name with ב כ פ after its first letter: spellings that code as its script form, given and family lists together. */
export interface BkpNameFigures {
  native: string;
  /** Its first (passport) spelling. */
  latin: string;
  sound: BkpSound;
  scriptCodes: string;
  spellings: number;
  meeting: number;
}

export interface HebrewFalsePairs {
  /** Pairs of distinct persons at possible or stronger, and of them at probable or stronger. */
  possible: number;
  probable: number;
  /** Of them, namesakes: same first given name, family name and date of birth. */
  namesakePossible: number;
  namesakeProbable: number;
  /** At probable, by how the two records are written: both in script, one each, both Latin. */
  probableBySides: { scriptScript: number; mixed: number; latinLatin: number };
}

export interface HebrewRegisterFigures {
  records: number;
  scriptRecords: number;
  /** Pairs of records with the same date of birth: the pairs a probable key could join. */
  sameDayPairs: number;
  /** Every pair it matches is false. */
  falsePairs: HebrewFalsePairs;
  /** Twice the false pairs over the records: the wrong hits one search meets, in proportion to the register's size. */
  falsePossiblePerRecord: number;
  falseProbablePerRecord: number;
  keysPerScriptRecord: number;
  keysPerLatinRecord: number;
}

export interface HebrewNameFigures {
  seed: number;
  /** Persons, each recorded twice. */
  persons: number;
  records: number;
  scriptRecords: number;
  /** Keys stored per record in script and per record in Latin letters, and keys asked by a search for one. */
  keysPerScriptRecord: number;
  keysPerLatinRecord: number;
  queryKeysPerRecord: number;
  byKind: Record<HebrewNameKind, HebrewKindFigures>;
  /** The script-latin pairs missed at probable, and the script-latin-date pairs missed at possible (whose keys get no typo variants). */
  missed: HebrewMissedPairs;
  missedWithDateEstimate: HebrewMissedPairs;
  /** Over the pool's lists, by how its ב כ פ after the first letter sound (other: names without one). */
  spellings: Record<BkpSound | 'other', SpellingFigures>;
  bkpNames: BkpNameFigures[];
  /** False pairs between the persons (namesakes by chance). */
  falsePairs: HebrewFalsePairs;
  falsePossiblePerRecord: number;
  register: HebrewRegisterFigures;
}

const fieldOf = (r: HebrewNameRecord, role: 'given' | 'family') => (r.identifiers['names'] as Record<'given' | 'family', string>[])[0]![role];

/**
 * Which names of each missed pair code apart in script and in Latin, at
 * the level of the keys the pair missed. A field whose two writings
 * normalise to a different number of words is listed whole: a name read
 * as a particle is dropped beside another name (לאה, "la" until it was
 * read "lea" whole), so the script record keys one name fewer.
 */
function missedNames(pairs: readonly (readonly [script: HebrewNameRecord, latin: HebrewNameRecord])[], level: Level): HebrewMissedPairs {
  const byField = { given: 0, family: 0, both: 0, neither: 0 };
  const byLabel = new Map<string, HebrewMissedName>();
  const note = (native: string, latin: string, role: HebrewMissedName['role'], shown: (s: string) => string) => {
    const label = `${role}\u0000${native}\u0000${latin}`;
    let m = byLabel.get(label);
    if (m === undefined) byLabel.set(label, (m = { native, latin, role, scriptCodes: shown(native), latinCodes: shown(latin), pairs: 0 }));
    m.pairs++;
  };
  const tokens = (s: string) => normaliseNameField(s).join(' ') || '-';
  const codes = (s: string) => showCodes(keyedCodes(s, level));
  for (const [script, latin] of pairs) {
    const broken = { given: false, family: false };
    for (const role of ['given', 'family'] as const) {
      const [sf, lf] = [fieldOf(script, role), fieldOf(latin, role)];
      if (normaliseNameField(sf).length !== normaliseNameField(lf).length) {
        broken[role] = true;
        note(sf, lf, role, tokens);
        continue;
      }
      for (const x of latin.names) {
        if (x.role !== role || codesMeet(x.name.native, x.written, level)) continue;
        broken[role] = true;
        note(x.name.native, x.written, role, codes);
      }
    }
    byField[broken.given && broken.family ? 'both' : broken.given ? 'given' : broken.family ? 'family' : 'neither']++;
  }
  const names = [...byLabel.values()].sort((a, b) => b.pairs - a.pairs || (a.latin < b.latin ? -1 : a.latin > b.latin ? 1 : 0));
  return { pairs: pairs.length, byField, names };
}

function countFalse(records: readonly HebrewNameRecord[], best: ReadonlyMap<number, number>): HebrewFalsePairs {
  const n = records.length;
  const f: HebrewFalsePairs = { possible: 0, probable: 0, namesakePossible: 0, namesakeProbable: 0, probableBySides: { scriptScript: 0, mixed: 0, latinLatin: 0 } };
  for (const [id, rank] of best) {
    const a = records[Math.floor(id / n)]!;
    const b = records[id % n]!;
    if (a.personId === b.personId) continue;
    const same = namesakes(a, b);
    f.possible++;
    if (same) f.namesakePossible++;
    if (rank < RANK.probable) continue;
    f.probable++;
    if (same) f.namesakeProbable++;
    f.probableBySides[a.script && b.script ? 'scriptScript' : a.script || b.script ? 'mixed' : 'latinLatin']++;
  }
  return f;
}

function keysPer(records: readonly HebrewNameRecord[], stored: readonly number[], script: boolean): number {
  const xs = records.filter((r) => r.script === script).map((r) => stored[r.index]!);
  return sum(xs) / Math.max(1, xs.length);
}

/** The pool's spellings against their script forms: the name-level reading, before persons and dates. */
function poolSpellings(): { spellings: HebrewNameFigures['spellings']; bkpNames: BkpNameFigures[] } {
  const spellings: HebrewNameFigures['spellings'] = {
    hard: { entries: 0, spellings: 0, meeting: 0 },
    soft: { entries: 0, spellings: 0, meeting: 0 },
    other: { entries: 0, spellings: 0, meeting: 0 },
  };
  const byNative = new Map<string, BkpNameFigures>();
  for (const x of [...HEBREW.male, ...HEBREW.female, ...HEBREW.family]) {
    const meeting = x.latin.filter((l) => codesMeet(x.native, l, 'probable')).length;
    const s = spellings[x.bkp ?? 'other'];
    s.entries++;
    s.spellings += x.latin.length;
    s.meeting += meeting;
    if (x.bkp === undefined) continue;
    const b = byNative.get(x.native);
    if (b === undefined) byNative.set(x.native, { native: x.native, latin: x.latin[0]!, sound: x.bkp, scriptCodes: showCodes(keyedCodes(x.native, 'probable')), spellings: x.latin.length, meeting });
    else {
      b.spellings += x.latin.length;
      b.meeting += meeting;
    }
  }
  const order = (a: BkpNameFigures, b: BkpNameFigures) => (a.sound !== b.sound ? (a.sound === 'hard' ? -1 : 1) : a.latin < b.latin ? -1 : a.latin > b.latin ? 1 : 0);
  return { spellings, bkpNames: [...byNative.values()].sort(order) };
}

/** The Hebrew-name measurement: `persons` (default HEBREW_NAME_PERSONS) and a register of `registerRecords` (default HEBREW_REGISTER_RECORDS). */
export function evaluateHebrewNames(opts: { seed?: number; persons?: number; registerRecords?: number } = {}): HebrewNameFigures {
  const seed = opts.seed ?? 20260601;
  const persons = opts.persons ?? HEBREW_NAME_PERSONS;
  const records = generateHebrewNames({ seed, persons });
  const { best, stored, asked } = score(records);
  const n = records.length;
  const pairId = (a: HebrewNameRecord, b: HebrewNameRecord) => Math.min(a.index, b.index) * n + Math.max(a.index, b.index);
  const at = (id: number, s: MatchKeyStrength) => (best.get(id) ?? -1) >= RANK[s];

  const byKind = {} as HebrewNameFigures['byKind'];
  for (const kind of HEBREW_NAME_KINDS) {
    const ids: number[] = [];
    for (const r of records) if (r.kind === kind) ids.push(pairId(records[r.index - 1]!, r));
    const recall = {} as Record<MatchKeyStrength, number>;
    for (const s of STRENGTHS) recall[s] = ratio(ids.filter((id) => at(id, s)).length, ids.length);
    byKind[kind] = { pairs: ids.length, recall };
  }

  const missedAt = (kind: 'script-latin' | 'script-latin-date', strength: MatchKeyStrength): HebrewMissedPairs => {
    const pairs: [HebrewNameRecord, HebrewNameRecord][] = [];
    for (const r of records) {
      const src = records[r.index - 1]!;
      if (r.kind === kind && !at(pairId(src, r), strength)) pairs.push(r.script ? [r, src] : [src, r]);
    }
    return missedNames(pairs, strength === 'possible' ? 'possible' : 'probable');
  };

  const falsePairs = countFalse(records, best);
  return {
    seed,
    persons,
    records: n,
    scriptRecords: records.filter((r) => r.script).length,
    keysPerScriptRecord: keysPer(records, stored, true),
    keysPerLatinRecord: keysPer(records, stored, false),
    queryKeysPerRecord: sum(asked) / Math.max(1, n),
    byKind,
    missed: missedAt('script-latin', 'probable'),
    missedWithDateEstimate: missedAt('script-latin-date', 'possible'),
    ...poolSpellings(),
    falsePairs,
    falsePossiblePerRecord: ratio(2 * falsePairs.possible, n),
    register: evaluateRegister(seed, opts.registerRecords ?? HEBREW_REGISTER_RECORDS),
  };
}

function evaluateRegister(seed: number, size: number): HebrewRegisterFigures {
  const records = generateHebrewRegister({ seed, records: size });
  const { best, stored } = score(records);
  const byDay = new Map<string, number>();
  for (const r of records) byDay.set(dateOf(r), (byDay.get(dateOf(r)) ?? 0) + 1);
  const falsePairs = countFalse(records, best);
  return {
    records: records.length,
    scriptRecords: records.filter((r) => r.script).length,
    sameDayPairs: [...byDay.values()].reduce((s, k) => s + (k * (k - 1)) / 2, 0),
    falsePairs,
    falsePossiblePerRecord: ratio(2 * falsePairs.possible, records.length),
    falseProbablePerRecord: ratio(2 * falsePairs.probable, records.length),
    keysPerScriptRecord: keysPer(records, stored, true),
    keysPerLatinRecord: keysPer(records, stored, false),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);

const KIND_NOTES: Record<HebrewNameKind, string> = {
  'script-latin': 'one record in unpointed Hebrew script, the other in a Latin spelling of the lists',
  'latin-latin': 'two Latin spellings drawn independently: what the spellings alone allow',
  'script-latin-date': 'script and Latin, one date 1 January of the estimated year ± 1 or an age assessment: possible keys (reading A) only',
};

/** Top missed names printed; the JSON holds them all. */
const MISSED_SHOWN = 15;

function missedLines(lines: string[], title: string, m: HebrewMissedPairs): void {
  lines.push(`${title}: ${m.pairs}; the field that codes apart in script and in Latin: given ${m.byField.given}, family ${m.byField.family}, both ${m.byField.both}, neither ${m.byField.neither}`);
  if (m.names.length === 0) return;
  lines.push(`  script / Latin (field)              script codes       Latin codes        missed pairs (top ${Math.min(MISSED_SHOWN, m.names.length)} of ${m.names.length})`);
  for (const x of m.names.slice(0, MISSED_SHOWN)) {
    lines.push(`  ${`${x.native} / ${x.latin} (${x.role})`.padEnd(34)}  ${x.scriptCodes.padEnd(17)}  ${x.latinCodes.padEnd(17)}  ${String(x.pairs).padStart(5)}`);
  }
}

/** The figures as a plain-text report, printed after the leading-name measurement. */
export function formatHebrewNames(f: HebrewNameFigures): string {
  const lines: string[] = [];
  lines.push('Hebrew names (supplementary: unpointed Hebrew script against Latin spellings, 10.2 step 4; own random streams, the figures above are unchanged)');
  lines.push(
    `seed ${f.seed}: ${f.persons} persons (Israeli given and family names, ${100 * TWO_GIVEN_SHARE}% with two given names), each recorded twice; ${f.records} records, ${f.scriptRecords} of them in Hebrew script`,
  );
  lines.push(`${f.keysPerScriptRecord.toFixed(2)} keys per record in script, ${f.keysPerLatinRecord.toFixed(2)} per record in Latin letters, ${f.queryKeysPerRecord.toFixed(2)} asked by a search for one`);
  lines.push('');
  lines.push('true pairs by kind      pairs  probable  possible');
  for (const k of HEBREW_NAME_KINDS) {
    const x = f.byKind[k];
    lines.push(`${k.padEnd(20)} ${String(x.pairs).padStart(8)}  ${pct(x.recall.probable).padStart(8)}  ${pct(x.recall.possible).padStart(8)}  ${KIND_NOTES[k]}`);
  }
  lines.push('');
  missedLines(lines, 'script-latin pairs missed at probable', f.missed);
  lines.push('');
  missedLines(lines, 'script-latin-date pairs missed at possible (year keys: reading A, no typo variants)', f.missedWithDateEstimate);
  lines.push('');
  lines.push('listed Latin spellings that code as the script form (repeats counted, as drawn)');
  const s = f.spellings;
  for (const [label, x] of [
    ['ב כ פ after the first letter, hard', s.hard],
    ['ב כ פ after the first letter, soft', s.soft],
    ['other names', s.other],
  ] as const) {
    lines.push(`  ${label.padEnd(36)} ${String(x.entries).padStart(3)} entries  ${String(x.meeting).padStart(4)} of ${String(x.spellings).padStart(4)}  ${pct(ratio(x.meeting, x.spellings))}`);
  }
  for (const sound of ['hard', 'soft'] as const) {
    const xs = f.bkpNames.filter((x) => x.sound === sound).map((x) => `${x.latin} ${x.meeting}/${x.spellings}`);
    lines.push(`  ${sound}: ${xs.join(', ')}`);
  }
  lines.push('');
  const fp = f.falsePairs;
  lines.push(
    `false pairs between the persons: ${fp.possible} (${fp.probable} at probable), namesakes born the same day ${fp.namesakePossible} (${fp.namesakeProbable}); ${f.falsePossiblePerRecord.toFixed(3)} false possible pairs per record, mostly through the year keys of the estimated dates`,
  );
  const r = f.register;
  const rp = r.falsePairs;
  lines.push(
    `register of ${r.records} unrelated records (${r.scriptRecords} in script, the rest Latin; dates as the main population's, exact): ${r.sameDayPairs} pairs born the same day; ${r.keysPerScriptRecord.toFixed(2)} keys per record in script, ${r.keysPerLatinRecord.toFixed(2)} in Latin`,
  );
  lines.push(
    `  false pairs ${rp.possible} (${rp.probable} at probable: script/script ${rp.probableBySides.scriptScript}, script/Latin ${rp.probableBySides.mixed}, Latin/Latin ${rp.probableBySides.latinLatin}), of them namesakes born the same day ${rp.namesakePossible} (${rp.namesakeProbable})`,
  );
  lines.push(
    `  ${r.falsePossiblePerRecord.toFixed(3)} false possible and ${r.falseProbablePerRecord.toFixed(3)} false probable pairs per record; per record in proportion to the register's size, pairs with its square`,
  );
  return lines.join('\n');
}
