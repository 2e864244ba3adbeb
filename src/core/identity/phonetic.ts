/**
 * CPH1, Cairn's phonetic code for name tokens: a consonant skeleton built to
 * survive the ways one name is transliterated across borders. It is small on
 * purpose, so another node can re-implement it from
 * protocol/10-identifiers.md ("Phonetic code CPH1") and derive the same keys.
 *
 * Input: one normalised token over [a-z]. Output: one or two codes over the
 * symbols A P F T S K H L R M N (and the marks Y, W of step 6). Two when the
 * token has a letter that reads
 * one way in Slavic, German and Western European spellings (reading A) and
 * another in spellings of Arabic, Somali and Greek names (reading B): "j"
 * (y / dzh), "dj" (Serbian đ as d / French dj for dzh), "x" (ks / Somali
 * and Kurdish x for ḥ, kh), "c" where it would read k (k / Somali c for
 * ʿayn, a vowel), "ch" before a vowel (sh / Greek χ as h), "g" before e, i,
 * y (g / Greek γ as y), "kh" starting a token before a vowel (kh / k, as
 * registers that drop the h write Kalid, Kadija; the typo variants and year
 * keys ask for `plainKh`, which reads it kh only).
 *
 *  0. A final "h" after a vowel or l, r, m, n is dropped (Abdullah/Abdulla,
 *     Fatimah/Fatima), if the token is longer than two letters. A leading
 *     "mp", "nt" or "gk" becomes "b", "d" or "g": Greek passports (ELOT 743)
 *     write μπ, ντ, γκ so where Greek script and other spellings have b, d, g.
 *     A leading "ou" before a vowel becomes "w" (French Ouali, Ouattara for
 *     Wali, Wattara), and so does an "ou" between vowels (Chaoui, Naoual for
 *     Shawi, Nawal); a leading "di" before a vowel becomes "dj" (French
 *     Diallo, Dienabou for Jallow, Jenabu); a final "llow" or "rrow" loses
 *     its "w" (Gambian Jallow, Barrow; German -ow as in Iwanow stays).
 *  1. Left to right, the longest matching pattern in RULES gives symbols;
 *     "v" marks a vowel, the lower-case symbols an ambiguous letter.
 *  2. Reading A and, if an ambiguous symbol occurs, reading B replace each
 *     ambiguous symbol by its symbols in that reading (READINGS).
 *  3. Runs of the same symbol collapse to one (mm → m, vv → v).
 *  4. A leading v becomes A (any initial vowel, y or j: Yusuf ≡ Iosif).
 *  5. Every other v is removed.
 *  6. The long vowel of Husayn (HSN) and Mahmud (MHMT) marks their codes
 *     (HSYN, MHMWT), so that they differ from Hasan and Muhammad
 *     (longVowelMark).
 */

/** Code symbols, v (a vowel) and the ambiguous symbols j d x z c k g G q. */
type Sym = 'v' | 'A' | 'P' | 'F' | 'T' | 'S' | 'K' | 'H' | 'L' | 'R' | 'M' | 'N' | Ambiguous;
type Ambiguous = 'j' | 'd' | 'x' | 'z' | 'c' | 'k' | 'g' | 'G' | 'q' | 'h';
type Plain = Exclude<Sym, Ambiguous>;

/**
 * The two readings of each ambiguous symbol: [reading A, reading B].
 *  j: a "j"             — y (Jurij, Sergej)       / dzh (Jamal, Jama)
 *  d: "dj"              — d (Đorđe as Djordje, Đặng as Dang) / dzh (Djamel)
 *  x: "x"               — ks (Alexander)          / ḥ, kh (Maxamed, Xalid)
 *  z: a final "x" after a vowel — ks (Felix)       / nothing (Faarax = Farah)
 *  c: "c" reading k     — k (Carlos)              / ʿayn, a vowel (Cali = Ali)
 *  k: "c" reading ts (before e, i, y; at the end) — ts (Petrovic) / ʿayn (Cilmi = Ilmi, Jaamac = Jama)
 *  g: "g" before e i y  — g (Georgios)            / y (Yeoryios)
 *  G: any other "g"     — g (Olga)                / Egyptian g for jim (Gamal = Jamal, Ragab = Rajab)
 *  q: "ch" before a vowel — sh (Chernenko, Aicha)  / h (Charalampos = Haralambos)
 *  h: "kh" starting a token, before a vowel — kh (Khalid) / k (Kalid, Kadija:
 *     English and Somali registers that drop the h)
 */
export const READINGS: Readonly<Record<Ambiguous, readonly [readonly Plain[], readonly Plain[]]>> = {
  j: [['v'], ['S']],
  d: [['T'], ['S']],
  x: [['K', 'S'], ['H']],
  z: [['K', 'S'], []],
  c: [['K'], ['v']],
  k: [['S'], ['v']],
  g: [['H'], ['v']],
  G: [['H'], ['S']],
  q: [['S'], ['H']],
  h: [['H'], ['K']],
};

const VOWELS = 'aeiouy';
const isVowel = (c: string | undefined): boolean => c !== undefined && VOWELS.includes(c);

/** A pattern and its symbols; `c` and `ch` depend on the next letter. */
type Rule = readonly [pattern: string, symbols: (next: string | undefined) => readonly Sym[]];

const fixed = (...s: Sym[]) => () => s;

/** Multi-letter patterns, longest first; then single letters. */
export const RULES: readonly Rule[] = [
  ['shch', fixed('S')],
  ['tsch', fixed('S')],
  ['dsch', fixed('S')],
  ['sch', fixed('S')],
  ['tch', fixed('S')],
  ['dzh', fixed('S')],
  // "ch" before a consonant is the Greek/German/Czech "kh" (Christos, Chrystos);
  // at the end it is the "tsh" of Ivanovich; before a vowel "tsh" or "sh"
  // (Chernenko, Aicha) or Greek χ (Charalampos).
  ['ch', (next) => (next === undefined ? ['S'] : isVowel(next) ? ['q'] : ['H'])],
  ['sh', fixed('S')],
  ['zh', fixed('S')],
  ['ts', fixed('S')],
  ['tz', fixed('S')],
  ['cz', fixed('S')],
  ['cs', fixed('S')],
  ['sz', fixed('S')],
  ['zs', fixed('S')],
  ['dz', fixed('S')],
  ['dj', fixed('d')],
  // Albanian xh is English j (Xhevdet, Hoxha = Hodja).
  ['xh', fixed('S')],
  ['kh', fixed('H')],
  ['gh', fixed('H')],
  ['ph', fixed('F')],
  // South Asian aspirates written with or without h (Bhatt / Butt).
  ['bh', fixed('P')],
  ['th', fixed('T')],
  ['dh', fixed('T')],
  ['ck', fixed('K')],
  ['a', fixed('v')],
  ['e', fixed('v')],
  ['i', fixed('v')],
  ['o', fixed('v')],
  ['u', fixed('v')],
  ['y', fixed('v')],
  ['b', fixed('P')],
  ['p', fixed('P')],
  ['f', fixed('F')],
  ['v', fixed('F')],
  ['w', fixed('F')],
  ['d', fixed('T')],
  ['t', fixed('T')],
  ['s', fixed('S')],
  ['z', fixed('S')],
  // c is "ts" before e, i, y and at the end (Slavic -ić), "k" or Somali ʿayn elsewhere (Costas, Cali).
  ['c', (next) => (next === undefined || next === 'e' || next === 'i' || next === 'y' ? ['k'] : ['c'])],
  ['k', fixed('K')],
  ['q', fixed('K')],
  ['x', fixed('x')],
  // g and h share a class: Ukrainian г is h (Serhii/Sergey, Olha/Olga).
  ['g', (next) => (next === 'e' || next === 'i' || next === 'y' ? ['g'] : ['G'])],
  ['h', fixed('H')],
  ['j', fixed('j')],
  ['l', fixed('L')],
  ['r', fixed('R')],
  ['m', fixed('M')],
  ['n', fixed('N')],
];

const TOKEN = /^[a-z]+$/;

/** French "ou" for w between vowels (Chaoui = Shawi, Naoual = Nawal), step 0. */
const MEDIAL_OU = /(?<=[aeiouy])ou(?=[aeiouy])/g;

/** Token-initial clusters rewritten before the rules (step 0). */
export const INITIAL_CLUSTERS: Readonly<Record<string, string>> = { mp: 'b', nt: 'd', gk: 'g' };

/** Symbols step 6 adds (Husayn's Y, Mahmud's W); the typo neighbourhood never edits them. */
export const LONG_VOWEL_MARKS = 'YW';

const AMBIGUOUS = new Set<Sym>(Object.keys(READINGS) as Ambiguous[]);

function symbols(token: string, plainKh: boolean): Sym[] {
  const out: Sym[] = [];
  // A final x after a vowel is its own ambiguous symbol: Somali drops it in other spellings.
  if (token.length > 2 && token.endsWith('x') && isVowel(token[token.length - 2])) {
    return [...symbols(token.slice(0, -1), plainKh), 'z'];
  }
  let i = 0;
  // An initial kh before a vowel is its own ambiguous symbol: registers drop its h (Kalid).
  if (!plainKh && token.startsWith('kh') && isVowel(token[2])) {
    out.push('h');
    i = 2;
  }
  outer: while (i < token.length) {
    for (const [pattern, sym] of RULES) {
      if (token.startsWith(pattern, i)) {
        out.push(...sym(token[i + pattern.length]));
        i += pattern.length;
        continue outer;
      }
    }
    // Unreachable for [a-z] input: every letter has a single-letter rule.
    throw new RangeError(`cph1: no rule for ${JSON.stringify(token[i])}`);
  }
  return out;
}

function finish(seq: readonly Plain[]): string {
  const collapsed: Plain[] = [];
  for (const s of seq) if (collapsed[collapsed.length - 1] !== s) collapsed.push(s);
  let code = '';
  collapsed.forEach((s, i) => {
    if (s !== 'v') code += s;
    else if (i === 0) code += 'A';
  });
  return code;
}

const reading = (seq: readonly Sym[], which: 0 | 1): Plain[] =>
  seq.flatMap((s) => (AMBIGUOUS.has(s) ? READINGS[s as Ambiguous][which] : [s as Plain]));

/**
 * Options of phoneticReadings. `plainKh`: read an initial kh as H in both
 * readings, as the typo variants and the year keys do (protocol 10.4).
 */
export interface ReadingOptions {
  plainKh?: boolean;
}

/** The CPH1 codes of a token by reading: `b` only when it differs from `a`. */
export function phoneticReadings(token: string, opts: ReadingOptions = {}): { a: string; b?: string } {
  if (!TOKEN.test(token)) throw new RangeError('cph1: token must match [a-z]+');
  let t = token;
  if (t.length > 2 && t.endsWith('h') && /[aeiouylrmn]/.test(t[t.length - 2]!)) t = t.slice(0, -1);
  const initial = INITIAL_CLUSTERS[t.slice(0, 2)];
  if (initial !== undefined && t.length > 2) t = initial + t.slice(2);
  if (t.length > 2 && t.startsWith('ou') && isVowel(t[2])) t = `w${t.slice(2)}`;
  t = t.replace(MEDIAL_OU, 'w');
  if (t.length > 2 && t.startsWith('di') && isVowel(t[2])) t = `dj${t.slice(2)}`;
  if (/([lr])\1ow$/.test(t)) t = t.slice(0, -1);
  const seq = symbols(t, opts.plainKh === true);
  const a = finish(reading(seq, 0));
  const b = seq.some((s) => AMBIGUOUS.has(s)) ? finish(reading(seq, 1)) : a;
  const mark = longVowelMark(t, a, b);
  const [ma, mb] = mark === undefined ? [a, b] : [mark(a), mark(b)];
  return mb === ma ? { a: ma } : { a: ma, b: mb };
}

/** The vowel letters just before the last `n`, or the last `d` or `t`, of a token (only vowels after it). */
const VOWELS_BEFORE_LAST_N = /([aeiouy]*)n[aeiouy]*$/;
const VOWELS_BEFORE_LAST_DT = /([aeiouy]*)[dt][aeiouy]*$/;

/**
 * Step 6: two pairs of frequent, distinct names share a skeleton, and only
 * their long vowel tells them apart. A token coded HSN is Husayn (حسين:
 * Hussein, Husayn, Hossein, Hussain, Hüseyin, Xuseen, Husen), not Hasan
 * (Hassan, Hasen, Hesen, Xasan), if its first vowel is u or o, or the vowels
 * before its last n hold i or y or are ee: its codes get Y before that N.
 * A token coded MHMT is Mahmud (محمود: Mahmoud, Mahmood, Mahmut, Mahmod,
 * Maxamuud, Mohamud), not Muhammad (Mohammed, Mehmet, Maxamed), if the
 * vowels before its last d or t are u, o, ou, oo or uu: its codes get W
 * before that T (so the rare Mohammod reads as Mahmud). Twins are often
 * given these pairs of names, and without the mark they shared every
 * probable key (protocol 10.3, 10.7).
 */
function longVowelMark(t: string, a: string, b: string): ((code: string) => string) | undefined {
  if (a === 'HSN' || b === 'HSN') {
    const first = /[aeiouy]/.exec(t)?.[0];
    const before = VOWELS_BEFORE_LAST_N.exec(t)?.[1] ?? '';
    if (first === 'u' || first === 'o' || /[iy]/.test(before) || before === 'ee') return (c) => c.replace(/N$/, 'YN');
  }
  if (a === 'MHMT' || b === 'MHMT') {
    const before = VOWELS_BEFORE_LAST_DT.exec(t)?.[1];
    if (before === 'u' || before === 'o' || before === 'ou' || before === 'oo' || before === 'uu') return (c) => c.replace(/T$/, 'WT');
  }
  return undefined;
}

/**
 * CPH1 codes of one normalised token, sorted and without duplicates (one
 * code, or two for a token with an ambiguous letter). Throws RangeError
 * outside [a-z]+: the caller passes normalised tokens only.
 */
export function phoneticCodes(token: string): string[] {
  const { a, b } = phoneticReadings(token);
  return b === undefined ? [a] : [a, b].sort();
}
