/**
 * Supplementary measurement "single names" of the matching evaluation: the
 * key 0x24 phoneticSingleDob (protocol/10-identifiers.md, 10.5), which the
 * main population cannot measure because it holds almost no record of one
 * name. Persons whom two registers knew by their given name only (the other
 * name left out or a placeholder: LNU, Unknown, FNU, NN, XXX, "unknown" in
 * the origin's language), each register writing it by its own habit; their
 * look-alikes (namesakes born the same day, recorded by one name or in
 * full); and a register of unrelated single names of the origins with the
 * fewest given names, whose false pairs are the key's real cost.
 *
 * Keys are derived as the main evaluation derives them, and a pair matches
 * when one's query keys meet the other's stored keys. Everything is drawn
 * from random streams of its own, so the main population and its figures
 * are the same with or without this measurement.
 */
import { deriveMatchKeys, deriveQueryKeys, normaliseNameField, parseIdentifiers, strengthRank, type MatchKey, type MatchKeyStrength } from '../../src/core/identity/index.js';
import { MATCH_KEYS } from '../../src/core/constants.js';
import { toHex } from '../../src/core/bytes.js';
import { ORIGINS, type Origin, type OriginPool, type SpelledName } from './name-data.js';
import { exactDob, habitsOf, otherWriting, Rng, seededRandom, typo, write, writingsOf, type Dob, type Writing } from './variants.js';

const STRENGTHS = MATCH_KEYS.strengths;
const RANK = Object.fromEntries(STRENGTHS.map((s) => [s, strengthRank(s)])) as Record<MatchKeyStrength, number>;

/** The same fixed clock as the main evaluation (matching-eval.ts). */
const EVAL_NOW = new Date('2026-06-01T00:00:00Z');

/** Seed offsets of this measurement's streams: the persons and their look-alikes, and the register. */
const SINGLE_NAMES_STREAM = 0x736e676c;
const REGISTER_STREAM = 0x72656773;

/** What differs between a single-name person's two records. */
export const SINGLE_NAME_KINDS = ['other-writing', 'placeholder', 'translated', 'typo', 'jan1'] as const;
export type SingleNameKind = (typeof SINGLE_NAME_KINDS)[number];

/**
 * Shares of the persons by kind. 'placeholder' is a word of
 * STANDARD_PLACEHOLDERS, 'translated' "unknown" in the origin's language
 * (UNKNOWN_WORD; origins without one get 'placeholder'). Typo and
 * 1 January are expected not to match (0x24 has no typo variants and keys
 * exact dates only); they are there to show it, so they need fewer persons.
 */
const KIND_WEIGHTS: readonly { weight: number; value: SingleNameKind }[] = [
  { weight: 0.3, value: 'other-writing' },
  { weight: 0.3, value: 'placeholder' },
  { weight: 0.15, value: 'translated' },
  { weight: 0.125, value: 'typo' },
  { weight: 0.125, value: 'jan1' },
];

/** How a record says the other name was not known; 'FNU' puts FNU in the given field and the name in the family field. */
export const PLACEHOLDER_FORMS = ['LNU', 'Unknown', 'FNU', 'NN', 'N.N.', 'XXX', 'translated'] as const;
export type PlaceholderForm = (typeof PLACEHOLDER_FORMS)[number];
/** The placeholders registers write whatever the person's origin. */
const STANDARD_PLACEHOLDERS = PLACEHOLDER_FORMS.filter((f) => f !== 'translated');

const n = (native: string, ...latin: string[]): SpelledName => ({ native, latin });

/**
 * "Unknown" in the origin's language, [masculine, feminine] where it
 * inflects, written by the record's habit like a name: Cyrillic and Greek
 * by the romanisation habits, the listed origins by one of their Latin
 * spellings. Somali, Kurdish and Nigerian registers get none here: their
 * records are drawn another placeholder.
 */
const UNKNOWN_WORD: Partial<Record<Origin, readonly [SpelledName, SpelledName]>> = {
  arabic: [n('مجهول', 'Majhul', 'Majhool', 'Majhoul'), n('مجهولة', 'Majhula', 'Majhoola', 'Majhoula')],
  'egypt-sudan': [n('مجهول', 'Maghool', 'Majhool', 'Maghul'), n('مجهولة', 'Maghoola', 'Majhoola', 'Maghula')],
  maghreb: [n('مجهول', 'Inconnu', 'Majhoul'), n('مجهولة', 'Inconnue', 'Majhoula')],
  afghan: [n('نامعلوم', 'Namalum', 'Namaloom', 'Namaalum'), n('نامعلوم', 'Namalum', 'Namaloom', 'Namaalum')],
  'south-asian': [n('نامعلوم', 'Namaloom', 'Namalum'), n('نامعلوم', 'Namaloom', 'Namalum')],
  geez: [n('ያልታወቀ', 'Yaltaweke', "Yaltawek'e"), n('ያልታወቀች', 'Yaltawekech', "Yaltawek'ech")],
  'west-africa': [n('Inconnu', 'Inconnu'), n('Inconnue', 'Inconnue')],
  albanian: [n('I panjohur', 'I panjohur', 'Panjohur'), n('E panjohur', 'E panjohur', 'Panjohur')],
  vietnamese: [n('Không rõ'), n('Không rõ')],
  russian: [n('Неизвестный'), n('Неизвестная')],
  ukrainian: [n('Невідомий'), n('Невідома')],
  greek: [n('Άγνωστος'), n('Άγνωστη')],
  bcs: [n('Nepoznat'), n('Nepoznata')],
  polish: [n('Nieznany'), n('Nieznana')],
  romanian: [n('Necunoscut'), n('Necunoscută')],
  turkish: [n('Bilinmiyor'), n('Bilinmiyor')],
  spanish: [n('Desconocido'), n('Desconocida')],
};

/** Shares of the single-name persons given a namesake born the same day, recorded by one name and in full. */
const NAMESAKE_SHARE = 0.15;
const FULL_NAMESAKE_SHARE = 0.15;

/** Origins of the register: large caseloads with few distinct given names (25 to 32 in the pools), so many namesakes. */
export const REGISTER_ORIGINS: readonly Origin[] = ['afghan', 'somali', 'arabic'];
export const SINGLE_NAME_PERSONS = 2000;
export const REGISTER_RECORDS = 20_000;

export interface SingleNameRecord {
  index: number;
  personId: number;
  origin: Origin;
  /** 'source' for a person's first record; 'full-name' for a namesake recorded with a family name. */
  kind: SingleNameKind | 'source' | 'full-name';
  /** Set on look-alikes: the person they resemble. */
  namesakeOf?: number;
  /** The placeholder the record holds, if any, and how it was written. */
  placeholder?: { form: PlaceholderForm; written: string };
  identifiers: Record<string, unknown>;
  /** The same identifiers with the placeholder left out: a dropped placeholder gives the same keys. */
  bare?: Record<string, unknown>;
}

interface SinglePerson {
  id: number;
  pool: OriginPool;
  sex: 'female' | 'male';
  given: SpelledName;
  dob: Dob;
}

const pad = (x: number) => String(x).padStart(2, '0');


const oneNameCache = new Map<readonly SpelledName[], readonly SpelledName[]>();

/**
 * The given names of a pool that are one name in every spelling: a
 * Vietnamese compound given name (Minh Tuấn) alone is two tokens, a pair
 * that keys as two names do (10.4) and that the main population measures.
 */
function oneTokenNames(names: readonly SpelledName[]): readonly SpelledName[] {
  let out = oneNameCache.get(names);
  if (out === undefined) oneNameCache.set(names, (out = names.filter((x) => [x.native, ...x.latin].every((s) => normaliseNameField(s).length === 1))));
  return out;
}

function newPerson(id: number, rng: Rng, pools: readonly { pool: OriginPool; weight: number }[]): SinglePerson {
  const pool = rng.weighted(pools.map((o) => ({ weight: o.weight, value: o.pool })));
  const sex = rng.chance(0.5) ? 'female' : 'male';
  return { id, pool, sex, given: rng.pick(oneTokenNames(sex === 'male' ? pool.male : pool.female)), dob: exactDob(rng) };
}

/** A Latin writing of the pool: typos are typed, so they land in one (as in the main population). */
function latinWriting(pool: OriginPool, w: Writing): Writing {
  return w.kind === 'native' ? { kind: 'habit', id: Object.keys(habitsOf(pool.origin) ?? { listed: 0 })[0]! } : w;
}

/** A placeholder of any form (only a standard one if `standard`), "unknown" translated only where the origin has a word. */
function drawForm(p: SinglePerson, rng: Rng, standard = false): PlaceholderForm {
  for (;;) {
    const f = rng.pick(standard ? STANDARD_PLACEHOLDERS : PLACEHOLDER_FORMS);
    if (f !== 'translated' || UNKNOWN_WORD[p.pool.origin] !== undefined) return f;
  }
}

/** The name entry of a record holding `name` and, for the other name, nothing or `form`. */
function nameEntry(p: SinglePerson, name: string, form: PlaceholderForm | undefined, w: Writing, rng: Rng): { entry: Record<string, string>; written?: string } {
  switch (form) {
    case undefined:
      return { entry: { given: name } };
    case 'FNU':
      return { entry: { given: 'FNU', family: name }, written: 'FNU' };
    case 'translated': {
      const word = write(UNKNOWN_WORD[p.pool.origin]![p.sex === 'male' ? 0 : 1], p.pool, w, rng);
      return { entry: { given: name, family: word }, written: word };
    }
    default:
      return { entry: { given: name, family: form }, written: form };
  }
}

function dateOf(p: SinglePerson, jan1: boolean): Record<string, unknown> {
  return { precision: 'day', date: jan1 ? `${p.dob.y}-01-01` : `${p.dob.y}-${pad(p.dob.m)}-${pad(p.dob.d)}` };
}

class Recorder {
  readonly records: SingleNameRecord[] = [];

  add(
    p: SinglePerson,
    kind: SingleNameRecord['kind'],
    names: { entry: Record<string, string>; written?: string; form?: PlaceholderForm; bare: string },
    jan1: boolean,
    rng: Rng,
    namesakeOf?: number,
  ): void {
    const rest = { sex: rng.chance(0.9) ? p.sex : 'unknown', dateOfBirth: dateOf(p, jan1), nationalities: [p.pool.country] };
    this.records.push({
      index: this.records.length,
      personId: p.id,
      origin: p.pool.origin,
      kind,
      ...(namesakeOf !== undefined ? { namesakeOf } : {}),
      ...(names.form !== undefined ? { placeholder: { form: names.form, written: names.written! }, bare: { names: [{ given: names.bare }], ...rest } } : {}),
      identifiers: { names: [names.entry], ...rest },
    });
  }

  /** One record of `p` by one name, written `w`, with `form` for the other name (undefined: left out). */
  single(p: SinglePerson, kind: SingleNameRecord['kind'], w: Writing, form: PlaceholderForm | undefined, rng: Rng, o: { jan1?: boolean; name?: string; namesakeOf?: number } = {}): string {
    const name = o.name ?? write(p.given, p.pool, w, rng);
    const { entry, written } = nameEntry(p, name, form, w, rng);
    this.add(p, kind, { entry, ...(form !== undefined ? { form, written } : {}), bare: name }, o.jan1 === true, rng, o.namesakeOf);
    return name;
  }
}

/**
 * The single-name persons (origins by weight) and their look-alikes: each
 * person recorded twice, by one name, the second record differing by its
 * kind; some with a namesake born the same day recorded by one name, some
 * with one recorded in full.
 */
export function generateSingleNames(opts: { seed: number; persons: number }): SingleNameRecord[] {
  const rng = new Rng(seededRandom(opts.seed ^ SINGLE_NAMES_STREAM));
  const out = new Recorder();
  let nextId = 0;
  for (let i = 0; i < opts.persons; i++) {
    const p = newPerson(nextId++, rng, ORIGINS);
    const drawn = rng.weighted(KIND_WEIGHTS);
    const kind = drawn === 'translated' && UNKNOWN_WORD[p.pool.origin] === undefined ? 'placeholder' : drawn;
    const jan1 = kind === 'jan1';
    const w1 = kind === 'typo' ? latinWriting(p.pool, rng.pick(writingsOf(p.pool))) : rng.pick(writingsOf(p.pool));
    // The first record of a placeholder pair holds a standard one or none, so the second's form alone decides the kind.
    const srcForm = (kind === 'placeholder' || kind === 'translated') && rng.chance(0.5) ? drawForm(p, rng, true) : undefined;
    const name = out.single(p, 'source', w1, srcForm, rng, { jan1 });
    if (kind === 'typo') out.single(p, kind, w1, undefined, rng, { name: typo(name, rng) });
    else {
      const form = kind === 'placeholder' ? drawForm(p, rng, true) : kind === 'translated' ? 'translated' : undefined;
      out.single(p, kind, otherWriting(p.pool, w1, rng), form, rng, { jan1 });
    }

    if (rng.chance(NAMESAKE_SHARE)) {
      const q: SinglePerson = { ...p, id: nextId++ };
      out.single(q, 'source', rng.pick(writingsOf(p.pool)), rng.chance(0.5) ? drawForm(q, rng) : undefined, rng, { namesakeOf: p.id });
    }
    if (rng.chance(FULL_NAMESAKE_SHARE)) {
      const q: SinglePerson = { ...p, id: nextId++ };
      const w = rng.pick(writingsOf(p.pool));
      // Naming chains (Somali, Ge'ez, Sudanese) have no family names: the father's given name stands there.
      const e = p.pool.family.length > 0 ? rng.pick(p.pool.family) : rng.pick(p.pool.male);
      const family = Array.isArray(e) ? (e as readonly SpelledName[])[p.sex === 'male' ? 0 : 1]! : (e as SpelledName);
      const given = write(p.given, p.pool, w, rng);
      out.add(q, 'full-name', { entry: { given, family: write(family, p.pool, w, rng) }, bare: given }, false, rng, p.id);
    }
  }
  return out.records;
}

/**
 * A register of `records` unrelated single-name persons of `origins` (by
 * their weights), one record each, dates of birth spread as the main
 * population's (exact, not 1 January), the other name left out or a
 * placeholder: every pair it matches is false.
 */
export function generateSingleNameRegister(opts: { seed: number; records: number; origins?: readonly Origin[] }): SingleNameRecord[] {
  const rng = new Rng(seededRandom(opts.seed ^ REGISTER_STREAM));
  const origins = opts.origins ?? REGISTER_ORIGINS;
  const pools = ORIGINS.filter((o) => origins.includes(o.pool.origin));
  const out = new Recorder();
  for (let i = 0; i < opts.records; i++) {
    const p = newPerson(i, rng, pools);
    out.single(p, 'source', rng.pick(writingsOf(p.pool)), rng.chance(0.5) ? drawForm(p, rng) : undefined, rng);
  }
  return out.records;
}

// ---- scoring -----------------------------------------------------------------

interface Scored {
  /** Strongest key per matched pair (id min·n + max), as a strength rank. */
  best: Map<number, number>;
  /** The pairs a 0x24 key joins. */
  bySingleKey: Set<number>;
  stored: MatchKey[][];
  asked: number[];
}

const isSingleKey = (k: MatchKey) => k.type === 'phoneticSingleDob';
const parse = (ids: Record<string, unknown>) => parseIdentifiers(ids, { now: () => EVAL_NOW });

/** As evaluateMatching: each record's stored and query keys, and every pair where one's query meets the other's stored keys. */
function score(records: readonly SingleNameRecord[]): Scored {
  const index = new Map<string, { rank: number; single: boolean; holders: number[]; askers: number[] }>();
  const entry = (k: MatchKey) => {
    const hex = toHex(k.encoded);
    let e = index.get(hex);
    if (e === undefined) index.set(hex, (e = { rank: RANK[k.strength], single: isSingleKey(k), holders: [], askers: [] }));
    return e;
  };
  const stored: MatchKey[][] = [];
  const asked: number[] = [];
  for (const r of records) {
    const ids = parse(r.identifiers);
    const s = deriveMatchKeys(ids);
    const q = deriveQueryKeys(ids);
    stored.push(s);
    asked.push(q.length);
    for (const k of s) entry(k).holders.push(r.index);
    for (const k of q) entry(k).askers.push(r.index);
  }
  const best = new Map<number, number>();
  const bySingleKey = new Set<number>();
  const n = records.length;
  for (const { rank, single, holders, askers } of index.values()) {
    for (const x of askers) {
      for (const y of holders) {
        if (x === y) continue;
        const id = Math.min(x, y) * n + Math.max(x, y);
        if ((best.get(id) ?? -1) < rank) best.set(id, rank);
        if (single) bySingleKey.add(id);
      }
    }
  }
  return { best, bySingleKey, stored, asked };
}

const hexSet = (ks: readonly MatchKey[]) => ks.map((k) => toHex(k.encoded)).sort().join(',');
const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

export interface PlaceholderFigures {
  records: number;
  /** Records whose keys are those of the name alone: the placeholder was dropped. */
  dropped: number;
  /** The placeholders as written where they were not dropped (distinct, sorted). */
  notDropped: string[];
}

export interface RegisterFigures {
  records: number;
  origins: Origin[];
  /** Pairs of records with the same date of birth: the pairs 0x24 could join. */
  sameDayPairs: number;
  /** Records that stored a 0x24 key. */
  keyedAsSingle: number;
  /** Records whose placeholder was not dropped (they key as two names). */
  placeholderNotDropped: number;
  /** Every pair it matches is false: at possible or stronger, and of them at probable or stronger. */
  falsePairs: number;
  falseProbable: number;
  /** Twice the false pairs over the records: the wrong hits one search meets, in proportion to the register's size. */
  falsePossiblePerRecord: number;
  keysPerRecord: number;
}

export interface SingleNameFigures {
  seed: number;
  /** Single-name persons, each recorded twice. */
  persons: number;
  /** Records by one name (the persons' and their one-name namesakes'). */
  singleNameRecords: number;
  /** Namesakes recorded in full (given and family name). */
  fullNameRecords: number;
  /** Single-name records with an exact date other than 1 January, and how many of them stored a 0x24 key. */
  exactDateRecords: number;
  keyedAsSingle: number;
  /** Over the single-name records: keys stored, of them 0x24, and keys asked by a search for one. */
  keysPerRecord: number;
  singleKeysPerRecord: number;
  queryKeysPerRecord: number;
  byKind: Record<SingleNameKind, { pairs: number; recall: Record<MatchKeyStrength, number> }>;
  /** By placeholder form; translated ones by origin ("translated (russian)"). */
  placeholders: Record<string, PlaceholderFigures>;
  /**
   * False pairs with a single-name record on either side, at possible or
   * stronger: of them at probable, those a 0x24 key joins (the others meet
   * through a placeholder not dropped), and by how the two are related
   * (fullName: a namesake recorded in full, which a 0x24 key never joins).
   */
  falsePairs: {
    possible: number;
    probable: number;
    bySingleKey: number;
    byRelation: { namesake: number; fullName: number; unrelated: number };
    fullNameBySingleKey: number;
  };
  falsePossiblePerRecord: number;
  register: RegisterFigures;
}

/** The single-name measurement: `persons` (default SINGLE_NAME_PERSONS) and a register of `registerRecords` (default REGISTER_RECORDS). */
export function evaluateSingleNames(opts: { seed?: number; persons?: number; registerRecords?: number } = {}): SingleNameFigures {
  const seed = opts.seed ?? 20260601;
  const persons = opts.persons ?? SINGLE_NAME_PERSONS;
  const records = generateSingleNames({ seed, persons });
  const { best, bySingleKey, stored, asked } = score(records);
  const n = records.length;
  const singles = records.filter((r) => r.kind !== 'full-name');

  const placeholders: Record<string, PlaceholderFigures> = {};
  for (const r of records) {
    if (r.placeholder === undefined) continue;
    const label = r.placeholder.form === 'translated' ? `translated (${r.origin})` : r.placeholder.form;
    const f = (placeholders[label] ??= { records: 0, dropped: 0, notDropped: [] });
    f.records++;
    if (hexSet(stored[r.index]!) === hexSet(deriveMatchKeys(parse(r.bare!)))) f.dropped++;
    else if (!f.notDropped.includes(r.placeholder.written)) f.notDropped.push(r.placeholder.written);
  }
  for (const f of Object.values(placeholders)) f.notDropped.sort();

  const pairId = (a: SingleNameRecord, b: SingleNameRecord) => Math.min(a.index, b.index) * n + Math.max(a.index, b.index);
  const byKind = {} as SingleNameFigures['byKind'];
  for (const kind of SINGLE_NAME_KINDS) {
    const ids: number[] = [];
    for (const r of records) if (r.kind === kind) ids.push(pairId(records[r.index - 1]!, r));
    const recall = {} as Record<MatchKeyStrength, number>;
    for (const s of STRENGTHS) recall[s] = ratio(ids.filter((id) => (best.get(id) ?? -1) >= RANK[s]).length, ids.length);
    byKind[kind] = { pairs: ids.length, recall };
  }

  const falsePairs: SingleNameFigures['falsePairs'] = {
    possible: 0,
    probable: 0,
    bySingleKey: 0,
    byRelation: { namesake: 0, fullName: 0, unrelated: 0 },
    fullNameBySingleKey: 0,
  };
  for (const [id, rank] of best) {
    const a = records[Math.floor(id / n)]!;
    const b = records[id % n]!;
    if (a.personId === b.personId || (a.kind === 'full-name' && b.kind === 'full-name')) continue;
    falsePairs.possible++;
    if (rank >= RANK.probable) falsePairs.probable++;
    const single = bySingleKey.has(id);
    if (single) falsePairs.bySingleKey++;
    const related = a.namesakeOf === b.personId || b.namesakeOf === a.personId || (a.namesakeOf !== undefined && a.namesakeOf === b.namesakeOf);
    if (a.kind === 'full-name' || b.kind === 'full-name') {
      falsePairs.byRelation.fullName++;
      if (single) falsePairs.fullNameBySingleKey++;
    } else if (related) falsePairs.byRelation.namesake++;
    else falsePairs.byRelation.unrelated++;
  }

  const exact = singles.filter((r) => !((r.identifiers['dateOfBirth'] as { date: string }).date.endsWith('-01-01')));
  const sum = (xs: readonly SingleNameRecord[], f: (r: SingleNameRecord) => number) => xs.reduce((s, r) => s + f(r), 0);
  return {
    seed,
    persons,
    singleNameRecords: singles.length,
    fullNameRecords: n - singles.length,
    exactDateRecords: exact.length,
    keyedAsSingle: exact.filter((r) => stored[r.index]!.some(isSingleKey)).length,
    keysPerRecord: sum(singles, (r) => stored[r.index]!.length) / singles.length,
    singleKeysPerRecord: sum(singles, (r) => stored[r.index]!.filter(isSingleKey).length) / singles.length,
    queryKeysPerRecord: sum(singles, (r) => asked[r.index]!) / singles.length,
    byKind,
    placeholders,
    falsePairs,
    falsePossiblePerRecord: (2 * falsePairs.possible) / singles.length,
    register: evaluateRegister(seed, opts.registerRecords ?? REGISTER_RECORDS),
  };
}

function evaluateRegister(seed: number, size: number): RegisterFigures {
  const records = generateSingleNameRegister({ seed, records: size });
  const { best, stored } = score(records);
  const byDay = new Map<string, number>();
  for (const r of records) {
    const d = (r.identifiers['dateOfBirth'] as { date: string }).date;
    byDay.set(d, (byDay.get(d) ?? 0) + 1);
  }
  let falseProbable = 0;
  for (const rank of best.values()) if (rank >= RANK.probable) falseProbable++;
  return {
    records: records.length,
    origins: [...REGISTER_ORIGINS],
    sameDayPairs: [...byDay.values()].reduce((s, k) => s + (k * (k - 1)) / 2, 0),
    keyedAsSingle: stored.filter((ks) => ks.some(isSingleKey)).length,
    placeholderNotDropped: records.filter((r) => r.placeholder !== undefined && hexSet(stored[r.index]!) !== hexSet(deriveMatchKeys(parse(r.bare!)))).length,
    falsePairs: best.size,
    falseProbable,
    falsePossiblePerRecord: ratio(2 * best.size, records.length),
    keysPerRecord: stored.reduce((s, ks) => s + ks.length, 0) / Math.max(1, records.length),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);

const KIND_NOTES: Record<SingleNameKind, string> = {
  'other-writing': 'another register\'s habit, the other name left out',
  placeholder: 'another habit, the other name LNU, Unknown, FNU, NN, N.N. or XXX (the first record: one or none)',
  translated: 'another habit, the other name "unknown" in the origin\'s language (UNKNOWN_WORD)',
  typo: 'one letter mistyped: 0x24 has no typo variants, not expected to match',
  jan1: 'both records dated 1 January of the year: no 0x24 key, must be 0',
};

/** The figures as a plain-text report, printed after the main one. */
export function formatSingleNames(f: SingleNameFigures): string {
  const lines: string[] = [];
  lines.push('single names (supplementary: 0x24 phoneticSingleDob; own random streams, the figures above are unchanged)');
  lines.push(
    `seed ${f.seed}: ${f.persons} persons by origin weight, each recorded twice by registers that knew one name; ${f.singleNameRecords} one-name records (namesakes born the same day included), ${f.fullNameRecords} namesakes recorded in full`,
  );
  lines.push(
    `${f.keysPerRecord.toFixed(2)} keys per one-name record (${f.singleKeysPerRecord.toFixed(2)} of them 0x24), ${f.queryKeysPerRecord.toFixed(2)} asked by a search for one; ${f.keyedAsSingle} of the ${f.exactDateRecords} with an exact date other than 1 January store a 0x24 key`,
  );
  lines.push('');
  lines.push('true pairs by kind   pairs  probable  possible');
  for (const k of SINGLE_NAME_KINDS) {
    const x = f.byKind[k];
    lines.push(`${k.padEnd(16)} ${String(x.pairs).padStart(9)}  ${pct(x.recall.probable).padStart(8)}  ${pct(x.recall.possible).padStart(8)}  ${KIND_NOTES[k]}`);
  }
  lines.push('');
  lines.push('placeholder                 records  dropped  written where not dropped');
  for (const [label, p] of Object.entries(f.placeholders).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`${label.padEnd(26)} ${String(p.records).padStart(8)}  ${String(p.dropped).padStart(7)}  ${p.notDropped.join(', ')}`);
  }
  lines.push('');
  const fp = f.falsePairs;
  lines.push(
    `false pairs with a one-name record: ${fp.possible} (${fp.probable} at probable; ${fp.bySingleKey} through 0x24, the rest through placeholders not dropped): namesakes born the same day ${fp.byRelation.namesake}, namesakes recorded in full ${fp.byRelation.fullName} (${fp.fullNameBySingleKey} through 0x24), unrelated ${fp.byRelation.unrelated}`,
  );
  lines.push(
    `  ${f.falsePossiblePerRecord.toFixed(3)} false possible pairs per one-name record: most are the namesakes born the same day that ${100 * NAMESAKE_SHARE}% of the persons were given; the register below is the size-bound reading`,
  );
  const r = f.register;
  lines.push(
    `register of ${r.records} unrelated one-name records (${r.origins.join(', ')} by weight; dates as the main population's, exact): ${r.sameDayPairs} pairs born the same day, ${r.keyedAsSingle} records store a 0x24 key, ${r.placeholderNotDropped} hold a placeholder not dropped`,
  );
  lines.push(
    `  false pairs ${r.falsePairs} (${r.falseProbable} at probable): ${r.falsePossiblePerRecord.toFixed(3)} false possible pairs per record, ${r.keysPerRecord.toFixed(2)} keys per record; both grow with the register: per record in proportion to its size, pairs with its square`,
  );
  return lines.join('\n');
}
