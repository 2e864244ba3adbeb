/**
 * Writing-system checks on names. A name word that mixes scripts — a Latin
 * "Mаria" with a Cyrillic "а" — is nearly always a homoglyph trick or a
 * keyboard-layout slip, and would silently produce keys that match nobody (or
 * the wrong person). Such words are rejected, never repaired.
 */

// Scripts told apart by the check. A letter of any other script counts as
// "Other", so two unlisted scripts in one word are not caught; the listed
// ones cover the confusable Latin/Cyrillic/Greek trio and the scripts Cairn
// transliterates.
const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Arabic',
  'Ethiopic',
  'Hebrew',
  'Armenian',
  'Georgian',
  'Syriac',
  'Thaana',
  'Devanagari',
  'Bengali',
  'Gurmukhi',
  'Gujarati',
  'Tamil',
  'Telugu',
  'Kannada',
  'Malayalam',
  'Sinhala',
  'Thai',
  'Lao',
  'Khmer',
  'Myanmar',
  'Tibetan',
  'Mongolian',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Tifinagh',
  'Cherokee',
  'Canadian_Aboriginal',
] as const;

const SCRIPT_TESTS = SCRIPTS.map((name) => ({ name, re: new RegExp(`^\\p{Script=${name}}$`, 'u') }));
const COMMON_OR_INHERITED = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
const LETTER = /^\p{L}$/u;

/** Script of one letter, or undefined for Common/Inherited (marks, ʼ, ...). */
export function scriptOf(ch: string): string | undefined {
  if (COMMON_OR_INHERITED.test(ch)) return undefined;
  for (const s of SCRIPT_TESTS) if (s.re.test(ch)) return s.name;
  return 'Other';
}

// Combinations that are one writing system: Japanese mixes Han and kana,
// Korean may mix Hangul and Han.
const ALLOWED_MIXES: readonly (readonly string[])[] = [
  ['Han', 'Hiragana', 'Katakana'],
  ['Hangul', 'Han'],
];

/** Scripts of the letters of one word (no separators inside). */
export function scriptsOfWord(word: string): Set<string> {
  const out = new Set<string>();
  for (const ch of word) {
    if (!LETTER.test(ch)) continue;
    const s = scriptOf(ch);
    if (s !== undefined) out.add(s);
  }
  return out;
}

/** True if a word's letters come from scripts that do not belong together. */
export function isMixedScriptWord(word: string): boolean {
  const scripts = scriptsOfWord(word);
  if (scripts.size <= 1) return false;
  return !ALLOWED_MIXES.some((mix) => [...scripts].every((s) => mix.includes(s)));
}

/**
 * Characters allowed in a name besides letters and combining marks: spaces,
 * hyphens (with the Hebrew maqaf of בן־גוריון), apostrophes (with the
 * Hebrew geresh of ג׳ורג׳ and the Armenian apostrophe), dots, commas, the
 * middle dot, ZWNJ and ZWJ, the bidi marks and the soft hyphen (invisible,
 * dropped at normalisation), and the marks Tibetan and Ge'ez write between a
 * name's syllables or words (tsheg U+0F0B, U+0F0C; Ethiopic wordspace
 * U+1361). any-ascii turns the geresh and the Armenian apostrophe into an
 * apostrophe, the maqaf and the tsheg into a hyphen and the wordspace into a
 * space, so they normalise as those do (§10.2).
 */
export const NAME_PUNCTUATION = " \u00A0-\u2010\u2011\u05BE'\u2019\u2018\u02BC\u02BB`\u00B4\u05F3\u055A.,\u00B7\u0F0B\u0F0C\u1361\u200C\u200D\u200E\u200F\u061C\u00AD";

/** Word separators inside a name (whitespace, hyphens and the maqaf, dots, commas, tsheg, Ethiopic wordspace). */
export const NAME_WORD_SEPARATOR = /[\s\-\u2010\u2011\u05BE.,\u00B7\u0F0B\u0F0C\u1361]+/u;

const NAME_CHAR = /^[\p{L}\p{M}]$/u;

/** True if every character is a letter, a mark or allowed name punctuation. */
export function hasOnlyNameCharacters(s: string): boolean {
  for (const ch of s) if (!NAME_CHAR.test(ch) && !NAME_PUNCTUATION.includes(ch) && !/\p{Zs}/u.test(ch)) return false;
  return true;
}
