/**
 * Supplementary measurement "leading names" of the matching evaluation: the
 * leading pair of protocol/10-identifiers.md (10.4), which pairs the second
 * given name with the family name when the first is a name registers write
 * or leave out before the name a person is called by (Md. Rahim Uddin /
 * Rahim Uddin; Sayed Ahmad Rahimi / Ahmad Rahimi). The main population
 * never writes or leaves out such a name between two records, so it cannot
 * measure the rule. Here persons of the origins where registers do are
 * recorded twice, once with the leading name and once without (or with it
 * written another way, or typed onto the name), with look-alikes born the
 * same day and a register of unrelated persons whose false pairs are the
 * rule's cost.
 *
 * Each record is scored as the main evaluation scores it, and once more
 * without the keys only the leading pair gives: those of its keys that
 * involve the called name (absent when a stand-in replaces it) and that the
 * record written without its leading name holds too. So every figure is
 * given with the rule and without it, on the same records. Everything is
 * drawn from random streams of its own, so the main population and its
 * figures are the same with or without this measurement.
 */
import { decodeMatchKey, deriveMatchKeys, deriveQueryKeys, normaliseNameField, parseIdentifiers, strengthRank, type MatchKey, type MatchKeyStrength } from '../../src/core/identity/index.js';
import { MATCH_KEYS } from '../../src/core/constants.js';
import { ORIGINS, type Origin, type OriginPool, type SpelledName } from './name-data.js';
import { exactDob, habitsOf, otherWriting, renderDob, Rng, seededRandom, write, writingsOf, type Dob, type Writing } from './variants.js';

const STRENGTHS = MATCH_KEYS.strengths;
const RANK = Object.fromEntries(STRENGTHS.map((s) => [s, strengthRank(s)])) as Record<MatchKeyStrength, number>;

/** The same fixed clock as the main evaluation (matching-eval.ts). */
const EVAL_NOW = new Date('2026-06-01T00:00:00Z');

/** Seed offsets of this measurement's streams: the persons and their look-alikes, and the register. */
const LEADING_NAMES_STREAM = 0x6c656164;
const LEADING_REGISTER_STREAM = 0x6c726567;

/** Origins whose registers write or leave out a leading name; drawn by their weights in ORIGINS. */
export const LEADING_ORIGINS = ['afghan', 'arabic', 'egypt-sudan', 'maghreb', 'south-asian', 'west-africa'] as const satisfies readonly Origin[];
type LeadingOrigin = (typeof LEADING_ORIGINS)[number];

/** What differs between a person's two records. */
export const LEADING_NAME_KINDS = ['left-out', 'written-differently', 'left-out-date', 'joined', 'solid', 'mst'] as const;
export type LeadingNameKind = (typeof LEADING_NAME_KINDS)[number];

/**
 * Shares of the persons by kind (persons recorded with the title Mst. are
 * kind 'mst' instead). Joined and solid are rarer habits, there to show
 * which typing the rule survives, so they need fewer persons.
 */
const KIND_WEIGHTS: readonly { weight: number; value: Exclude<LeadingNameKind, 'mst'> }[] = [
  { weight: 0.45, value: 'left-out' },
  { weight: 0.2, value: 'written-differently' },
  { weight: 0.2, value: 'left-out-date' },
  { weight: 0.075, value: 'joined' },
  { weight: 0.075, value: 'solid' },
];

/** The leading name a person's records carry: Muhammad (Md., Mohd), Sayed (men), Sayeda (women), or the title Mst. (women). */
export type LeadingFamily = 'muhammad' | 'sayed' | 'sayeda' | 'mst';

const n = (native: string, ...latin: string[]): SpelledName => ({ native, latin });

/**
 * Muhammad as each origin's registers write it before the called name,
 * spellings repeated by how often they are seen: Bangladeshi registers
 * abbreviate it Md. (with or without the point), Malaysian and some
 * Pakistani ones Mohd; the script form where the record is in Arabic
 * script. West African registers write it in Latin letters only (their
 * "native" spelling is the French one). The Bengali forms of South Asian
 * names are never written (the pool's nativeRegistered is false).
 */
const MUHAMMAD: Record<LeadingOrigin, SpelledName> = {
  afghan: n('محمد', 'Mohammad', 'Mohammad', 'Muhammad', 'Mohammed', 'Mohamad'),
  arabic: n('محمد', 'Mohammed', 'Muhammad', 'Mohamed', 'Mohamad', 'Mohammad'),
  'egypt-sudan': n('محمد', 'Mohamed', 'Mohamed', 'Mohammed', 'Muhammad'),
  maghreb: n('محمد', 'Mohamed', 'Mohammed', 'Mouhamed'),
  'south-asian': n('মোহাম্মদ', 'Md.', 'Md.', 'Md', 'Mohammad', 'Muhammad', 'Mohd'),
  'west-africa': n('Mohamed', 'Mohamed', 'Mohammed', 'Mouhamed', 'Muhammad'),
};
/** Sayed before a man's name (a descent from the Prophet's family), where the origin's registers write it. */
const SAYED: Partial<Record<LeadingOrigin, SpelledName>> = {
  afghan: n('سید', 'Sayed', 'Sayed', 'Syed', 'Seyed', 'Sayyid'),
  arabic: n('سيد', 'Sayyid', 'Sayed', 'Sayid'),
  'south-asian': n('সৈয়দ', 'Syed', 'Syed', 'Sayed', 'Sayyid'),
};
/** Its feminine before a woman's name; the origins without it record only men here. */
const SAYEDA: Partial<Record<LeadingOrigin, SpelledName>> = {
  afghan: n('سیده', 'Sayeda', 'Syeda', 'Seyeda'),
  arabic: n('سيدة', 'Sayyida', 'Sayeda'),
  'south-asian': n('সৈয়দা', 'Syeda', 'Syeda', 'Sayeda'),
};
/** The Bangladeshi title before a woman's name (as Md. before a man's), which normalisation drops (10.2). */
const MST = n('মোসাম্মৎ', 'Mst.', 'Mst.', 'Mst', 'Mosammat', 'Mosamat');

/** Of men whose origin writes Sayed, the share recorded with it (the rest with Muhammad). */
const SAYED_SHARE = 0.2;
/** Of South Asian women, the share recorded with the title Mst. (the rest with Syeda). */
const MST_SHARE = 0.7;

/** Abbreviations, which a register typing the leading name onto the called name keeps apart (Md.Rahim splits at the point; no one writes Mdrahim). */
const ABBREVIATED: ReadonlySet<string> = new Set(['Md.', 'Md', 'Mohd']);

/** The stand-in for the called name that tells which keys involve it: a token no pool name codes alike. */
const STAND_IN = 'Zzyzx';

/** Share of the persons given a namesake born the same day (same called name and family name), and a twin. */
const NAMESAKE_SHARE = 0.1;
const TWIN_SHARE = 0.05;

export const LEADING_NAME_PERSONS = 2000;
export const LEADING_REGISTER_RECORDS = 10_000;

/** How a distinct person resembles one of the measurement's persons. */
export type LeadingRelation = 'namesake' | 'twin';

export interface LeadingNameRecord {
  index: number;
  personId: number;
  origin: Origin;
  /** 'source' for a person's first record (and a look-alike's only one). */
  kind: LeadingNameKind | 'source';
  /** Set on look-alikes: the person they resemble, and how. */
  lookAlike?: { of: number; relation: LeadingRelation };
  /** The leading name the record carries, if any, as written, and how it meets the called name. */
  leading?: { family: LeadingFamily; written: string; typed: Typed };
  identifiers: Record<string, unknown>;
  /** With a leading name: the record without it; and (not Mst., a title) the record with a stand-in for the called name. */
  bare?: Record<string, unknown>;
  standIn?: Record<string, unknown>;
}

/** How the leading name meets the called name: a space, typed on keeping the capital (MohammadRahim, Md.Rahim), or solid (Mohammadrahim). */
type Typed = 'spaced' | 'joined' | 'solid';

interface LeadingPerson {
  id: number;
  pool: OriginPool;
  sex: 'female' | 'male';
  lead: { family: LeadingFamily; name: SpelledName };
  called: SpelledName;
  family: SpelledName;
  dob: Dob;
}

const LEADING_WORD = /^(Mohammad|Mohammed|Muhammad|Md\.?)\s+/;
const calledCache = new Map<readonly SpelledName[], readonly SpelledName[]>();

/**
 * The names a person of the pool is called by: not Muhammad itself (محمد,
 * Mamadou: no one is Muhammad Muhammad), and the South Asian pool's
 * "Mohammad Rahim" / "Md. Rahim" as Rahim, the leading name being what
 * this measurement writes or leaves out.
 */
function calledNames(names: readonly SpelledName[]): readonly SpelledName[] {
  let out = calledCache.get(names);
  if (out === undefined) {
    out = names
      .filter((x) => x.native !== 'محمد' && x.native !== 'Mamadou')
      .map((x) =>
        x.latin.length > 0 && x.latin.every((s) => LEADING_WORD.test(s))
          ? { native: x.native.split(' ').slice(1).join(' '), latin: x.latin.map((s) => s.replace(LEADING_WORD, '')) }
          : x,
      );
    calledCache.set(names, out);
  }
  return out;
}

/** A family name of the pool, or the father's given name where the pool has none or the person's register uses it (Afghan 40%). */
function drawFamily(pool: OriginPool, sex: LeadingPerson['sex'], rng: Rng): SpelledName {
  if (pool.family.length === 0 || rng.chance(pool.fatherAsFamily ?? 0)) return rng.pick(calledNames(pool.male));
  const e = rng.pick(pool.family);
  return Array.isArray(e) ? (e as readonly SpelledName[])[sex === 'male' ? 0 : 1]! : (e as SpelledName);
}

function drawLead(origin: LeadingOrigin, sex: LeadingPerson['sex'], rng: Rng): LeadingPerson['lead'] {
  if (sex === 'female') {
    if (origin === 'south-asian' && rng.chance(MST_SHARE)) return { family: 'mst', name: MST };
    return { family: 'sayeda', name: SAYEDA[origin]! };
  }
  const sayed = SAYED[origin];
  return sayed !== undefined && rng.chance(SAYED_SHARE) ? { family: 'sayed', name: sayed } : { family: 'muhammad', name: MUHAMMAD[origin] };
}

const poolsOf = (origins: readonly Origin[]) => ORIGINS.filter((o) => origins.includes(o.pool.origin));

function newPerson(id: number, rng: Rng, pools: readonly { pool: OriginPool; weight: number }[]): LeadingPerson {
  const pool = rng.weighted(pools.map((o) => ({ weight: o.weight, value: o.pool })));
  const origin = pool.origin as LeadingOrigin;
  // Only origins whose women carry a leading name (Sayeda, Mst.) record women here.
  const sex = SAYEDA[origin] !== undefined && rng.chance(0.5) ? 'female' : 'male';
  const lead = drawLead(origin, sex, rng);
  const called = rng.pick(calledNames(sex === 'male' ? pool.male : pool.female));
  return { id, pool, sex, lead, called, family: drawFamily(pool, sex, rng), dob: exactDob(rng) };
}

/** A Latin writing of the pool: typing a name onto another happens in Latin letters. */
function latinWriting(pool: OriginPool, w: Writing): Writing {
  return w.kind === 'native' ? { kind: 'habit', id: Object.keys(habitsOf(pool.origin) ?? { listed: 0 })[0]! } : w;
}

/** The leading name written `w`, not `avoid` (another spelling, where the pool has one), and no abbreviation if `full`. */
function writeLead(p: LeadingPerson, w: Writing, rng: Rng, o: { avoid?: string; full?: boolean } = {}): string {
  const ok = (s: string) => s !== o.avoid && !(o.full === true && ABBREVIATED.has(s));
  const s = write(p.lead.name, p.pool, w, rng);
  if (ok(s)) return s;
  const others = p.lead.name.latin.filter(ok);
  return others.length > 0 ? rng.pick(others) : s;
}

function givenField(lead: string | undefined, called: string, typed: Typed): string {
  if (lead === undefined) return called;
  if (typed === 'spaced') return `${lead} ${called}`;
  if (typed === 'joined') return `${lead}${called}`;
  return `${lead}${called[0]!.toLowerCase()}${called.slice(1)}`;
}

type DateHow = 'exact' | 'jan1' | 'assessed';

/** As the main population's dob-jan1-estimate and dob-age-assessed variants draw them (never undefined for these three). */
const dateOf = (p: LeadingPerson, how: DateHow, rng: Rng): Record<string, unknown> => renderDob(p.dob, how, rng)!;

class Recorder {
  readonly records: LeadingNameRecord[] = [];

  /** One record of `p` written `w`, with the leading name `lead` (as written) or without it. */
  add(
    p: LeadingPerson,
    kind: LeadingNameRecord['kind'],
    w: Writing,
    rng: Rng,
    o: { lead?: string; typed?: Typed; date?: DateHow; lookAlike?: LeadingNameRecord['lookAlike'] } = {},
  ): void {
    const called = write(p.called, p.pool, w, rng);
    const family = write(p.family, p.pool, w, rng);
    const typed = o.typed ?? 'spaced';
    const rest = { sex: rng.chance(0.9) ? p.sex : 'unknown', dateOfBirth: dateOf(p, o.date ?? 'exact', rng), nationalities: [p.pool.country] };
    const ids = (given: string) => ({ names: [{ given, family }], ...rest });
    // A title is no name: normalisation drops it, and there is no leading pair to tell apart.
    const name = o.lead !== undefined && p.lead.family !== 'mst';
    this.records.push({
      index: this.records.length,
      personId: p.id,
      origin: p.pool.origin,
      kind,
      ...(o.lookAlike !== undefined ? { lookAlike: o.lookAlike } : {}),
      ...(o.lead !== undefined ? { leading: { family: p.lead.family, written: o.lead, typed } } : {}),
      identifiers: ids(givenField(o.lead, called, typed)),
      ...(o.lead !== undefined ? { bare: ids(called) } : {}),
      ...(name ? { standIn: ids(givenField(o.lead, STAND_IN, typed)) } : {}),
    });
  }
}

/**
 * The persons (origins by weight) and their look-alikes: each person
 * recorded twice, by two writings of the pool (one, with a date variant),
 * one record with the leading name and one without (which one is drawn;
 * both, spelt differently, in written-differently), the kind saying what
 * else differs; some with a namesake born the same day and some with a twin,
 * each recorded once, with or without a leading name.
 */
export function generateLeadingNames(opts: { seed: number; persons: number }): LeadingNameRecord[] {
  const rng = new Rng(seededRandom(opts.seed ^ LEADING_NAMES_STREAM));
  const pools = poolsOf(LEADING_ORIGINS);
  const out = new Recorder();
  let nextId = 0;
  for (let i = 0; i < opts.persons; i++) {
    const p = newPerson(nextId++, rng, pools);
    const kind: LeadingNameKind = p.lead.family === 'mst' ? 'mst' : rng.weighted(KIND_WEIGHTS);
    const typed: Typed = kind === 'joined' ? 'joined' : kind === 'solid' ? 'solid' : 'spaced';
    let w1 = rng.pick(writingsOf(p.pool));
    // A date variant keeps the writing, as the main population's do: the
    // possible keys take reading A only (10.5), so another habit on top of
    // the date would measure the spellings, not the leading pair.
    let w2 = kind === 'left-out-date' ? w1 : otherWriting(p.pool, w1, rng);
    // Which of the two records carries the leading name, and which (in left-out-date) the date variant.
    const leadFirst = rng.chance(0.5);
    if (typed !== 'spaced' && leadFirst) w1 = latinWriting(p.pool, w1);
    if (typed !== 'spaced' && !leadFirst) w2 = latinWriting(p.pool, w2);
    const full = typed === 'solid';
    if (kind === 'written-differently') {
      const l1 = writeLead(p, w1, rng);
      out.add(p, 'source', w1, rng, { lead: l1 });
      out.add(p, kind, w2, rng, { lead: writeLead(p, w2, rng, { avoid: l1 }) });
    } else {
      const date: DateHow = kind === 'left-out-date' ? (rng.chance(0.5) ? 'jan1' : 'assessed') : 'exact';
      const dateFirst = rng.chance(0.5);
      out.add(p, 'source', w1, rng, { ...(leadFirst ? { lead: writeLead(p, w1, rng, { full }), typed } : {}), date: dateFirst ? date : 'exact' });
      out.add(p, kind, w2, rng, { ...(!leadFirst ? { lead: writeLead(p, w2, rng, { full }), typed } : {}), date: dateFirst ? 'exact' : date });
    }

    if (rng.chance(NAMESAKE_SHARE)) {
      // Another person called and named alike and born the same day: also a
      // man whose own given name is Muhammad with his father's name after it
      // (Mohammed Ali Haddad, son of Ali), which keys the same.
      const q: LeadingPerson = { ...p, id: nextId++ };
      const w = rng.pick(writingsOf(p.pool));
      out.add(q, 'source', w, rng, { ...(rng.chance(0.5) ? { lead: writeLead(q, w, rng) } : {}), lookAlike: { of: p.id, relation: 'namesake' } });
    }
    if (rng.chance(TWIN_SHARE)) {
      const names = calledNames(p.sex === 'male' ? p.pool.male : p.pool.female);
      const pair = p.pool.twinNames?.find(([a, b]) => a === p.called.native || b === p.called.native);
      const twinName = pair && rng.chance(0.7) ? (pair[0] === p.called.native ? pair[1] : pair[0]) : undefined;
      const others = names.filter((x) => x.native !== p.called.native);
      const q: LeadingPerson = { ...p, id: nextId++, called: names.find((x) => x.native === twinName) ?? rng.pick(others) };
      const w = rng.pick(writingsOf(p.pool));
      out.add(q, 'source', w, rng, { ...(rng.chance(0.5) ? { lead: writeLead(q, w, rng) } : {}), lookAlike: { of: p.id, relation: 'twin' } });
    }
  }
  return out.records;
}

/**
 * A register of `records` unrelated persons of the leading-name origins (by
 * weight), one record each, half of them with their leading name, dates of
 * birth exact and spread as the main population's: every pair it matches
 * is false.
 */
export function generateLeadingNameRegister(opts: { seed: number; records: number }): LeadingNameRecord[] {
  const rng = new Rng(seededRandom(opts.seed ^ LEADING_REGISTER_STREAM));
  const pools = poolsOf(LEADING_ORIGINS);
  const out = new Recorder();
  for (let i = 0; i < opts.records; i++) {
    const p = newPerson(i, rng, pools);
    const w = rng.pick(writingsOf(p.pool));
    out.add(p, 'source', w, rng, rng.chance(0.5) ? { lead: writeLead(p, w, rng) } : {});
  }
  return out.records;
}

// ---- scoring -----------------------------------------------------------------

/** One record's keys (keyId): stored, asked by a search for it, and of them those only the leading pair gives. */
interface Derived {
  stored: Set<string>;
  query: Set<string>;
  ruleStored: Set<string>;
  ruleQuery: Set<string>;
  /** The stored keys of the record without its leading name, where derived. */
  bareStored?: Set<string>;
}

interface Scored {
  /** Strongest key per matched pair (id min·n + max), as a strength rank. */
  best: Map<number, number>;
  /** The same without the keys only the leading pair gives. */
  bestWithout: Map<number, number>;
  derived: Derived[];
}

const parse = (ids: Record<string, unknown>) => parseIdentifiers(ids, { now: () => EVAL_NOW });
/** A key's encoding as a string to compare and index by (one character a byte: cheaper than hex, which a run of 30,000 derivations feels). */
const keyId = (k: MatchKey): string => Buffer.from(k.encoded.buffer, k.encoded.byteOffset, k.encoded.byteLength).toString('latin1');
/** Strength rank of every key seen, by keyId. */
const rankOf = new Map<string, number>();
function keySet(ks: readonly MatchKey[]): Set<string> {
  const out = new Set<string>();
  for (const k of ks) {
    const h = keyId(k);
    if (!rankOf.has(h)) rankOf.set(h, RANK[k.strength]);
    out.add(h);
  }
  return out;
}

const YEAR_TYPES: ReadonlySet<number> = new Set([MATCH_KEYS.types.phoneticPairYear.id, MATCH_KEYS.types.phoneticPairExactYear.id]);
const utf8 = new TextDecoder();
/** The code pair of a year key (0x21, 0x23), else undefined. */
function yearPair(k: MatchKey): string | undefined {
  const d = decodeMatchKey(k.encoded);
  return YEAR_TYPES.has(d.typeId) ? `${utf8.decode(d.fields[0])},${utf8.decode(d.fields[1])}` : undefined;
}

/**
 * The exact-date pair keys (0x11) of the record's given pair and joined
 * given name (10.4), the keys other than the leading pair's that involve the
 * called name: derived from records of the normalised tokens without roles,
 * whose one pair gets no typo variants. They can be keys the record without
 * the leading name holds too: a family name coded as the leading name
 * (Mohammad Hamid Mohammadi: the given pair is MHMT HMT, as Hamid
 * Mohammadi's first pair), or a typo variant of it (Syeda Zainab
 * Chaudhry: ST is one symbol from Chaudhry's code).
 */
function pairKeysWithCalledName(r: LeadingNameRecord): Set<string> {
  const entry = (r.identifiers['names'] as { given: string; family: string }[])[0]!;
  const given = normaliseNameField(entry.given);
  const family = normaliseNameField(entry.family);
  if (given.length < 2) return new Set();
  const dateOfBirth = r.identifiers['dateOfBirth'];
  const keys = (text: string) => deriveMatchKeys(parse({ names: [{ given: text }], dateOfBirth })).filter((k) => k.type === 'phoneticPairDob');
  return keySet([...keys(`${given[0]!} ${given[1]!}`), ...(family.length > 0 ? keys(`${given[0]!}${given[1]!} ${family[0]!}`) : [])]);
}

/**
 * A record's keys, and those only the leading pair gives it. Stored: those
 * that involve the called name (a stand-in in its place does not give
 * them), that the record without its leading name stores too (its first
 * pair is the called name's), and that are not the given pair's or the
 * joined given name's (pairKeysWithCalledName). A key the leading name
 * gives through a typo variant (Mohammad Ahmad: MHMT and AHMT are one
 * symbol apart) the stand-in gives too. Asked: those stored,
 * and the year keys (the one place queries differ, 10.5) of a code pair
 * whose stored year key is the leading pair's alone.
 */
function derive(r: LeadingNameRecord): Derived {
  const ids = parse(r.identifiers);
  const s = deriveMatchKeys(ids);
  const q = deriveQueryKeys(ids);
  const stored = keySet(s);
  const query = keySet(q);
  if (r.standIn === undefined) return { stored, query, ruleStored: new Set(), ruleQuery: new Set() };
  const standIn = keySet(deriveMatchKeys(parse(r.standIn)));
  const bare = keySet(deriveMatchKeys(parse(r.bare!)));
  const other = pairKeysWithCalledName(r);
  const ruleStored = new Set([...stored].filter((h) => !standIn.has(h) && bare.has(h) && !other.has(h)));
  const rulePairs = new Set<string>();
  for (const k of s) if (ruleStored.has(keyId(k))) rulePairs.add(yearPair(k) ?? '');
  rulePairs.delete('');
  const ruleQuery = new Set<string>();
  for (const k of q) {
    const h = keyId(k);
    if (ruleStored.has(h) || rulePairs.has(yearPair(k) ?? '')) ruleQuery.add(h);
  }
  return { stored, query, ruleStored, ruleQuery, bareStored: bare };
}

/** As evaluateMatching: every pair where one's query meets the other's stored keys; and again without the leading pair's keys. */
function score(records: readonly LeadingNameRecord[]): Scored {
  const index = new Map<string, { holders: number[]; askers: number[] }>();
  const entry = (h: string) => {
    let e = index.get(h);
    if (e === undefined) index.set(h, (e = { holders: [], askers: [] }));
    return e;
  };
  const derived = records.map(derive);
  for (const r of records) {
    for (const h of derived[r.index]!.stored) entry(h).holders.push(r.index);
    for (const h of derived[r.index]!.query) entry(h).askers.push(r.index);
  }
  const best = new Map<number, number>();
  const bestWithout = new Map<number, number>();
  const n = records.length;
  for (const [h, { holders, askers }] of index) {
    const rank = rankOf.get(h)!;
    for (const x of askers) {
      for (const y of holders) {
        if (x === y) continue;
        const id = Math.min(x, y) * n + Math.max(x, y);
        if ((best.get(id) ?? -1) < rank) best.set(id, rank);
        if (!derived[x]!.ruleQuery.has(h) && !derived[y]!.ruleStored.has(h) && (bestWithout.get(id) ?? -1) < rank) bestWithout.set(id, rank);
      }
    }
  }
  return { best, bestWithout, derived };
}

/** The strongest key one's query shares with the other's stored keys, either way round (-1: none). */
function pairRank(a: { stored: Set<string>; query: Set<string> }, b: { stored: Set<string>; query: Set<string> }): number {
  let best = -1;
  for (const [q, s] of [
    [a.query, b.stored],
    [b.query, a.stored],
  ] as const) {
    for (const h of q) if (s.has(h)) best = Math.max(best, rankOf.get(h)!);
  }
  return best;
}

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

export interface LeadingFalsePairs {
  /** False pairs at possible or stronger, and of them at probable or stronger. */
  possible: number;
  probable: number;
  /** Of them, those the leading pair alone makes: without its keys the pair would not match at that strength. */
  ruleOnlyPossible: number;
  ruleOnlyProbable: number;
  /**
   * Of those at probable, pairs of two records that both carry a leading
   * name (not Mst.): they meet through the leading name paired with the
   * family name (Md. Hassan Uddin / Md. Hussein Uddin), as they did before
   * the leading pair.
   */
  bothLeadingProbable: number;
}

const noFalsePairs = (): LeadingFalsePairs => ({ possible: 0, probable: 0, ruleOnlyPossible: 0, ruleOnlyProbable: 0, bothLeadingProbable: 0 });

function countFalse(f: LeadingFalsePairs, rank: number, without: number, bothLeading: boolean): void {
  f.possible++;
  if (without < RANK.possible) f.ruleOnlyPossible++;
  if (rank >= RANK.probable) {
    f.probable++;
    if (without < RANK.probable) f.ruleOnlyProbable++;
    if (bothLeading) f.bothLeadingProbable++;
  }
}

export interface LeadingRegisterFigures {
  records: number;
  /** Records with a leading name (Mst. not counted: a title), and of them those the leading pair gave keys. */
  leadingRecords: number;
  ruleFired: number;
  /** Pairs of records with the same date of birth: the pairs a probable key could join. */
  sameDayPairs: number;
  /** Every pair it matches is false. */
  falsePairs: LeadingFalsePairs;
  /** Twice the false pairs over the records, with and without the leading pair's keys. */
  falsePossiblePerRecord: number;
  falsePossiblePerRecordWithout: number;
  keysPerRecord: number;
}

export interface LeadingKindFigures {
  pairs: number;
  recall: Record<MatchKeyStrength, number>;
  /** Recall on the same records without the keys only the leading pair gives. */
  withoutRule: Record<MatchKeyStrength, number>;
  /** Recall of the same two records both written without their leading name: what their spellings and dates allow. */
  ceiling: Record<MatchKeyStrength, number>;
}

export interface LeadingNameFigures {
  seed: number;
  /** Persons, each recorded twice. */
  persons: number;
  records: number;
  /** Records of look-alikes (namesakes born the same day, twins), one each. */
  lookAlikeRecords: number;
  /** Records carrying a leading name (Mst. not counted: a title), and of them those the leading pair gave keys. */
  leadingRecords: number;
  ruleFired: number;
  /** Over all records: keys stored and keys asked by a search for one; over those with a leading name, the stored keys only the leading pair gives. */
  keysPerRecord: number;
  queryKeysPerRecord: number;
  ruleKeysPerLeadingRecord: number;
  byKind: Record<LeadingNameKind, LeadingKindFigures>;
  /** The left-out pairs by the leading name as the one record wrote it (Md., محمد, Syed …): pairs, and matched at probable with the rule, without it, and both written without it. */
  byLeadingName: Record<string, { pairs: number; probable: number; withoutRule: number; ceiling: number }>;
  /** False pairs at possible or stronger, all and by how the two are related (unrelated: neither resembles the other). */
  falsePairs: LeadingFalsePairs & { byRelation: Record<LeadingRelation | 'unrelated', LeadingFalsePairs> };
  falsePossiblePerRecord: number;
  register: LeadingRegisterFigures;
}

const dateOfRecord = (r: LeadingNameRecord) => (r.identifiers['dateOfBirth'] as { date: string }).date;
const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);

/** The leading-name measurement: `persons` (default LEADING_NAME_PERSONS) and a register of `registerRecords` (default LEADING_REGISTER_RECORDS). */
export function evaluateLeadingNames(opts: { seed?: number; persons?: number; registerRecords?: number } = {}): LeadingNameFigures {
  const seed = opts.seed ?? 20260601;
  const persons = opts.persons ?? LEADING_NAME_PERSONS;
  const records = generateLeadingNames({ seed, persons });
  const { best, bestWithout, derived } = score(records);
  const n = records.length;
  const pairId = (a: LeadingNameRecord, b: LeadingNameRecord) => Math.min(a.index, b.index) * n + Math.max(a.index, b.index);
  const at = (m: Map<number, number>, id: number, s: MatchKeyStrength) => (m.get(id) ?? -1) >= RANK[s];
  // A record as written without its leading name (itself, if it has none).
  const bareKeys = (r: LeadingNameRecord) =>
    r.bare === undefined
      ? derived[r.index]!
      : { stored: derived[r.index]!.bareStored ?? keySet(deriveMatchKeys(parse(r.bare))), query: keySet(deriveQueryKeys(parse(r.bare))) };

  const byKind = {} as LeadingNameFigures['byKind'];
  const byLeadingName: LeadingNameFigures['byLeadingName'] = {};
  for (const kind of LEADING_NAME_KINDS) {
    const pairs: { id: number; ceiling: number }[] = [];
    for (const r of records) {
      if (r.kind !== kind) continue;
      const src = records[r.index - 1]!;
      const p = { id: pairId(src, r), ceiling: pairRank(bareKeys(src), bareKeys(r)) };
      pairs.push(p);
      if (kind === 'left-out') {
        const written = (src.leading ?? r.leading)!.written;
        const x = (byLeadingName[written] ??= { pairs: 0, probable: 0, withoutRule: 0, ceiling: 0 });
        x.pairs++;
        if (at(best, p.id, 'probable')) x.probable++;
        if (at(bestWithout, p.id, 'probable')) x.withoutRule++;
        if (p.ceiling >= RANK.probable) x.ceiling++;
      }
    }
    const recall = {} as Record<MatchKeyStrength, number>;
    const withoutRule = {} as Record<MatchKeyStrength, number>;
    const ceiling = {} as Record<MatchKeyStrength, number>;
    for (const s of STRENGTHS) {
      recall[s] = ratio(pairs.filter((p) => at(best, p.id, s)).length, pairs.length);
      withoutRule[s] = ratio(pairs.filter((p) => at(bestWithout, p.id, s)).length, pairs.length);
      ceiling[s] = ratio(pairs.filter((p) => p.ceiling >= RANK[s]).length, pairs.length);
    }
    byKind[kind] = { pairs: pairs.length, recall, withoutRule, ceiling };
  }

  const falsePairs: LeadingNameFigures['falsePairs'] = { ...noFalsePairs(), byRelation: { namesake: noFalsePairs(), twin: noFalsePairs(), unrelated: noFalsePairs() } };
  for (const [id, rank] of best) {
    const a = records[Math.floor(id / n)]!;
    const b = records[id % n]!;
    if (a.personId === b.personId) continue;
    const without = bestWithout.get(id) ?? -1;
    const both = a.standIn !== undefined && b.standIn !== undefined;
    countFalse(falsePairs, rank, without, both);
    const rel = a.lookAlike?.of === b.personId ? a.lookAlike.relation : b.lookAlike?.of === a.personId ? b.lookAlike.relation : 'unrelated';
    countFalse(falsePairs.byRelation[rel], rank, without, both);
  }

  const leading = records.filter((r) => r.standIn !== undefined);
  return {
    seed,
    persons,
    records: n,
    lookAlikeRecords: records.filter((r) => r.lookAlike !== undefined).length,
    leadingRecords: leading.length,
    ruleFired: leading.filter((r) => derived[r.index]!.ruleStored.size > 0).length,
    keysPerRecord: sum(derived.map((d) => d.stored.size)) / n,
    queryKeysPerRecord: sum(derived.map((d) => d.query.size)) / n,
    ruleKeysPerLeadingRecord: sum(leading.map((r) => derived[r.index]!.ruleStored.size)) / Math.max(1, leading.length),
    byKind,
    byLeadingName,
    falsePairs,
    falsePossiblePerRecord: (2 * falsePairs.possible) / n,
    register: evaluateRegister(seed, opts.registerRecords ?? LEADING_REGISTER_RECORDS),
  };
}

function evaluateRegister(seed: number, size: number): LeadingRegisterFigures {
  const records = generateLeadingNameRegister({ seed, records: size });
  const { best, bestWithout, derived } = score(records);
  const n = records.length;
  const byDay = new Map<string, number>();
  for (const r of records) byDay.set(dateOfRecord(r), (byDay.get(dateOfRecord(r)) ?? 0) + 1);
  const falsePairs = noFalsePairs();
  for (const [id, rank] of best) {
    countFalse(falsePairs, rank, bestWithout.get(id) ?? -1, records[Math.floor(id / n)]!.standIn !== undefined && records[id % n]!.standIn !== undefined);
  }
  const leading = records.filter((r) => r.standIn !== undefined);
  return {
    records: n,
    leadingRecords: leading.length,
    ruleFired: leading.filter((r) => derived[r.index]!.ruleStored.size > 0).length,
    sameDayPairs: [...byDay.values()].reduce((s, k) => s + (k * (k - 1)) / 2, 0),
    falsePairs,
    falsePossiblePerRecord: ratio(2 * falsePairs.possible, n),
    falsePossiblePerRecordWithout: ratio(2 * (falsePairs.possible - falsePairs.ruleOnlyPossible), n),
    keysPerRecord: sum(derived.map((d) => d.stored.size)) / Math.max(1, n),
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);

const KIND_NOTES: Record<LeadingNameKind, string> = {
  'left-out': 'another habit, one record without the leading name (Md. Rahim Uddin / Rahim Uddin)',
  'written-differently': 'another habit, both with the leading name spelt differently (Md. / Mohammad, Syed / Sayed): keyed before the rule',
  'left-out-date': 'left out, the same habit, one record dated 1 January of the estimated year ± 1 or an age assessment: possible keys',
  joined: 'left out; the other typed onto the called name keeping its capital (MohammadRahim, Md.Rahim)',
  solid: 'left out; the other typed solid (Mohammadrahim): one token, the rule cannot see it',
  mst: 'a woman, one record with the title Mst./Mosammat (dropped), the other without: no leading pair involved',
};

function falseLine(label: string, f: LeadingFalsePairs): string {
  const cols = [f.possible, f.probable, f.ruleOnlyPossible, f.ruleOnlyProbable, f.bothLeadingProbable].map(String);
  return `${label.padEnd(12)} ${cols[0]!.padStart(8)}  ${cols[1]!.padStart(8)}  ${cols[2]!.padStart(26)}  ${cols[3]!.padStart(8)}  ${cols[4]!.padStart(33)}`;
}

/** The figures as a plain-text report, printed after the single-name measurement. */
export function formatLeadingNames(f: LeadingNameFigures): string {
  const lines: string[] = [];
  lines.push('leading names (supplementary: the leading pair, 10.4; own random streams, the figures above are unchanged)');
  lines.push(
    `seed ${f.seed}: ${f.persons} persons (${LEADING_ORIGINS.join(', ')} by weight), each recorded twice, one record with a leading name (Muhammad, Md., Mohd, محمد, Sayed, Syeda, or the title Mst.) and one without or spelt otherwise; ${f.records} records, ${f.lookAlikeRecords} of them look-alikes born the same day`,
  );
  lines.push(
    `${f.keysPerRecord.toFixed(2)} keys per record, ${f.queryKeysPerRecord.toFixed(2)} asked by a search for one; ${f.ruleFired} of the ${f.leadingRecords} records with a leading name (not Mst.) get keys from the leading pair, ${f.ruleKeysPerLeadingRecord.toFixed(2)} per such record`,
  );
  lines.push('');
  lines.push('recall: with the leading pair, without its keys (on the same records), and with both records written without the leading name');
  lines.push('true pairs by kind      pairs  probable  possible   without: probable  possible   both without: probable  possible');
  for (const k of LEADING_NAME_KINDS) {
    const x = f.byKind[k];
    const cols = [x.recall.probable, x.recall.possible, x.withoutRule.probable, x.withoutRule.possible, x.ceiling.probable, x.ceiling.possible].map(pct);
    lines.push(
      `${k.padEnd(20)} ${String(x.pairs).padStart(8)}  ${cols[0]!.padStart(8)}  ${cols[1]!.padStart(8)}  ${cols[2]!.padStart(17)}  ${cols[3]!.padStart(8)}  ${cols[4]!.padStart(22)}  ${cols[5]!.padStart(8)}  ${KIND_NOTES[k]}`,
    );
  }
  lines.push('');
  lines.push('left out, by the leading name as written   pairs  probable  without  both without');
  const names = Object.entries(f.byLeadingName).sort(([a, x], [b, y]) => y.pairs - x.pairs || (a < b ? -1 : a > b ? 1 : 0));
  for (const [written, x] of names) {
    lines.push(
      `  ${written.padEnd(40)} ${String(x.pairs).padStart(6)}  ${pct(ratio(x.probable, x.pairs)).padStart(8)}  ${pct(ratio(x.withoutRule, x.pairs)).padStart(7)}  ${pct(ratio(x.ceiling, x.pairs)).padStart(12)}`,
    );
  }
  lines.push('');
  lines.push('false pairs  possible  probable  only by the leading pair: possible  probable  at probable, both with a leading name');
  lines.push(falseLine('all', f.falsePairs));
  for (const rel of ['namesake', 'twin', 'unrelated'] as const) lines.push(falseLine(`  ${rel}`, f.falsePairs.byRelation[rel]));
  lines.push(
    `  ${f.falsePossiblePerRecord.toFixed(3)} false possible pairs per record: namesakes and twins by the shares generated (${100 * NAMESAKE_SHARE}%, ${100 * TWIN_SHARE}%), unrelated pairs mostly through the year keys of the 1 January and assessed dates; the register below is the size-bound reading`,
  );
  const r = f.register;
  lines.push(
    `register of ${r.records} unrelated records (same origins by weight, half with their leading name, dates as the main population's, exact): ${r.sameDayPairs} pairs born the same day; ${r.ruleFired} of ${r.leadingRecords} records with a leading name get keys from the leading pair`,
  );
  lines.push(
    `  false pairs ${r.falsePairs.possible} (${r.falsePairs.probable} at probable), of them only by the leading pair ${r.falsePairs.ruleOnlyPossible} (${r.falsePairs.ruleOnlyProbable} at probable); ${r.falsePairs.bothLeadingProbable} at probable between two records with a leading name, which meet through it paired with the family name`,
  );
  lines.push(
    `  ${r.falsePossiblePerRecord.toFixed(3)} false possible pairs per record (${r.falsePossiblePerRecordWithout.toFixed(3)} without the leading pair's keys), ${r.keysPerRecord.toFixed(2)} keys per record; per record in proportion to the register's size, pairs with its square`,
  );
  return lines.join('\n');
}
