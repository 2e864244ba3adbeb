/**
 * Name forms: the normalised views of a record's names that keys are built
 * from. Each name entry gives one form with roles (given / family /
 * patronymic); a name in Hebrew letters up to three more, its other
 * readings of ב כ פ (hebrewReadings); each alias one more, with the entry's
 * family name if the alias is a single word ("Sasha"), otherwise without
 * roles.
 */
import type { NameEntry } from '../../../schemas/identifiers.js';
import { normaliseName, normaliseNameField } from './normalise-name.js';
import { hasHebrewLetter } from './transliterate.js';
import { LONG_VOWEL_MARKS, phoneticReadings, type ReadingOptions } from './phonetic.js';
import { VIETNAMESE_FAMILY_NAMES } from './particles.js';

/** Cap on name forms per record (entries and aliases, in input order). */
export const MAX_NAME_FORMS = 20;
/** Cap on family tokens paired with the given name. */
export const MAX_FAMILY_TOKENS = 4;
/** Cap on tokens of a role-less form taking part in pairs. */
export const MAX_ROLELESS_TOKENS = 5;
/**
 * Reading-A CPH1 codes of the names written or left out before the name a
 * person is called by: MHMT (Muhammad, Mohammed, Mohamed, Md., Mehmet,
 * محمد) and ST (Sayed, Syed, Seyyed, Sayyida, Sidi, سید; Said too).
 */
export const LEADING_NAME_CODES: ReadonlySet<string> = new Set(['MHMT', 'ST']);

export interface NameForm {
  /** All tokens, sorted, without duplicates. */
  tokens: string[];
  /** Unordered token pairs keys are built on, each pair as given. */
  pairs: [string, string][];
  /**
   * The first and second given tokens, when the given name has two or more:
   * in patronymic naming the second is often the father's name, which
   * another register records as the family name.
   */
  givenPair?: [string, string];
  /**
   * The first two given tokens written as one (Mariam Shabnam →
   * mariamshabnam), when the given name has two or more: a register that
   * lost the space between them, without the second capital that would
   * split them again (10.2), holds this one token.
   */
  joinedGiven?: string;
  /**
   * The first two family tokens written as one, when the family name has
   * two or more: the joined given name of a record with given and family
   * names swapped (Faarax / Mohammed Farah against Mohammedfaarah / Farah).
   */
  joinedFamily?: string;
  /**
   * The Vietnamese compound given name this form joined (10.4), if any:
   * it gets no typo variants, since twins share its first syllable and
   * their second syllables often differ by one code symbol.
   */
  vietnameseCompound?: string;
  /**
   * The second given token and the first family token, when the first given
   * token is a leading name (LEADING_NAME_CODES: Muhammad and its spellings,
   * Md.; Sayed, Syed, Seyyed): registers write or leave out such a name
   * before the name a person is called by (Md. Rahim Uddin / Rahim Uddin),
   * and only the first given token is paired with the family name.
   */
  leadingPair?: [string, string];
  /**
   * A second reading of a name in Hebrew letters (10.4, "Hebrew readings"):
   * its pairs get no typo variants, which the entry's first form has.
   */
  hebrewReading?: true;
  /** First given token, when the form has roles and both given and family names. */
  given?: string;
  /** Family tokens (at most MAX_FAMILY_TOKENS), when `given` is set. */
  family: string[];
}

const uniqueSorted = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

function rolelessPairs(tokens: readonly string[]): [string, string][] {
  const t = tokens.slice(0, MAX_ROLELESS_TOKENS);
  return t.slice(1).map((x) => [t[0]!, x] as [string, string]);
}

/** True if `a` becomes `b` by one substitution, insertion, deletion or swap of adjacent letters. */
export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    const swapped = a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
    return swapped || a.slice(i + 1) === b.slice(i + 1);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/**
 * The listed Vietnamese family name a token stands for, also when a
 * register mistyped it (Nguyewn, Hàong, Bsui): the token itself if listed,
 * or the listed name (of four or more letters) a token of three or more
 * letters with the same first letter is one edit from, or the listed name
 * of three letters a four-letter token with its first letter is one
 * inserted letter from. Shorter names are left exact: one edit joins too
 * many unrelated words to them (Le/Lee, Vo/Von). The first letter must
 * agree, as registrars rarely mistype it and Khan, the commonest Afghan
 * and South Asian family name, is one letter from Phan.
 */
function vietnameseFamily(t: string): string | undefined {
  if (VIETNAMESE_FAMILY_NAMES.has(t)) return t;
  if (t.length < 3) return undefined;
  for (const n of VIETNAMESE_FAMILY_NAMES) {
    if (n[0] !== t[0]) continue;
    if (n.length >= 4 ? oneEditApart(t, n) : n.length === 3 && t.length === 4 && oneEditApart(t, n)) return n;
  }
  return undefined;
}

/**
 * Vietnamese compound given names are one name written spaced, joined or
 * hyphenated (Minh Tuấn, Minhtuan, Minh-Tuan), and twins often share the
 * first syllable: next to a Vietnamese family name, the given (or, written
 * family name first, the family) tokens are joined into one. A mistyped
 * family name is then written as the listed name it is one edit from (the
 * first in list order): the family names are a short closed list, so the
 * correction restores the key a typo would break even for a one-letter code
 * (Bsui / Bùi).
 */
function joinVietnameseGiven(given: string[], family: string[]): [string[], string[], string | undefined] {
  if (given.length >= 2) {
    const listed = family.map(vietnameseFamily);
    if (listed.some((n) => n !== undefined)) {
      const compound = withoutMistypedMiddle(given).join('');
      return [[compound], family.map((f, i) => listed[i] ?? f), compound];
    }
  }
  if (family.length >= 2 && given.length === 1) {
    const listed = vietnameseFamily(given[0]!);
    if (listed !== undefined) {
      const compound = withoutMistypedMiddle(family).join('');
      return [[listed], [compound], compound];
    }
  }
  return [given, family, undefined];
}

/**
 * The Vietnamese given name without a leading Văn or Thị that a register
 * mistyped (Vn, Vanj, Vărn; Th, Thii), which normalisation would have dropped
 * as a particle had it been typed right. Văn: one edit from "van" keeping
 * its v; Thị: one letter inserted into or deleted from "thi" keeping its t
 * (a substitution would take given syllables such as Thu, Thy, Tài).
 */
function withoutMistypedMiddle(tokens: string[]): string[] {
  const t = tokens[0]!;
  const mistyped = (t[0] === 'v' && oneEditApart(t, 'van')) || (t[0] === 't' && t.length !== 3 && oneEditApart(t, 'thi'));
  return mistyped && tokens.length >= 2 ? tokens.slice(1) : tokens;
}

function formWithRoles(givenIn: string[], familyIn: string[], patronymic: string[]): NameForm | undefined {
  const [given, family, compound] = joinVietnameseGiven(givenIn, familyIn);
  const all = [...given, ...patronymic, ...family];
  if (all.length === 0) return undefined;
  if (given.length > 0 && family.length > 0) {
    const fam = family.slice(0, MAX_FAMILY_TOKENS);
    // Only the first given name is paired with family names: later given
    // words are often a father's name or patronymic, which twins share.
    return {
      tokens: uniqueSorted(all),
      pairs: fam.map((f) => [given[0]!, f]),
      given: given[0]!,
      family: fam,
      ...(given.length >= 2 && given[1] !== given[0] ? { givenPair: [given[0]!, given[1]!] as [string, string] } : {}),
      ...(given.length >= 2 ? { joinedGiven: given[0]! + given[1]! } : {}),
      ...(family.length >= 2 ? { joinedFamily: family[0]! + family[1]! } : {}),
      ...(compound !== undefined ? { vietnameseCompound: compound } : {}),
      ...(given.length >= 2 && given[1] !== given[0] && LEADING_NAME_CODES.has(phoneticReadings(given[0]!).a)
        ? { leadingPair: [given[1]!, fam[0]!] as [string, string] }
        : {}),
    };
  }
  return { tokens: uniqueSorted(all), pairs: rolelessPairs(all), family: [] };
}

type Fields = { given: string[]; family: string[]; patronymic: string[] };
const FIELDS = ['given', 'family', 'patronymic'] as const;

/**
 * The other readings of a name entry written in Hebrew letters (10.2 step
 * 4, HebrewReading): unpointed ב כ פ may be hard or soft, and one name may
 * hold both (Rivka Goldberg), so each token whose hard reading differs is
 * a choice. With one or two such tokens, every choice but the all-soft one
 * (`soft`, the entry's form already); with more, all of them hard.
 */
function hebrewReadings(e: NameEntry, soft: Fields): Fields[] {
  const raw = { given: e.given, family: e.family, patronymic: e.patronymic };
  if (!FIELDS.some((f) => raw[f] !== undefined && hasHebrewLetter(raw[f]))) return [];
  const hard: Fields = { given: [], family: [], patronymic: [] };
  for (const f of FIELDS) hard[f] = raw[f] === undefined ? [] : normaliseName(raw[f], 'hard').tokens;
  // A choice: one token, or a whole field where the readings split it differently.
  const choices: ((x: Fields) => void)[] = [];
  for (const f of FIELDS) {
    if (soft[f].length !== hard[f].length) choices.push((x) => (x[f] = hard[f]));
    else for (let i = 0; i < soft[f].length; i++) if (soft[f][i] !== hard[f][i]) choices.push((x) => (x[f][i] = hard[f][i]!));
  }
  const picks = choices.length <= 2 ? [[0], [1], [0, 1]].filter((p) => p.every((i) => i < choices.length)) : [choices.map((_, i) => i)];
  return picks.map((p) => {
    const x: Fields = { given: [...soft.given], family: [...soft.family], patronymic: [...soft.patronymic] };
    for (const i of p) choices[i]!(x);
    return x;
  });
}

/** The name forms of a record's name entries (see module header). */
export function nameForms(entries: readonly NameEntry[]): NameForm[] {
  const forms: NameForm[] = [];
  const push = (f: NameForm | undefined) => {
    if (f !== undefined && forms.length < MAX_NAME_FORMS) forms.push(f);
  };
  for (const e of entries) {
    const soft: Fields = {
      given: e.given === undefined ? [] : normaliseNameField(e.given),
      family: e.family === undefined ? [] : normaliseNameField(e.family),
      patronymic: e.patronymic === undefined ? [] : normaliseNameField(e.patronymic),
    };
    push(formWithRoles(soft.given, soft.family, soft.patronymic));
    for (const r of hebrewReadings(e, soft)) {
      const f = formWithRoles(r.given, r.family, r.patronymic);
      push(f && { ...f, hebrewReading: true });
    }
    for (const alias of e.aliases ?? []) {
      const a = normaliseNameField(alias);
      if (a.length === 1) push(formWithRoles(a, soft.family, []));
      else if (a.length > 1) push({ tokens: uniqueSorted(a), pairs: rolelessPairs(a), family: [] });
    }
  }
  return forms;
}

/**
 * Phonetic code pairs of a token pair, each sorted: the A readings of both,
 * and the B readings of both (a token without a B reading counts with its A
 * reading). Mixed pairs are left out: one register writes a whole name by
 * one habit.
 */
export function codePairs([a, b]: readonly [string, string], opts: ReadingOptions = {}): [string, string][] {
  const x = phoneticReadings(a, opts);
  const y = phoneticReadings(b, opts);
  const sorted = (p: string, q: string): [string, string] => (p <= q ? [p, q] : [q, p]);
  const out: [string, string][] = [sorted(x.a, y.a)];
  if (x.b !== undefined || y.b !== undefined) out.push(sorted(x.b ?? x.a, y.b ?? y.a));
  return out;
}

/**
 * The typo neighbourhood of a CPH1 code: the code itself; for codes of two
 * or three symbols, the code with each symbol after the first replaced by
 * "*"; for codes of four or more, the code with each symbol after the first
 * deleted. Two codes share a member if they are equal, differ by one
 * substituted symbol, or one is the other with one symbol inserted and the
 * longer has four or more symbols. Long codes need no "*" members: codes that
 * differ by a substitution at i are equal once i is deleted, so "*" members
 * would only repeat matches at the price of a token each. The first symbol
 * is never touched: twins' names often differ only there (Ahmed/Mohammed:
 * AHMT/MHMT), and registrars rarely mistype it. Nor are the long vowel
 * marks Y and W (CPH1 step 6): deleting one would give the code of the name
 * the mark tells apart (Hussein HSYN / Hassan HSN). Short codes get no
 * deletions, so that "AL" (Julija) does not meet "ALH" (Olga).
 */
export function typoNeighbourhood(code: string): string[] {
  const del = code.length >= 4 || (code.length === 3 && code[0] !== 'A');
  const out = new Set([code]);
  for (let i = 1; i < code.length; i++) {
    if (LONG_VOWEL_MARKS.includes(code[i]!)) continue;
    out.add(del ? code.slice(0, i) + code.slice(i + 1) : `${code.slice(0, i)}*${code.slice(i + 1)}`);
  }
  return [...out].sort();
}
