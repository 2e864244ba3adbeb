/**
 * Deterministic synthetic population for the matching evaluation: persons
 * recorded twice or three times by different registries (the same child
 * written from Cyrillic, Arabic, Greek, Ge'ez and diacritic Latin by
 * different habits, with swapped name order, missing middle names, typos,
 * placeholder dates …) among distinct but similar people (siblings, twins,
 * namesakes). No real person is described. Same seed, same population.
 */
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { listedSpellings, ORIGINS, type Origin, type OriginPool, type SpelledName } from './name-data.js';
import { GREEK_HABITS, LATIN_HABITS, RUSSIAN_HABITS, UKRAINIAN_HABITS, type Habit } from './transliteration-habits.js';

/** What differs between a person's first record and a later one. */
export const VARIANT_KINDS = [
  'translit-cyrillic',
  'translit-arabic',
  'translit-greek',
  'translit-geez',
  'orthography-latin',
  'diacritics-latin',
  'patronymic-chain',
  'vietnamese-form',
  'order-swap',
  'middle-names',
  'joined-names',
  'compound-surname',
  'typo',
  'combined',
  'dob-day-month-swap',
  'dob-jan1-estimate',
  'dob-age-assessed',
  'dob-missing',
] as const;
export type VariantKind = (typeof VARIANT_KINDS)[number];

/** How a distinct person resembles an index person. */
export type Relation = 'sibling' | 'twin' | 'namesake';

export interface SyntheticRecord {
  /** Index in the population. */
  index: number;
  personId: number;
  /** The person's origin (name pool). */
  origin: Origin;
  /** Kind of the variant this record is; 'source' for a person's first record. */
  kind: VariantKind | 'source';
  /** Set on records of persons generated as look-alikes of another. */
  relation?: { to: number; relation: Relation };
  /** Identifiers in the API shape (input to parseIdentifiers). */
  identifiers: Record<string, unknown>;
  /** Set on the records of persons added by the stratified top-up (and their look-alikes). */
  topUp?: true;
}

/**
 * Whether two records' dates of birth agree: equal, day-exact and not
 * 1 January (which is keyed as a placeholder, year ± 1, not as an agreed
 * birthday).
 */
export function dobAgrees(a: SyntheticRecord, b: SyntheticRecord): boolean {
  const da = a.identifiers['dateOfBirth'] as { precision?: string; date?: string } | undefined;
  const db = b.identifiers['dateOfBirth'] as { precision?: string; date?: string } | undefined;
  return da?.precision === 'day' && db?.precision === 'day' && da.date === db.date && !(da.date ?? '').endsWith('-01-01');
}

export interface PopulationOptions {
  seed: number;
  /** Index persons (each recorded 2–3 times), origins drawn by weight. */
  persons: number;
  /**
   * Stratified top-up: after the persons drawn by weight, more index persons
   * are added to every origin group that holds fewer than this many
   * day-exact pairs (`dobAgrees`), one per short group in turn, until none
   * is short. Their records are marked `topUp`.
   */
  minDobPairsPerOrigin?: number;
}

// ---- randomness --------------------------------------------------------------

/** sfc32 seeded through splitmix32: fast, deterministic, test data only. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** Draws from a seeded stream (exported for generators that keep a stream of their own). */
export class Rng {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  weighted<T>(xs: readonly { weight: number; value: T }[]): T {
    let r = this.next() * xs.reduce((s, x) => s + x.weight, 0);
    for (const x of xs) if ((r -= x.weight) < 0) return x.value;
    return xs[xs.length - 1]!.value;
  }
}

// ---- persons -----------------------------------------------------------------

export interface Dob {
  y: number;
  m: number;
  d: number;
}

interface Person {
  id: number;
  pool: OriginPool;
  sex: 'female' | 'male';
  given: SpelledName;
  middle?: SpelledName;
  father: SpelledName;
  /** Set when the "family name" is the father's given name: the next link of the chain. */
  grandfather?: SpelledName;
  /** One family name, or [paternal, maternal] for compound surnames; forms by sex. */
  familyEntries: FamilyEntry[];
  dob: Dob;
  strong: {
    passport?: string;
    phone?: string;
    email?: string;
    handle?: string;
    digest?: string;
  };
}

const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

export function randomDob(rng: Rng): Dob {
  const y = rng.chance(0.8) ? rng.int(2006, 2023) : rng.int(1965, 2000);
  const m = rng.int(1, 12);
  return { y, m, d: rng.int(1, daysIn(y, m)) };
}

/** A date of birth drawn as randomDob draws them, but never 1 January (keyed as a placeholder): for the supplementary measurements. */
export function exactDob(rng: Rng): Dob {
  for (;;) {
    const d = randomDob(rng);
    if (d.m !== 1 || d.d !== 1) return d;
  }
}

type FamilyEntry = OriginPool['family'][number];

const nativeOf = (e: FamilyEntry): string => (Array.isArray(e) ? (e as readonly SpelledName[])[0]!.native : (e as SpelledName).native);

function familyEntriesFor(pool: OriginPool, rng: Rng, father: SpelledName, chain: boolean): FamilyEntry[] {
  if (chain) return [father];
  const first = rng.pick(pool.family);
  if (!pool.compoundFamily) return [first];
  let second = rng.pick(pool.family);
  while (nativeOf(second) === nativeOf(first)) second = rng.pick(pool.family);
  return [first, second];
}

/** The family names as written for the person's sex. */
const familyOf = (p: Person): SpelledName[] =>
  p.familyEntries.map((e) => (Array.isArray(e) ? (e as readonly SpelledName[])[p.sex === 'male' ? 0 : 1]! : (e as SpelledName)));

const digits = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.int(0, 9)).join('');
const letters = (rng: Rng, n: number) => Array.from({ length: n }, () => String.fromCharCode(65 + rng.int(0, 25))).join('');

function validMobile(rng: Rng): string {
  for (;;) {
    const candidate = rng.pick(['+316', '+4915', '+4670', '+3069']) + digits(rng, 8);
    try {
      const p = parsePhoneNumberWithError(candidate);
      if (p.isValid()) return p.number;
    } catch {
      // draw again
    }
  }
}

function strongIdentifiers(rng: Rng, pool: OriginPool, id: number): Person['strong'] {
  const s: Person['strong'] = {};
  if (rng.chance(0.45)) s.passport = letters(rng, 2) + digits(rng, 7);
  if (rng.chance(0.35)) s.phone = validMobile(rng);
  if (rng.chance(0.15)) s.email = `p${id}.${digits(rng, 4)}@example.${pool.country.toLowerCase()}`;
  if (rng.chance(0.1)) s.handle = `user_${id}_${digits(rng, 3)}`;
  if (rng.chance(0.05)) s.digest = Array.from({ length: 64 }, () => '0123456789abcdef'[rng.int(0, 15)]).join('');
  return s;
}

interface Kin {
  pool: OriginPool;
  father: SpelledName;
  grandfather?: SpelledName;
  familyEntries?: FamilyEntry[];
  sex?: Person['sex'];
}

const ARABIC_MIDDLE: ReadonlySet<Origin> = new Set(['arabic', 'maghreb', 'south-asian']);

function newPerson(id: number, rng: Rng, base?: Kin, stratum?: OriginPool): Person {
  const pool = base?.pool ?? stratum ?? rng.weighted(ORIGINS.map((o) => ({ weight: o.weight, value: o.pool })));
  const sex = base?.sex ?? (rng.chance(0.5) ? 'female' : 'male');
  const names = sex === 'male' ? pool.male : pool.female;
  const given = rng.pick(names);
  const father = base?.father ?? rng.pick(pool.male);
  const chain = base === undefined ? rng.chance(pool.fatherAsFamily ?? 0) : base.grandfather !== undefined;
  let middle: SpelledName | undefined;
  if (pool.origin === 'vietnamese') middle = { native: sex === 'male' ? 'Văn' : 'Thị', latin: [] };
  else if (ARABIC_MIDDLE.has(pool.origin) && !chain) middle = father;
  else if (!pool.patronymic && !chain && rng.chance(0.3)) {
    const m = rng.pick(names);
    if (m.native !== given.native) middle = m;
  }
  const familyEntries = base?.familyEntries ?? familyEntriesFor(pool, rng, father, chain);
  const grandfather = chain ? (base?.grandfather ?? rng.pick(pool.male)) : undefined;
  return { id, pool, sex, given, middle, father, grandfather, familyEntries, dob: randomDob(rng), strong: strongIdentifiers(rng, pool, id) };
}

// ---- rendering ---------------------------------------------------------------

/** How one registry writes names: script kept, or a romanisation habit. */
export type Writing = { kind: 'native' } | { kind: 'habit'; id: string };

export function habitsOf(origin: Origin): Record<string, Habit> | undefined {
  switch (origin) {
    case 'russian':
      return RUSSIAN_HABITS;
    case 'ukrainian':
      return UKRAINIAN_HABITS;
    case 'greek':
      return GREEK_HABITS;
    default:
      return LATIN_HABITS[origin];
  }
}

/** Writings available for an origin; index 0 is the passport habit. */
export function writingsOf(pool: OriginPool): Writing[] {
  const h = habitsOf(pool.origin);
  if (h !== undefined) {
    const ws: Writing[] = Object.keys(h).map((id) => ({ kind: 'habit', id }));
    return pool.origin === 'russian' || pool.origin === 'ukrainian' || pool.origin === 'greek' ? [...ws, { kind: 'native' }] : ws;
  }
  // Listed spellings (Arabic, Ge'ez, …): native script, or one of each name's listed spellings.
  return pool.nativeRegistered === false ? [{ kind: 'habit', id: 'listed' }] : [{ kind: 'native' }, { kind: 'habit', id: 'listed' }];
}

export function write(name: SpelledName, pool: OriginPool, w: Writing, rng: Rng): string {
  if (w.kind === 'native') return name.native;
  const habits = habitsOf(pool.origin);
  if (habits !== undefined) return habits[w.id]!(name.native);
  return rng.pick(name.latin);
}

/** East Slavic patronymic, regular forms only (Сергей → Сергеевич, Андрій → Андріївна). */
function patronymicOf(father: SpelledName, sex: Person['sex'], origin: Origin): string {
  const f = father.native;
  const male = sex === 'male';
  if (origin === 'ukrainian') {
    if (f.endsWith('й')) return f.slice(0, -1) + (male ? 'йович' : 'ївна');
    const stem = f.endsWith('о') || f.endsWith('а') ? f.slice(0, -1) : f;
    return stem + (male ? 'ович' : 'івна');
  }
  if (f.endsWith('й')) return f.slice(0, -1) + (male ? 'евич' : 'евна');
  const stem = f.endsWith('а') ? f.slice(0, -1) : f;
  return stem + (male ? 'ович' : 'овна');
}

/** Where a patronymic chain (given, father, grandfather) lands in the register's fields. */
type ChainMode = 'father' | 'father-grandfather' | 'given-father';
/** How a Vietnamese compound given name is written. */
type ViJoin = 'space' | 'joined' | 'hyphen';

interface Rendering {
  writing: Writing;
  chain: ChainMode;
  /** Vietnamese: the middle name Văn/Thị written; how the given syllables are joined. */
  viMarker: boolean;
  viJoin: ViJoin;
  swap: boolean;
  middle: boolean;
  familyMode: 'both' | 'hyphen' | 'first' | 'second';
  typo?: 'given' | 'family';
  /** Given names typed without their space: each keeping its capital, or the later ones in lower case. */
  joinGiven?: 'camel' | 'lower';
  dob: 'exact' | 'dmswap' | 'jan1' | 'assessed' | 'missing';
  /** Probability each strong identifier is recorded. */
  strongShare: number;
}

export function typo(s: string, rng: Rng): string {
  const chars = [...s];
  if (chars.length < 3) return s;
  // Anywhere but the first letter, which registrars get wrong least.
  const i = rng.int(1, chars.length - 1);
  const letter = String.fromCharCode(97 + rng.int(0, 25));
  switch (rng.int(0, 3)) {
    case 0:
      chars[i] = letter;
      break;
    case 1:
      chars.splice(i, 1);
      break;
    case 2:
      chars.splice(i, 0, letter);
      break;
    default:
      if (i + 1 < chars.length) [chars[i], chars[i + 1]] = [chars[i + 1]!, chars[i]!];
      else chars[i] = letter;
  }
  return chars.join('');
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A date of birth as a register records it: exact, day and month swapped, 1 January of the year ± 1, an age assessment, or none. */
export function renderDob(dob: Dob, how: Rendering['dob'], rng: Rng): Record<string, unknown> | undefined {
  const { y, m, d } = dob;
  switch (how) {
    case 'exact':
      return { precision: 'day', date: `${y}-${pad(m)}-${pad(d)}` };
    case 'dmswap':
      return { precision: 'day', date: `${y}-${pad(d)}-${pad(m)}` };
    case 'jan1':
      return { precision: 'day', date: `${y + rng.int(-1, 1)}-01-01` };
    case 'assessed': {
      // An age assessment: a range of ±1 to ±3 years whose centre may miss
      // the true year by up to the range's half-width.
      const pm = rng.int(1, 3);
      return { precision: 'estimated', date: String(Math.min(y + rng.int(-pm, pm), 2025)), plusMinusYears: pm };
    }
    case 'missing':
      return rng.chance(0.5) ? undefined : { precision: 'unknown' };
  }
}

function renderStrong(p: Person, share: number, rng: Rng): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const s = p.strong;
  if (s.passport && rng.chance(share)) {
    const num = rng.chance(0.3) ? `${s.passport.slice(0, 2)} ${s.passport.slice(2)}` : s.passport;
    out['documents'] = [{ type: 'passport', issuingCountry: p.pool.country, number: num }];
  }
  if (s.phone && rng.chance(share)) {
    const pretty = rng.chance(0.5) ? s.phone : `${s.phone.slice(0, 3)} ${s.phone.slice(3, 6)} ${s.phone.slice(6)}`;
    out['phones'] = [{ number: pretty }];
  }
  if (s.email && rng.chance(share)) out['emails'] = [rng.chance(0.3) ? s.email.toUpperCase() : s.email];
  if (s.handle && rng.chance(share)) out['handles'] = [{ platform: 'telegram', handle: rng.chance(0.5) ? `@${s.handle}` : s.handle }];
  if (s.digest && rng.chance(share)) out['fileSha256'] = [s.digest];
  return out;
}

function joinSyllables(name: string, how: ViJoin): string {
  const parts = name.split(' ');
  if (how === 'space') return name;
  if (how === 'hyphen') return parts.join('-');
  return parts.map((x, i) => (i === 0 ? x : x.toLowerCase())).join('');
}

function render(p: Person, r: Rendering, rng: Rng): Record<string, unknown> {
  const w = (n: SpelledName) => write(n, p.pool, r.writing, rng);
  let given = w(p.given);
  if (p.pool.origin === 'vietnamese') {
    given = joinSyllables(given, r.viJoin);
    if (r.viMarker) given = `${w(p.middle!)} ${given}`;
  } else if (r.middle && p.middle !== undefined && !ARABIC_MIDDLE.has(p.pool.origin)) given += ` ${w(p.middle)}`;
  let famParts = familyOf(p).map(w);
  if (p.grandfather !== undefined) {
    if (r.chain === 'father-grandfather') famParts = [`${famParts[0]!} ${w(p.grandfather)}`];
    else if (r.chain === 'given-father') {
      given += ` ${famParts[0]!}`;
      famParts = [w(p.grandfather)];
    }
  }
  let family =
    famParts.length === 1
      ? famParts[0]!
      : r.familyMode === 'both'
        ? famParts.join(' ')
        : r.familyMode === 'hyphen'
          ? famParts.join('-')
          : r.familyMode === 'first'
            ? famParts[0]!
            : famParts[1]!;
  if (r.joinGiven !== undefined) {
    given = given
      .split(' ')
      .map((x, i) => (i === 0 || r.joinGiven === 'camel' ? x : x.toLowerCase()))
      .join('');
  }
  if (r.typo === 'given') given = typo(given, rng);
  if (r.typo === 'family') family = typo(family, rng);
  const entry: Record<string, string> = r.swap ? { given: family, family: given } : { given, family };
  if (r.middle && p.pool.patronymic) {
    const pat = patronymicOf(p.father, p.sex, p.pool.origin);
    entry['patronymic'] = r.writing.kind === 'native' ? pat : habitsOf(p.pool.origin)![(r.writing as { id: string }).id]!(pat);
  }
  if (r.middle && ARABIC_MIDDLE.has(p.pool.origin) && p.middle !== undefined) entry['patronymic'] = w(p.father);
  const ids: Record<string, unknown> = { names: [entry], sex: rng.chance(0.9) ? p.sex : 'unknown' };
  const dob = renderDob(p.dob, r.dob, rng);
  if (dob !== undefined) ids['dateOfBirth'] = dob;
  ids['nationalities'] = [p.pool.country];
  return { ...ids, ...renderStrong(p, r.strongShare, rng) };
}

// ---- variants ----------------------------------------------------------------

function applicableKinds(p: Person): VariantKind[] {
  const o = p.pool.origin;
  const kinds: VariantKind[] = ['order-swap', 'typo', 'combined', 'dob-jan1-estimate', 'dob-missing'];
  if (p.dob.y >= 2006) kinds.push('dob-age-assessed');
  if (o === 'russian' || o === 'ukrainian') kinds.push('translit-cyrillic');
  if (o === 'arabic' || o === 'afghan' || o === 'maghreb' || o === 'egypt-sudan' || o === 'south-asian') kinds.push('translit-arabic');
  if (o === 'greek') kinds.push('translit-greek');
  if (o === 'geez') kinds.push('translit-geez');
  if (o === 'somali' || o === 'kurdish' || o === 'albanian' || o === 'nigerian' || o === 'west-africa') kinds.push('orthography-latin');
  if (LATIN_HABITS[o] !== undefined) kinds.push('diacritics-latin');
  if (o === 'vietnamese') kinds.push('vietnamese-form');
  else if ((p.middle !== undefined && o !== 'south-asian') || p.pool.patronymic) kinds.push('middle-names');
  if (p.grandfather !== undefined) kinds.push('patronymic-chain');
  if (p.familyEntries.length > 1) kinds.push('compound-surname');
  if (p.dob.d <= 12 && p.dob.d !== p.dob.m) kinds.push('dob-day-month-swap');
  return kinds;
}

export function otherWriting(pool: OriginPool, w: Writing, rng: Rng): Writing {
  const all = writingsOf(pool);
  // Listed spellings are drawn per name, so 'listed' differs from itself.
  const others = all.filter((x) => x.kind !== w.kind || (x.kind === 'habit' && w.kind === 'habit' && (x.id !== w.id || x.id === 'listed')));
  return rng.pick(others.length > 0 ? others : all);
}

function variantRendering(p: Person, source: Rendering, kind: VariantKind, rng: Rng): Rendering {
  const r: Rendering = { ...source, typo: undefined, strongShare: 0.4 };
  switch (kind) {
    case 'translit-cyrillic':
    case 'translit-arabic':
    case 'translit-greek':
    case 'translit-geez':
    case 'orthography-latin':
    case 'diacritics-latin':
      r.writing = otherWriting(p.pool, source.writing, rng);
      break;
    case 'patronymic-chain':
      r.chain = rng.pick((['father', 'father-grandfather', 'given-father'] as const).filter((m) => m !== source.chain));
      break;
    case 'vietnamese-form':
      // One or two of: diacritics, the middle name, how syllables are joined.
      for (let changes = rng.int(1, 2); changes > 0; changes--) {
        const what = rng.int(0, 2);
        if (what === 0) r.writing = otherWriting(p.pool, r.writing, rng);
        else if (what === 1) r.viMarker = !r.viMarker;
        else r.viJoin = rng.pick((['space', 'joined', 'hyphen'] as const).filter((j) => j !== r.viJoin));
      }
      break;
    case 'order-swap':
      r.swap = !source.swap;
      break;
    case 'joined-names':
      // Only the space between the given names differs (hasTwoGivenNames).
      r.joinGiven = rng.chance(JOINED_CAMEL_SHARE) ? 'camel' : 'lower';
      break;
    case 'middle-names':
      r.middle = !source.middle;
      break;
    case 'compound-surname':
      r.familyMode = rng.pick((['hyphen', 'first', 'second'] as const).filter((m) => m !== source.familyMode));
      break;
    case 'typo':
      r.typo = rng.chance(0.5) ? 'given' : 'family';
      break;
    case 'combined':
      r.writing = otherWriting(p.pool, source.writing, rng);
      if (rng.chance(0.5)) r.swap = !source.swap;
      else r.middle = !source.middle;
      break;
    case 'dob-day-month-swap':
      r.dob = 'dmswap';
      break;
    case 'dob-jan1-estimate':
      r.dob = 'jan1';
      break;
    case 'dob-age-assessed':
      r.dob = 'assessed';
      break;
    case 'dob-missing':
      r.dob = 'missing';
      break;
  }
  // A typo, or names typed without their space, need a Latin spelling to land in.
  if ((r.typo !== undefined || r.joinGiven !== undefined) && r.writing.kind === 'native') r.writing = { kind: 'habit', id: Object.keys(habitsOf(p.pool.origin) ?? { listed: 0 })[0]! };
  return r;
}

function sourceRendering(p: Person, rng: Rng): Rendering {
  const writings = writingsOf(p.pool);
  return {
    writing: rng.pick(writings),
    swap: false,
    middle: rng.chance(0.5),
    chain: rng.weighted([
      { weight: 0.5, value: 'father' as const },
      { weight: 0.3, value: 'father-grandfather' as const },
      { weight: 0.2, value: 'given-father' as const },
    ]),
    viMarker: rng.chance(0.6),
    viJoin: rng.weighted([
      { weight: 0.7, value: 'space' as const },
      { weight: 0.2, value: 'joined' as const },
      { weight: 0.1, value: 'hyphen' as const },
    ]),
    familyMode: 'both',
    dob: 'exact',
    strongShare: 1,
  };
}

/** Seed offset of the stream that later variant kinds draw from. */
const EXTRA_STREAM = 0x6a6f696e;
/** Share of persons with two given names recorded once more with them typed without their space. */
const JOINED_NAMES_SHARE = 0.25;

/**
 * Of the joined given names, the share typed with each name's capital kept
 * (NoorMostafa); the rest are typed as one name (Noormostafa).
 */
const JOINED_CAMEL_SHARE = 0.75;

/** The first record's given field holds two names: a middle name, or a father's name in a patronymic chain. */
const hasTwoGivenNames = (p: Person, src: Rendering): boolean =>
  (src.middle && p.middle !== undefined && !ARABIC_MIDDLE.has(p.pool.origin) && p.pool.origin !== 'vietnamese') ||
  (p.grandfather !== undefined && src.chain === 'given-father');

/** The synthetic population (see module header). */
export function generatePopulation(opts: PopulationOptions): SyntheticRecord[] {
  const rng = new Rng(seededRandom(opts.seed));
  // Variant kinds added after the population was first fixed draw from their
  // own stream, so adding them leaves every other record as it was.
  const extra = new Rng(seededRandom(opts.seed ^ EXTRA_STREAM));
  const records: SyntheticRecord[] = [];
  let nextId = 0;
  let topUp = false;
  const add = (person: Person, kind: SyntheticRecord['kind'], identifiers: Record<string, unknown>, relation?: SyntheticRecord['relation']) => {
    records.push({
      index: records.length,
      personId: person.id,
      origin: person.pool.origin,
      kind,
      identifiers,
      ...(relation ? { relation } : {}),
      ...(topUp ? { topUp: true as const } : {}),
    });
  };

  /** One index person (of `stratum`, else drawn by weight), its variants and look-alikes; returns its day-exact pairs. */
  const indexPerson = (stratum?: OriginPool): number => {
    const p = newPerson(nextId++, rng, undefined, stratum);
    const src = sourceRendering(p, rng);
    const first = records.length;
    add(p, 'source', render(p, src, rng));
    const variants = rng.chance(0.3) ? 2 : 1;
    for (let v = 0; v < variants; v++) {
      const kind = rng.pick(applicableKinds(p));
      add(p, kind, render(p, variantRendering(p, src, kind, rng), rng));
    }
    if (hasTwoGivenNames(p, src) && extra.chance(JOINED_NAMES_SHARE)) add(p, 'joined-names', render(p, variantRendering(p, src, 'joined-names', extra), extra));
    const own = records.slice(first);
    let dobPairs = 0;
    for (let i = 0; i < own.length; i++) for (let j = i + 1; j < own.length; j++) if (dobAgrees(own[i]!, own[j]!)) dobPairs++;

    const lookAlike = (q: Person, relation: Relation) =>
      add(q, 'source', render(q, sourceRendering(q, rng), rng), { to: p.id, relation });

    if (rng.chance(0.35)) {
      for (let s = rng.int(1, 2); s > 0; s--) {
        const sib = newPerson(nextId++, rng, { pool: p.pool, father: p.father, grandfather: p.grandfather, familyEntries: p.familyEntries });
        if (sib.given.native === p.given.native) continue;
        const gap = rng.pick([1, 2, 3, 4]);
        sib.dob = { ...sib.dob, y: p.dob.y + gap <= 2024 && rng.chance(0.5) ? p.dob.y + gap : p.dob.y - gap };
        sib.dob.d = Math.min(sib.dob.d, daysIn(sib.dob.y, sib.dob.m));
        lookAlike(sib, 'sibling');
      }
    }
    if (rng.chance(0.05)) {
      const twin = newPerson(nextId++, rng, { pool: p.pool, father: p.father, grandfather: p.grandfather, familyEntries: p.familyEntries, sex: p.sex });
      const pair = p.pool.twinNames?.find(([a, b]) => a === p.given.native || b === p.given.native);
      const names = p.sex === 'male' ? p.pool.male : p.pool.female;
      const twinName = pair && rng.chance(0.7) ? (pair[0] === p.given.native ? pair[1] : pair[0]) : undefined;
      twin.given = names.find((x) => x.native === twinName) ?? rng.pick(names.filter((x) => x.native !== p.given.native));
      twin.middle = p.middle;
      twin.dob = { ...p.dob };
      lookAlike(twin, 'twin');
    }
    if (rng.chance(0.1)) {
      const father = rng.pick(p.pool.male);
      const same = newPerson(nextId++, rng, {
        pool: p.pool,
        father,
        ...(p.grandfather !== undefined ? { grandfather: rng.pick(p.pool.male), familyEntries: [father] } : {}),
        sex: p.sex,
      });
      same.given = p.given;
      if (p.grandfather === undefined && rng.chance(0.5)) same.familyEntries = p.familyEntries;
      if (rng.chance(0.3)) same.dob = { ...same.dob, y: p.dob.y, d: Math.min(same.dob.d, daysIn(p.dob.y, same.dob.m)) };
      lookAlike(same, 'namesake');
    }
    return dobPairs;
  };

  const dobPairs = new Map<Origin, number>(ORIGINS.map((o) => [o.pool.origin, 0]));
  for (let i = 0; i < opts.persons; i++) {
    const at = records.length;
    const pairs = indexPerson();
    const o = records[at]!.origin;
    dobPairs.set(o, dobPairs.get(o)! + pairs);
  }

  const min = opts.minDobPairsPerOrigin ?? 0;
  topUp = true;
  for (let round = 0; ORIGINS.some((o) => dobPairs.get(o.pool.origin)! < min); round++) {
    // About half of all index persons give a day-exact pair; a group that
    // gains none in this many rounds has a generator fault, not bad luck.
    if (round > 10 * min) throw new Error(`stratified top-up: an origin group stays under ${min} day-exact pairs`);
    for (const { pool } of ORIGINS) {
      if (dobPairs.get(pool.origin)! < min) dobPairs.set(pool.origin, dobPairs.get(pool.origin)! + indexPerson(pool));
    }
  }
  return records;
}
