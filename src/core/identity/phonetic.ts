/**
 * CPH1, Cairn's phonetic code for name tokens: a consonant skeleton built to
 * survive the ways one name is transliterated across borders. It is small on
 * purpose, so another node can re-implement it from
 * protocol/10-identifiers.md ("Phonetic code CPH1") and derive the same keys.
 *
 * Input: one normalised token over [a-z]. Output: one or two codes over the
 * symbols A P F T S K H L R M N (two when the token has a "j", which reads as
 * "y" in Slavic and German spellings and as "dzh" in English and Arabic ones).
 *
 *  0. A final "h" after a vowel or l, r, m, n is dropped (Abdullah/Abdulla,
 *     Fatimah/Fatima), if the token is longer than two letters. A leading
 *     "mp", "nt" or "gk" becomes "b", "d" or "g": Greek passports (ELOT 743)
 *     write μπ, ντ, γκ so where Greek script and other spellings have b, d, g.
 *  1. Left to right, the longest matching pattern in RULES gives one or two
 *     symbols; "v" marks a vowel, "J" a j.
 *  2. J → v in the first reading, J → S in the second (only if a J occurs).
 *  3. Runs of the same symbol collapse to one (mm → m, vv → v).
 *  4. A leading v becomes A (any initial vowel, y or j: Yusuf ≡ Iosif).
 *  5. Every other v is removed.
 */

type Sym = 'v' | 'J' | 'A' | 'P' | 'F' | 'T' | 'S' | 'K' | 'H' | 'L' | 'R' | 'M' | 'N';

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
  // elsewhere it is the "tsh" of Chernenko, Ivanovich, Bach-as-spelt.
  ['ch', (next) => (next === undefined || isVowel(next) ? ['S'] : ['H'])],
  ['sh', fixed('S')],
  ['zh', fixed('S')],
  ['ts', fixed('S')],
  ['tz', fixed('S')],
  ['cz', fixed('S')],
  ['cs', fixed('S')],
  ['sz', fixed('S')],
  ['zs', fixed('S')],
  ['dz', fixed('S')],
  ['dj', fixed('S')],
  ['kh', fixed('H')],
  ['gh', fixed('H')],
  ['ph', fixed('F')],
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
  // c is "ts" before e, i, y and at the end (Slavic -ić), "k" elsewhere (Costas).
  ['c', (next) => (next === undefined || next === 'e' || next === 'i' || next === 'y' ? ['S'] : ['K'])],
  ['k', fixed('K')],
  ['q', fixed('K')],
  ['x', fixed('K', 'S')],
  // g and h share a class: Ukrainian г is h (Serhii/Sergey, Olha/Olga).
  ['g', fixed('H')],
  ['h', fixed('H')],
  ['j', fixed('J')],
  ['l', fixed('L')],
  ['r', fixed('R')],
  ['m', fixed('M')],
  ['n', fixed('N')],
];

const TOKEN = /^[a-z]+$/;

/** Token-initial clusters rewritten before the rules (step 0). */
export const INITIAL_CLUSTERS: Readonly<Record<string, string>> = { mp: 'b', nt: 'd', gk: 'g' };

function symbols(token: string): Sym[] {
  const out: Sym[] = [];
  let i = 0;
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

function finish(seq: readonly Sym[]): string {
  const collapsed: Sym[] = [];
  for (const s of seq) if (collapsed[collapsed.length - 1] !== s) collapsed.push(s);
  let code = '';
  collapsed.forEach((s, i) => {
    if (s !== 'v') code += s;
    else if (i === 0) code += 'A';
  });
  return code;
}

/**
 * CPH1 codes of one normalised token, sorted and without duplicates (one
 * code, or two for a token with "j"). Throws RangeError outside [a-z]+: the
 * caller passes normalised tokens only.
 */
export function phoneticCodes(token: string): string[] {
  if (!TOKEN.test(token)) throw new RangeError('cph1: token must match [a-z]+');
  let t = token;
  if (t.length > 2 && t.endsWith('h') && /[aeiouylrmn]/.test(t[t.length - 2]!)) t = t.slice(0, -1);
  const initial = INITIAL_CLUSTERS[t.slice(0, 2)];
  if (initial !== undefined && t.length > 2) t = initial + t.slice(2);
  const seq = symbols(t);
  if (!seq.includes('J')) return [finish(seq)];
  const asVowel = finish(seq.map((s) => (s === 'J' ? 'v' : s)));
  const asSibilant = finish(seq.map((s) => (s === 'J' ? 'S' : s)));
  return [...new Set([asVowel, asSibilant])].sort();
}
