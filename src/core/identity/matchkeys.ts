/**
 * Match keys: the values a node turns into OPRF tokens (RFC 9497) and
 * compares blind. A searching node and an answering node derive identical
 * keys from the same identifiers, so derivation is deterministic, total over
 * parsed identifiers, order-independent and deduplicated. The types, their
 * fields and encodings are specified in protocol/10-identifiers.md.
 *
 * Strength says what a shared key means:
 *  - strong:   the same identifier (document, phone, e-mail, handle, file).
 *  - probable: the same name, phonetically, and the same day of birth.
 *  - possible: a looser coincidence worth a human look (day and month
 *              swapped, a birth year where one side's date is an
 *              estimate, or a single name and its day of birth). There is no
 *              typo-and-year key: it cost a third of all tokens and
 *              two in five false possible matches for 0.6 points of recall
 *              (protocol/10-identifiers.md, 10.5). Nor is there an
 *              exact-spelling key: every pair it matched, the phonetic
 *              pair key matched too; and typo variants share the phonetic
 *              pair's type, so the exact pair is one token, not two.
 *
 * The year keys are the one place where a query asks for other keys than a
 * record stores (deriveQueryKeys): a record with an exact date stores its
 * year as 0x23, one with an estimate stores each candidate year as 0x21;
 * every query asks 0x21, and only a query whose own date is an estimate
 * asks 0x23. So an estimate meets exact dates and estimates of its years,
 * while two exact dates never meet on their year alone: that pair is two
 * people born on different days, unless day and month were swapped, which
 * the unordered-date key (0x20) catches (10.5, 10.7).
 */
import type { Identifiers } from '../../../schemas/identifiers.js';
import { MATCH_KEYS } from '../constants.js';
import { CairnError } from '../errors.js';
import { fromHex, toHex } from '../bytes.js';
import { encodeMatchKey } from './encoding.js';
import { formatDate, formatYear, keyDates } from './dates.js';
import { codePairs, nameForms, typoNeighbourhood } from './name-forms.js';
import { phoneticReadings } from './phonetic.js';
import {
  canonicalPlatform,
  normaliseDocumentNumber,
  normaliseEmail,
  normaliseFileSha256,
  normaliseHandle,
  normalisePhone,
  type Normalised,
} from './normalise-contact.js';

export type MatchKeyStrength = (typeof MATCH_KEYS.strengths)[number];
export type MatchKeyType = keyof typeof MATCH_KEYS.types;

/** What a key type is: its wire id, strength, ordered fields and meaning. */
export interface MatchKeyTypeInfo {
  id: number;
  strength: MatchKeyStrength;
  fields: readonly string[];
  description: string;
}

const info = (
  type: MatchKeyType,
  fields: readonly string[],
  description: string,
): MatchKeyTypeInfo => ({ ...MATCH_KEYS.types[type], fields, description });

/** Every match key type, with the documentation protocol/10-identifiers.md repeats. */
export const MATCH_KEY_TYPES: { readonly [K in MatchKeyType]: MatchKeyTypeInfo } = {
  document: info('document', ['documentType', 'issuingCountry', 'number'], 'Identity document: type, issuing country, normalised number.'),
  phone: info('phone', ['e164'], 'Phone number in E.164.'),
  email: info('email', ['address'], 'E-mail address, trimmed and lower-cased, domain in IDNA ASCII; dots and +tags kept.'),
  handle: info('handle', ['platform', 'handle'], 'Online handle: canonical platform slug and lower-cased handle without "@".'),
  fileSha256: info('fileSha256', ['digest'], 'SHA-256 digest of a file (32 raw bytes).'),
  phoneticPairDob: info('phoneticPairDob', ['codeA', 'codeB', 'date'], 'CPH1 codes of a given/family token pair (sorted) and the exact date of birth; for the first given name and each family token also with one code replaced by a member of its typo neighbourhood, so the key survives one typo in either name.'),
  phoneticPairDobUnordered: info('phoneticPairDobUnordered', ['codeA', 'codeB', 'dateUnordered'], 'Reading-A CPH1 token pair (sorted) and an exact date with day and month as an unordered pair (YYYY-lo-hi), for dates whose day is at most 12 and differs from the month: survives day/month swaps.'),
  phoneticPairYear: info('phoneticPairYear', ['codeA', 'codeB', 'year'], 'Reading-A CPH1 token pair and one candidate birth year of a date that is not exact (an estimate, a 1 January placeholder, a month or a year); stored by such records, asked by every query.'),
  phoneticPairExactYear: info('phoneticPairExactYear', ['codeA', 'codeB', 'year'], 'Reading-A CPH1 token pair and the year of an exact date of birth; stored by records with an exact date, asked only by queries whose date is not exact (one per candidate year).'),
  phoneticSingleDob: info('phoneticSingleDob', ['code', 'date'], 'CPH1 code of a name form that is one token (a single name, or a name whose other parts were placeholders such as FNU or Unknown) and the exact date of birth; meets only other single names.'),
};

/** Rank of a strength: its place in MATCH_KEYS.strengths, weakest (0) first. */
export const strengthRank = (s: MatchKeyStrength): number => MATCH_KEYS.strengths.indexOf(s);

/** True if `s` is at least as strong as `min`. */
export const strengthAtLeast = (s: MatchKeyStrength, min: MatchKeyStrength): boolean => strengthRank(s) >= strengthRank(min);

/** The strongest of `strengths`; undefined when there is none. */
export function strongestOf(strengths: Iterable<MatchKeyStrength>): MatchKeyStrength | undefined {
  let best: MatchKeyStrength | undefined;
  for (const s of strengths) if (best === undefined || strengthRank(s) > strengthRank(best)) best = s;
  return best;
}

/** One derived key. `encoded` is the canonical encoding (encoding.ts). */
export interface MatchKey {
  type: MatchKeyType;
  version: number;
  strength: MatchKeyStrength;
  encoded: Uint8Array;
}

class KeySet {
  private readonly byHex = new Map<string, MatchKey>();

  add(type: MatchKeyType, fields: readonly (string | Uint8Array)[]): void {
    const t = MATCH_KEY_TYPES[type];
    const encoded = encodeMatchKey(t.id, fields);
    const hex = toHex(encoded);
    if (!this.byHex.has(hex)) this.byHex.set(hex, { type, version: MATCH_KEYS.version, strength: t.strength, encoded });
  }

  // Sorted by encoding (type id first, as it is byte 9), so equal inputs
  // give equal arrays whatever their order.
  sorted(): MatchKey[] {
    return [...this.byHex.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, k]) => k);
  }
}

function must(n: Normalised, field: string): string {
  if (n.ok) return n.value;
  throw new CairnError('identifier_invalid', `${field}: ${n.problem} (derive keys from parseIdentifiers output)`, {
    location: { field },
  });
}

const PLAIN_KH = { plainKh: true } as const;

/** Family tokens whose pairs with the given name get typo variants. */
const TYPO_FAMILY_TOKENS = 1;

const sortedPair = (a: string, b: string): [string, string] => (a <= b ? [a, b] : [b, a]);

function addStrongKeys(ids: Identifiers, keys: KeySet): void {
  (ids.documents ?? []).forEach((d, i) => {
    keys.add('document', [d.type, d.issuingCountry, must(normaliseDocumentNumber(d), `documents[${i}].number`)]);
  });
  (ids.phones ?? []).forEach((p, i) => keys.add('phone', [must(normalisePhone(p), `phones[${i}].number`)]));
  (ids.emails ?? []).forEach((e, i) => keys.add('email', [must(normaliseEmail(e), `emails[${i}]`)]));
  (ids.handles ?? []).forEach((h, i) => {
    keys.add('handle', [canonicalPlatform(h.platform), must(normaliseHandle(h), `handles[${i}].handle`)]);
  });
  for (const d of ids.fileSha256 ?? []) keys.add('fileSha256', [fromHex(normaliseFileSha256(d), 'fileSha256')]);
}

/** Which keys to derive: those a record stores, or those a search asks for (they differ in the year keys only). */
type KeySide = 'record' | 'query';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** The year keys of one code pair (10.5): a record stores 0x23 for an exact date's year or 0x21 per year of an estimate; a query asks 0x21, and 0x23 too when its date is an estimate. */
function addYearKeys(keys: KeySet, side: KeySide, a: string, b: string, exact: { year: number } | undefined, years: readonly string[]): void {
  if (side === 'record') {
    if (exact !== undefined) keys.add('phoneticPairExactYear', [a, b, formatYear(exact.year)]);
    else for (const y of years) keys.add('phoneticPairYear', [a, b, y]);
  } else {
    for (const y of years) keys.add('phoneticPairYear', [a, b, y]);
    if (exact === undefined) for (const y of years) keys.add('phoneticPairExactYear', [a, b, y]);
  }
}

function addNameKeys(ids: Identifiers, keys: KeySet, side: KeySide): void {
  const dates = keyDates(ids.dateOfBirth);
  const exact = dates.exact;
  const years = dates.years.map(formatYear);
  const date = exact === undefined ? undefined : formatDate(exact);
  // Only a date that could have been written the other way round needs the
  // unordered key: with a day over 12, or day equal to month, any record
  // sharing the unordered key shares the exact date too.
  const unordered =
    exact === undefined || exact.day > 12 || exact.day === exact.month
      ? undefined
      : `${formatYear(exact.year)}-${pad2(Math.min(exact.month, exact.day))}-${pad2(Math.max(exact.month, exact.day))}`;

  for (const form of nameForms(ids.names ?? [])) {
    // A name of one token (a mononym; an initial and a name, R. Priya; a
    // family name the register did not know, Ahmad LNU) has no pair. It
    // meets other single names born the same day, at possible: one name
    // and a birthday is a coincidence worth a look, not a person. Both
    // readings, like 0x11; no typo variants and no year keys, which would
    // join every namesake of a year (10.5, 10.7).
    if (form.pairs.length === 0 && form.tokens.length === 1 && date !== undefined) {
      const r = phoneticReadings(form.tokens[0]!);
      keys.add('phoneticSingleDob', [r.a, date]);
      if (r.b !== undefined) keys.add('phoneticSingleDob', [r.b, date]);
    }
    for (const [pairIndex, pair] of form.pairs.entries()) {
      if (date !== undefined) for (const [a, b] of codePairs(pair)) keys.add('phoneticPairDob', [a, b, date]);
      // The possible keys take the reading-A code pair only, with an initial
      // kh read as H: reading B as well cost 0.49 keys per record and 1.8
      // points of possible precision for 2.4 and 1.6 points of possible
      // recall on 1 January estimates and age assessments (10.7).
      const [a, b] = codePairs(pair, PLAIN_KH)[0]!;
      // No unordered date for a second or later family token of a form
      // with roles (10.4): in 10.7's population those keys found one more
      // swapped pair in 607, for 0.03 keys per record.
      const laterFamily = form.given !== undefined && pairIndex > 0;
      if (unordered !== undefined && !laterFamily) keys.add('phoneticPairDobUnordered', [a, b, unordered]);
      addYearKeys(keys, side, a, b, exact, years);
    }
    // The given pair (10.4) serves patronymic chains written with the same
    // date of birth; it gets no year keys, which cost tokens and matched few
    // chains that the family pairs did not. Both its code pairs: reading B
    // (Somali Jaamac = Jama) cost 0.04 keys per record for 0.17 points of
    // recall, with no false pair (10.7).
    if (form.givenPair !== undefined && date !== undefined) {
      for (const [a, b] of codePairs(form.givenPair)) keys.add('phoneticPairDob', [a, b, date]);
    }
    // The joined given name (10.4) meets a record that holds the two given
    // names as one word (Mariamshabnam), paired with the first family token
    // on both readings and with the exact date only: a second variation on
    // top of a lost space is rare, and the year keys would cost a token each.
    if (form.joinedGiven !== undefined && date !== undefined) {
      for (const [a, b] of codePairs([form.joinedGiven, form.family[0]!])) keys.add('phoneticPairDob', [a, b, date]);
    }
    // The joined family name is the same join for a record whose given and
    // family names were swapped (written family name first): pairs are
    // unordered, so without it a swap would lose the joined name's match.
    // Both readings, like the joined given name (10.7 has what each cost).
    if (form.joinedFamily !== undefined && form.given !== undefined && date !== undefined) {
      for (const [a, b] of codePairs([form.joinedFamily, form.given])) keys.add('phoneticPairDob', [a, b, date]);
    }
    // The pair a record without its leading name holds (Rahim Uddin for
    // Md. Rahim Uddin): the exact pair on both readings and the possible
    // keys, as the first pair gets them, but no typo variants (10.4).
    if (form.leadingPair !== undefined) {
      if (date !== undefined) for (const [a, b] of codePairs(form.leadingPair)) keys.add('phoneticPairDob', [a, b, date]);
      const [a, b] = codePairs(form.leadingPair, PLAIN_KH)[0]!;
      if (unordered !== undefined) keys.add('phoneticPairDobUnordered', [a, b, unordered]);
      addYearKeys(keys, side, a, b, exact, years);
    }
    // A second reading of Hebrew letters meets a Latin spelling of the name
    // exactly; a typo on top of a reading is two differences, and its
    // variants would triple a Hebrew name's keys (10.7).
    if (form.given === undefined || date === undefined || form.hebrewReading) continue;
    // Typo variants are built on the A readings of both tokens and on their
    // B readings (a token without one counts with its A reading), not on
    // mixed pairs: a typo is caught where both records follow one reading.
    // Nor do the typo variants read an initial kh as k: a typo on top of a
    // dropped h is two differences; with the year keys they cost 0.08 keys per record (10.7).
    const g = phoneticReadings(form.given, PLAIN_KH);
    for (const f of form.family.slice(0, TYPO_FAMILY_TOKENS)) {
      const fr = phoneticReadings(f, PLAIN_KH);
      const readings: [string, string][] = [[g.a, fr.a]];
      if (g.b !== undefined || fr.b !== undefined) readings.push([g.b ?? g.a, fr.b ?? fr.a]);
      for (const [gc, fc] of readings) {
        // Unordered, like phoneticPairDob, so a swapped record with a typo still matches.
        // A Vietnamese compound given name (10.4) gets no variants: twins
        // share its first syllable, and a deletion or substitution in the
        // second joins Minh Đức and Minh Tuấn as readily as a typo (10.7).
        const near = [
          ...(f === form.vietnameseCompound ? [fc] : typoNeighbourhood(fc)).map((v) => sortedPair(gc, v)),
          ...(form.given === form.vietnameseCompound ? [gc] : typoNeighbourhood(gc)).map((v) => sortedPair(v, fc)),
        ];
        // The same type as the exact pair: a deletion variant on one side
        // must meet the exact code on the other, and the exact pair, a
        // member of both neighbourhoods, is then one key instead of two.
        for (const [a, b] of near) keys.add('phoneticPairDob', [a, b, date]);
      }
    }
  }
}

/**
 * Derive every match key a record of these identifiers stores (and turns
 * into tokens), deduplicated and sorted by encoding. Expects the output of
 * parseIdentifiers; given identifiers that would not parse, it throws
 * CairnError('identifier_invalid').
 */
export function deriveMatchKeys(ids: Identifiers): MatchKey[] {
  return derive(ids, 'record');
}

/**
 * Derive every match key a search for these identifiers asks for. They are
 * the keys a record of them stores, except the year keys: a query asks the
 * estimates' year keys (0x21) of its years, and, when its own date is not
 * exact, the exact dates' year keys (0x23) of those years too.
 */
export function deriveQueryKeys(ids: Identifiers): MatchKey[] {
  return derive(ids, 'query');
}

function derive(ids: Identifiers, side: KeySide): MatchKey[] {
  const keys = new KeySet();
  addStrongKeys(ids, keys);
  addNameKeys(ids, keys, side);
  return keys.sorted();
}

/** Thrown by FirstKey at the first key derived. */
const FOUND = Symbol('a match key');

/** A KeySet that stops the derivation at its first key. */
class FirstKey extends KeySet {
  override add(): void {
    throw FOUND;
  }
}

/**
 * Whether a record of these identifiers stores any match key: the same
 * derivation as deriveMatchKeys, stopped at the first key, so it costs a
 * fraction of it (no typo neighbourhoods, encodings or sorting) and can
 * never disagree with it.
 */
export function hasMatchKey(ids: Identifiers): boolean {
  try {
    const keys = new FirstKey();
    addStrongKeys(ids, keys);
    addNameKeys(ids, keys, 'record');
  } catch (e) {
    if (e === FOUND) return true;
    throw e;
  }
  return false;
}
