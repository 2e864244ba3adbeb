/**
 * Transliteration of any script to lower-case ASCII, for name matching.
 *
 * The bulk of the work is any-ascii (https://anyascii.com), whose tables are
 * published and implemented identically in a dozen languages, so another
 * node can reproduce them. Its output is pinned by this module's tests: an
 * upgrade that changes a mapping changes keys and needs a new key version.
 *
 * Before any-ascii, a few pre-rules fix scripts where letter-by-letter output
 * is poor for matching (protocol/10-identifiers.md, "Transliteration"):
 * Greek digraphs (ELOT 743 style), unvocalised Arabic (article, long vowels,
 * ta marbuta, ain, jim, the vowel after an initial kh), unpointed Hebrew
 * (alef and ayin, vav, a final he, initial bet, kaf and pe), Turkish İ and
 * Serbo-Croatian đ.
 */
import anyAscii from 'any-ascii';

const GREEK_LETTER = /\p{Script=Greek}/u;
const ARABIC_LETTER = /\p{Script=Arabic}/u;
const WORD_SPLIT = /([^\p{L}\p{M}]+)/u;

// ---- Greek -----------------------------------------------------------------

// Strip tonos and polytonic marks but keep the dieresis (U+0308), which marks
// two vowels that do not form a digraph (e.g. "αϊ").
function stripGreekAccents(word: string): string {
  return word
    .normalize('NFD')
    .replace(/[\u0300-\u0307\u0309-\u036F]/gu, '')
    .normalize('NFC');
}

// [pattern, at word start, elsewhere]; longest first. Only plain υ forms a digraph.
const GREEK_RULES: readonly (readonly [string, string, string])[] = [
  ['αυ', 'av', 'av'],
  ['ευ', 'ev', 'ev'],
  ['ηυ', 'iv', 'iv'],
  ['ου', 'ou', 'ou'],
  ['γγ', 'ng', 'ng'],
  ['γκ', 'g', 'ng'],
  ['γξ', 'nx', 'nx'],
  ['γχ', 'nch', 'nch'],
  ['μπ', 'b', 'mb'],
  ['ντ', 'd', 'nd'],
  ['τσ', 'ts', 'ts'],
  ['τζ', 'tz', 'tz'],
];

function greekWord(word: string): string {
  const w = stripGreekAccents(word);
  let out = '';
  let i = 0;
  outer: while (i < w.length) {
    for (const [pat, initial, medial] of GREEK_RULES) {
      if (w.startsWith(pat, i)) {
        out += i === 0 ? initial : medial;
        i += pat.length;
        continue outer;
      }
    }
    out += w[i]!;
    i++;
  }
  return out;
}

// ---- Arabic ----------------------------------------------------------------

// Harakat, superscript alef and tatweel: rarely written in names, and when
// written they would make a vocalised record differ from an unvocalised one.
const ARABIC_VOCALISATION = /[\u064B-\u065F\u0670\u0640]/gu;
const ALIFS = new Set(['\u0627', '\u0623', '\u0625', '\u0622', '\u0671']);
const ARABIC_FIXED: Readonly<Record<string, string>> = {
  '\u0627': 'a', // ا alif
  '\u0623': 'a', // أ
  '\u0625': 'a', // إ
  '\u0622': 'a', // آ
  '\u0671': 'a', // ٱ alif wasla
  '\u0649': 'a', // ى alif maqsura
  '\u0629': 'a', // ة ta marbuta: Fatima/Fatimah, never "t" in a name's citation form
  '\u0639': 'a', // ع ain: Latin spellings write a vowel or nothing (Ali, Saad)
  '\u0621': '', // ء hamza
  '\u062C': 'dzh', // ج jim: dzh, never the Slavic y that a Latin j may be (CPH1 reading A)
  '\u0626': 'i', // ئ
  '\u0624': 'u', // ؤ
};

/**
 * Letters of the Persian, Dari, Pashto and Urdu alphabets that Arabic does
 * not use (پ چ ژ گ ک ی ٹ ڈ ڑ ں ھ ۀ ے). A field holding one is written in one
 * of those languages, which read ث as s and ذ ض ظ as z (BGN/PCGN Dari and
 * Persian romanisation; Afghan and Pakistani passports: Zabihullah, Nazir,
 * Reza), where Arabic romanisations write th, dh, d.
 */
const PERSIAN_LETTER = /[\u067E\u0686\u0698\u06AF\u06A9\u06CC\u0679\u0688\u0691\u06BA\u06BE\u06C0\u06D2]/u;
const PERSIAN_READING: Readonly<Record<string, string>> = {
  '\u062B': 's', // ث
  '\u0630': 'z', // ذ
  '\u0636': 'z', // ض
  '\u0638': 'z', // ظ
};
/** A letter written (by any-ascii) ending in s, z, t, d, k, g, c or p would form a Latin digraph with the h of a following ه. */
const BEFORE_HEH_DIGRAPH = /[sztdkgcp]$/;
const HEH = '\u0647';
const KHAH = '\u062E';
/** Letters that write a vowel (alif, waw, ya), after which no unwritten one is needed. */
const VOWEL_LETTERS = new Set([...ALIFS, '\u0648', '\u064A', '\u06CC', '\u0649']);

function arabicWord(word: string, persian: boolean): string {
  const w = [...word.replace(ARABIC_VOCALISATION, '')];
  let out = '';
  let i = 0;
  // Definite article al- at the start of a word of at least three more letters.
  if (w.length > 4 && w[0] === '\u0627' && w[1] === '\u0644') {
    out += 'al-';
    i = 2;
  }
  const first = i;
  for (; i < w.length; i++) {
    const c = w[i]!;
    const next = w[i + 1];
    const consonantal = i === 0 || (next !== undefined && ALIFS.has(next));
    // A waw between alif and a vowel letter (ا ی ي) is the consonant w/v:
    // a long ā is not followed by a vowel without one (جاوید Javid, Jawid).
    const afterAlif = i > 0 && ALIFS.has(w[i - 1]!) && next !== undefined && (ALIFS.has(next) || next === '\u064A' || next === '\u06CC');
    // An initial خ is spoken with a short vowel after it that the script leaves
    // unwritten: written, it lets CPH1 read the kh as registers do (Khadija, Kadija).
    if (i === first && c === KHAH && next !== undefined && !VOWEL_LETTERS.has(next)) out += `${c}a`;
    else if (c === '\u0648') out += consonantal || afterAlif ? 'w' : 'u'; // و waw: consonant or long u/o
    else if (persian && c in PERSIAN_READING) out += PERSIAN_READING[c]!;
    // An unwritten short vowel separates a consonant from ه: no Latin spelling
    // writes زهرا Zahra as "zhra" or سهراب Sohrab as "shrab", digraphs that
    // CPH1 reads as one sound.
    else if (c === HEH && BEFORE_HEH_DIGRAPH.test(anyAscii(out.slice(-1)))) out += 'ah';
    else if (c === '\u064A' || c === '\u06CC') out += consonantal ? 'y' : 'i'; // ي / Farsi ی
    else if (c in ARABIC_FIXED) out += ARABIC_FIXED[c]!;
    else out += c;
  }
  return out;
}

// ---- Hebrew ----------------------------------------------------------------

const HEBREW_LETTER = /[\u05D0-\u05EA]/u;
// Points and cantillation (niqqud, dagesh, shin and sin dots, meteg, rafe):
// rarely written in names, and when written they would make a pointed record
// differ from an unpointed one, as harakat would in Arabic.
const HEBREW_POINTS = /[\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7]/gu;
const HEBREW_FINAL_FORMS: Readonly<Record<string, string>> = { '\u05DA': '\u05DB', '\u05DD': '\u05DE', '\u05DF': '\u05E0', '\u05E3': '\u05E4', '\u05E5': '\u05E6' };
const ALEF = '\u05D0';
const BET = '\u05D1';
const HE = '\u05D4';
const VAV = '\u05D5';
const YOD = '\u05D9';
const KAF = '\u05DB';
const AYIN = '\u05E2';
const PE = '\u05E4';
/**
 * Names spelt, by long habit, with a consonantal vav that is not doubled:
 * דוד is David (the full spelling דויד follows the rules below).
 */
const HEBREW_WORDS: Readonly<Record<string, string>> = { '\u05D3\u05D5\u05D3': '\u05D3\u05D5\u05D9\u05D3' };
/**
 * Names read whole: לאה by the rules below is "la", a particle dropped
 * beside another given name (Leah Sara would key as Sara); its alef
 * carries the e that Lea and Leah write.
 */
const HEBREW_READINGS: Readonly<Record<string, string>> = { '\u05DC\u05D0\u05D4': 'lea' };

/** Bet, kaf and pe with the dagesh that makes them b, k, p, as they are first in a word (Binyamin, Kohen, Peretz); else any-ascii's v, kh, f. */
const HARD: Readonly<Record<string, string>> = { [BET]: 'b', [KAF]: 'k', [PE]: 'p' };

/**
 * How unpointed Hebrew's ב כ פ are read where the points would tell
 * (10.2 step 4). 'soft': after a letter, as Hebrew given names say them
 * (Rivka, Mordechai, Avraham, Refael). 'hard': after a letter other than
 * ו (the vowel o or u) and not last in the word, b k p, and פ first
 * in the word f, as surnames of Yiddish and European origin and closed
 * syllables write them (Goldberg, Kaplan, Shapira, Malka, Ashkenazi,
 * Elbaz, Leibovitz, Tzipora; Friedman, Fisher, Feldman). Unpointed text does not say which;
 * a name whose readings differ gets both (name-forms.ts).
 */
export type HebrewReading = 'soft' | 'hard';

/**
 * Unpointed Hebrew, as Latin spellings of Israeli names read it: any-ascii
 * writes it letter by letter (א and ע as ', ו and ב as v, כ as kh, a final ה
 * as h), so יוסף gave "yvsf" and no Yosef, Josef; עומר "'vmr" and no Omer.
 */
function hebrewWord(word: string, reading: HebrewReading): string {
  const bare = word.replace(HEBREW_POINTS, '');
  const whole = HEBREW_READINGS[bare];
  if (whole !== undefined) return whole;
  const w = [...(HEBREW_WORDS[bare] ?? bare)];
  let out = '';
  for (let i = 0; i < w.length; i++) {
    const c = w[i]!;
    const letter = HEBREW_FINAL_FORMS[c] ?? c;
    const next = w[i + 1];
    const first = i === 0;
    const last = i === w.length - 1;
    // Alef and ayin open a word with a vowel Latin spellings write (Avraham, Uri, Omer); alef closes one with a (Shapira).
    if (letter === ALEF) out += first || last ? 'a' : '';
    else if (letter === AYIN) out += first ? 'a' : '';
    // Vav: the consonant v first in a word, doubled, or before yod (Levi, David: לוי, דויד); else the vowel o or u (Yosef, Noam, Ron).
    else if (letter === VAV) {
      if (first || next === YOD) out += 'v';
      else if (next === VAV) {
        out += 'v';
        i++;
      } else out += 'o';
    }
    // He closing a word is the vowel a or e (Sarah, Noa, Rivka); after a letter that would make a Latin digraph with h, the unwritten vowel is written (Dahan, Kohen), as for Arabic.
    else if (letter === HE && !first && last) out += 'a';
    else if (letter === HE && !first && BEFORE_HEH_DIGRAPH.test(anyAscii(out.slice(-1)))) out += 'ah';
    else if (first && letter === PE && reading === 'hard') out += 'f';
    else if (first && letter in HARD) out += HARD[letter]!;
    // A final form (ך ף) is never hard: c, not letter, tells it apart.
    else if (reading === 'hard' && !last && c in HARD && w[i - 1] !== VAV) out += HARD[c]!;
    else out += c;
  }
  return out;
}

/** Whether `s` holds a Hebrew letter, whose ב כ פ may read two ways (HebrewReading). */
export const hasHebrewLetter = (s: string): boolean => HEBREW_LETTER.test(s);

// ---- Latin -----------------------------------------------------------------

// any-ascii gives "d" for đ; "dj" is how Serbian and Croatian names are
// written without diacritics (Đorđe → Djordje).
function latinPreRules(s: string): string {
  return s.replace(/\u0130/gu, 'i').replace(/[\u0110\u0111]/gu, 'dj');
}

/**
 * Transliterate an NFKC-normalised string to lower-case ASCII: Latin
 * pre-rules, lower-casing, per-word Greek, Arabic and Hebrew pre-rules, any-ascii,
 * lower-casing again.
 */
export function transliterate(nfkc: string, hebrew: HebrewReading = 'soft'): string {
  const lowered = latinPreRules(nfkc).toLowerCase();
  const words = lowered.split(WORD_SPLIT);
  const persian = PERSIAN_LETTER.test(lowered);
  let out = '';
  for (const w of words) {
    if (GREEK_LETTER.test(w)) out += greekWord(w);
    else if (ARABIC_LETTER.test(w)) out += arabicWord(w, persian);
    else if (HEBREW_LETTER.test(w)) out += hebrewWord(w, hebrew);
    else out += w;
  }
  return anyAscii(out).toLowerCase();
}
