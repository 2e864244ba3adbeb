/**
 * Name normalisation: one name field (any script) to a list of lower-case
 * ASCII tokens. Steps, in this exact order (protocol/10-identifiers.md,
 * "Name normalisation"):
 *
 *  1. The bidi marks LRM, RLM, ALM and the soft hyphen are removed; Unicode NFKC.
 *  1a. Names typed without their space are split: a space goes between a
 *     lower-case letter and an upper-case one directly after it (NoorMostafa
 *     → Noor Mostafa, VukDušan), except after a word-initial Mc or Mac
 *     (McDonald), which registers writing in capitals write solid.
 *  2. transliterate(): pre-rules, lower-case, any-ascii, lower-case.
 *  3. Apostrophes and backticks are deleted (O'Brien → obrien, Igor' → igor).
 *  4. Every other character outside a–z and "-" becomes a space; words split
 *     on spaces, parts on "-"; a part followed by "-" is a hyphen prefix.
 *  4a. Placeholders for an unknown name: parts in NAME_PLACEHOLDERS (fnu,
 *     lnu, unknown, …) or of two or more x are dropped, even when nothing
 *     is left; so are one-letter parts left beside them (I panjohur).
 *  5. Abbreviations are expanded ("md" → "muhammad"). Joining prefixes (abd,
 *     abdul, abu, ben, habte, …) absorb an optional article and the next
 *     part: "abd al rahman" → "abdalrahman"; joining suffixes (zai, ullah,
 *     …) are absorbed by the part before: "ahmad zai" → "ahmadzai".
 *  6. Particles are dropped (PARTICLES anywhere, HYPHEN_PARTICLES only as a
 *     hyphen prefix), unless that would leave the field empty.
 *  7. One-letter tokens (initials) are dropped, unless that would leave the
 *     field empty.
 *  8. The Arabic article written solid is removed: "al" or "el" followed by
 *     a consonant and at least three more letters (Alhassan → hassan,
 *     Elmasri → masri); before a vowel it is left (Aleksandr, Elamrani).
 *  9. Forms of address at the start (TITLES: mr, miss, master, mme, …) are
 *     dropped while another token follows.
 * 10. Tokens that together are a placeholder phrase (NAME_PLACEHOLDER_FIELDS:
 *     "n n", "not known") give no token.
 *
 * Compound and hyphenated surnames thus become several tokens
 * ("García-López" → garcia, lopez); keys pair tokens so that a record with
 * only one of them still matches.
 */
import { transliterate, type HebrewReading } from './transliterate.js';
import {
  ABBREVIATIONS,
  ARTICLES,
  HYPHEN_PARTICLES,
  JOINING_PREFIXES,
  JOINING_SUFFIXES,
  NAME_PLACEHOLDER_FIELDS,
  NAME_PLACEHOLDERS,
  PARTICLES,
  TITLES,
} from './particles.js';

interface Part {
  text: string;
  /** Followed directly by a hyphen. */
  prefix: boolean;
}

function splitParts(ascii: string): Part[] {
  const cleaned = ascii.replace(/['`]/g, '').replace(/[^a-z-]+/g, ' ');
  const parts: Part[] = [];
  for (const word of cleaned.split(' ')) {
    const pieces = word.split('-');
    pieces.forEach((text, i) => {
      if (text.length > 0) parts.push({ text, prefix: i < pieces.length - 1 });
    });
  }
  return parts;
}

function joinSuffixes(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (const p of parts) {
    const prev = out[out.length - 1];
    if (prev !== undefined && JOINING_SUFFIXES.has(p.text)) out[out.length - 1] = { text: prev.text + p.text, prefix: p.prefix };
    else out.push(p);
  }
  return out;
}

const expand = (parts: Part[]): Part[] => parts.map((p) => ({ ...p, text: ABBREVIATIONS.get(p.text) ?? p.text }));

function joinPrefixes(parts: Part[]): Part[] {
  const out: Part[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (JOINING_PREFIXES.has(p.text) && i + 1 < parts.length) {
      let text = p.text;
      let j = i + 1;
      if (ARTICLES.has(parts[j]!.text) && j + 1 < parts.length) text += parts[j++]!.text;
      text += parts[j]!.text;
      out.push({ text, prefix: parts[j]!.prefix });
      i = j;
    } else {
      out.push(p);
    }
  }
  return out;
}

const SOLID_ARTICLE = /^(?:al|el)[^aeiouy][a-z]{3}/;

const isParticle = (p: Part): boolean => PARTICLES.has(p.text) || (p.prefix && HYPHEN_PARTICLES.has(p.text));

/** Keep `parts` without those matching `drop`, unless none would be left. */
function dropUnlessEmpty(parts: Part[], drop: (p: Part) => boolean): Part[] {
  const kept = parts.filter((p) => !drop(p));
  return kept.length > 0 ? kept : parts;
}

// A lower-case letter (with its marks) directly followed by an upper-case one.
const JOINED_NAMES = /(\p{Ll}\p{M}*)(?=\p{Lu})/gu;
// Word-initial Mc and Mac, in either case after the capital (McDonald, MACDonald).
const MC = /(?:^|[^\p{L}\p{M}])m(?:a)?c$/iu;

/** Step 1a: split names typed without their space at a lower-to-upper-case step. */
function splitJoinedNames(s: string): string {
  return s.replace(JOINED_NAMES, (letter: string, _l: string, at: number) => (MC.test(s.slice(0, at) + letter) ? letter : `${letter} `));
}

/** Bidi marks (LRM, RLM, ALM) and the soft hyphen: invisible, and no part of the name. */
const INVISIBLE_MARKS = /[\u200E\u200F\u061C\u00AD]/gu;

const isPlaceholder = (p: Part): boolean => NAME_PLACEHOLDERS.has(p.text) || /^xx+$/.test(p.text);

/** One name field, normalised. */
export interface NormalisedName {
  /** Tokens over [a-z]; may be empty. */
  tokens: string[];
  /** The field held a placeholder for an unknown name (step 4a), dropped from `tokens`. */
  placeholder: boolean;
}

/**
 * Normalise one name field (see the module header), saying whether it held
 * a placeholder; `hebrew` is how Hebrew words read their ב כ פ (step 2).
 */
export function normaliseName(raw: string, hebrew: HebrewReading = 'soft'): NormalisedName {
  const ascii = transliterate(splitJoinedNames(raw.replace(INVISIBLE_MARKS, '').normalize('NFKC')), hebrew);
  const split = splitParts(ascii);
  const named = split.filter((p) => !isPlaceholder(p));
  // Letters left alone beside a placeholder (Albanian "I panjohur", "N. Unknown") are no initials of a name.
  if (named.length < split.length && named.every((p) => p.text.length === 1)) return { tokens: [], placeholder: true };
  let parts = joinSuffixes(joinPrefixes(expand(named)));
  parts = dropUnlessEmpty(parts, isParticle);
  parts = dropUnlessEmpty(parts, (p) => p.text.length === 1);
  const tokens = parts.map((p) => (SOLID_ARTICLE.test(p.text) ? p.text.slice(2) : p.text));
  let first = 0;
  while (first < tokens.length - 1 && TITLES.has(tokens[first]!)) first++;
  const kept = tokens.slice(first);
  // A placeholder phrase is read off the tokens at the end, so that what the steps above leave (Thị N. N.) is read as written.
  if (NAME_PLACEHOLDER_FIELDS.has(kept.join(' '))) return { tokens: [], placeholder: true };
  return { tokens: kept, placeholder: named.length < split.length };
}

/** Normalise one name field to tokens over [a-z]; may return []. */
export const normaliseNameField = (raw: string): string[] => normaliseName(raw).tokens;
