/**
 * Romanisation habits for the synthetic evaluation: how a registrar in one
 * country writes a Cyrillic, Greek or diacritic Latin name. Written from the
 * published schemes (ICAO Doc 9303 for passports, ELOT 743, the Ukrainian
 * 2010 national table) and from everyday French, German, Polish and English
 * habits, simplified; BGN/PCGN 1962 Greek (χ as kh, γ as y before front
 * vowels), and Vietnamese with or without its diacritics. The habits of the
 * origins whose spellings are listed per name are documented in
 * name-data-origins.ts. They are deliberately independent of Cairn's own
 * normalisation, so the evaluation measures it instead of echoing it.
 */
import type { Origin } from './name-data.js';

export type Habit = (name: string) => string;

const VOWELS_CYR = 'аеёиоуыэюяіїєАЕЁИОУЫЭЮЯІЇЄьъЬЪ';

/** A Cyrillic table: plain mapping plus forms used at word start / after a vowel. */
interface CyrTable {
  plain: Record<string, string>;
  initial?: Record<string, string>;
}

function cyrillic(table: CyrTable): Habit {
  return (name) => {
    let out = '';
    const chars = [...name];
    chars.forEach((ch, i) => {
      const lower = ch.toLowerCase();
      const prev = chars[i - 1];
      const atStart = i === 0 || prev === ' ' || prev === '-' || (prev !== undefined && VOWELS_CYR.includes(prev));
      let m = (atStart ? table.initial?.[lower] : undefined) ?? table.plain[lower];
      if (m === undefined) m = lower;
      out += ch !== lower && m.length > 0 ? m[0]!.toUpperCase() + m.slice(1) : m;
    });
    return out;
  };
}

const RU_BASE: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch',
  ъ: 'ie', ы: 'y', ь: '', э: 'e', ю: 'iu', я: 'ia', і: 'i', ї: 'i', є: 'ie', ґ: 'g',
};

/** Habits for Russian-language names. */
export const RUSSIAN_HABITS: Record<string, Habit> = {
  icao: cyrillic({ plain: RU_BASE }),
  english: cyrillic({
    plain: { ...RU_BASE, й: 'y', ё: 'yo', ю: 'yu', я: 'ya', ъ: '', ь: '' },
    initial: { е: 'ye', ё: 'yo' },
  }),
  french: cyrillic({
    plain: { ...RU_BASE, ж: 'j', ш: 'ch', ч: 'tch', щ: 'chtch', у: 'ou', ю: 'iou', я: 'ia', ё: 'io', ъ: '' },
  }),
  german: cyrillic({
    plain: { ...RU_BASE, ж: 'sch', ш: 'sch', ч: 'tsch', щ: 'schtsch', х: 'ch', ц: 'z', в: 'w', з: 's', й: 'j', ю: 'ju', я: 'ja', ё: 'jo', ъ: '' },
    initial: { е: 'je' },
  }),
  polish: cyrillic({
    plain: { ...RU_BASE, ж: 'ż', ш: 'sz', ч: 'cz', щ: 'szcz', х: 'ch', ц: 'c', в: 'w', й: 'j', ю: 'ju', я: 'ja', ё: 'jo', ъ: '' },
    initial: { е: 'je' },
  }),
};

const UK_BASE: Record<string, string> = { ...RU_BASE, г: 'h', и: 'y', й: 'i', є: 'ie', ї: 'i', ю: 'iu', я: 'ia' };

/** Habits for Ukrainian-language names (national 2010 table for passports). */
export const UKRAINIAN_HABITS: Record<string, Habit> = {
  national: cyrillic({ plain: UK_BASE, initial: { є: 'ye', ї: 'yi', й: 'y', ю: 'yu', я: 'ya' } }),
  english: cyrillic({ plain: { ...UK_BASE, й: 'y', ю: 'yu', я: 'ya', є: 'ye', ї: 'yi', и: 'y' } }),
  russianStyle: cyrillic({ plain: { ...UK_BASE, г: 'g', и: 'i', й: 'y', ю: 'yu', я: 'ya', є: 'ye', ї: 'yi', і: 'i' } }),
  german: cyrillic({
    plain: { ...UK_BASE, ж: 'sch', ш: 'sch', ч: 'tsch', щ: 'schtsch', х: 'ch', ц: 'z', в: 'w', з: 's', й: 'j', ю: 'ju', я: 'ja', є: 'je', ї: 'ji' },
  }),
  polish: cyrillic({
    plain: { ...UK_BASE, ж: 'ż', ш: 'sz', ч: 'cz', щ: 'szcz', х: 'ch', ц: 'c', в: 'w', й: 'j', ю: 'ju', я: 'ja', є: 'je', ї: 'ji' },
  }),
};

// ---- Greek -----------------------------------------------------------------

const GR_ACCENTS: Record<string, string> = { ά: 'α', έ: 'ε', ή: 'η', ί: 'ι', ό: 'ο', ύ: 'υ', ώ: 'ω', ϊ: 'ι', ϋ: 'υ', ΐ: 'ι', ΰ: 'υ' };
const GR_VOICELESS = 'θκξπστφχψ';

interface GreekScheme {
  single: Record<string, string>;
  digraphs: [string, string, string][]; // pattern, at start, elsewhere
  /** Rendering of γ before a front vowel, if it differs. */
  frontGamma?: string;
  /** Rendering of κ before a back vowel, if it differs. */
  backKappa?: string;
}

function greek(s: GreekScheme): Habit {
  return (name) => {
    const w = [...name.toLowerCase()].map((c) => GR_ACCENTS[c] ?? c).join('');
    let out = '';
    let i = 0;
    outer: while (i < w.length) {
      const atStart = i === 0 || w[i - 1] === ' ';
      if ((w.startsWith('αυ', i) || w.startsWith('ευ', i)) && i + 2 <= w.length) {
        const next = w[i + 2];
        out += (w[i] === 'α' ? 'a' : 'e') + (next !== undefined && GR_VOICELESS.includes(next) ? 'f' : 'v');
        i += 2;
        continue;
      }
      for (const [pat, start, mid] of s.digraphs) {
        if (w.startsWith(pat, i)) {
          out += atStart ? start : mid;
          i += pat.length;
          continue outer;
        }
      }
      const c = w[i]!;
      const next = w[i + 1];
      if (c === 'γ' && s.frontGamma !== undefined && next !== undefined && 'εηιυ'.includes(next)) out += s.frontGamma;
      else if (c === 'κ' && s.backKappa !== undefined && next !== undefined && 'αοω'.includes(next)) out += s.backKappa;
      else out += s.single[c] ?? c;
      i++;
    }
    return out.replace(/(^|\s)(\p{L})/gu, (_, sp: string, l: string) => sp + l.toUpperCase());
  };
}

const GR_SINGLE: Record<string, string> = {
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l', μ: 'm', ν: 'n', ξ: 'x',
  ο: 'o', π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f', χ: 'ch', ψ: 'ps', ω: 'o',
};

/** Habits for Greek names. */
export const GREEK_HABITS: Record<string, Habit> = {
  elot743: greek({
    single: GR_SINGLE,
    digraphs: [['ου', 'ou', 'ou'], ['γγ', 'ng', 'ng'], ['γκ', 'gk', 'gk'], ['μπ', 'mp', 'mp'], ['ντ', 'nt', 'nt']],
  }),
  phonetic: greek({
    single: { ...GR_SINGLE, χ: 'h', υ: 'i', δ: 'd' },
    digraphs: [
      ['ου', 'ou', 'ou'], ['αι', 'e', 'e'], ['ει', 'i', 'i'], ['οι', 'i', 'i'], ['γγ', 'ng', 'ng'], ['γκ', 'g', 'ng'],
      ['μπ', 'b', 'mb'], ['ντ', 'd', 'nd'], ['γι', 'yi', 'yi'],
    ],
    frontGamma: 'y',
  }),
  // BGN/PCGN 1962 Greek: χ as kh, γ before a front vowel as y.
  bgn: greek({
    single: { ...GR_SINGLE, χ: 'kh', υ: 'i' },
    digraphs: [['ου', 'ou', 'ou'], ['γγ', 'ng', 'ng'], ['γκ', 'g', 'ng'], ['μπ', 'b', 'mb'], ['ντ', 'd', 'nd']],
    frontGamma: 'y',
  }),
  anglo: greek({
    single: { ...GR_SINGLE, υ: 'i' },
    digraphs: [['ου', 'ou', 'ou'], ['αι', 'ai', 'ai'], ['γγ', 'ng', 'ng'], ['γκ', 'g', 'nk'], ['μπ', 'b', 'mb'], ['ντ', 'd', 'nd']],
    backKappa: 'c',
  }),
};

// ---- Diacritic Latin -------------------------------------------------------

function mapChars(table: Record<string, string>): Habit {
  return (name) =>
    [...name]
      .map((ch) => {
        const lower = ch.toLowerCase();
        const m = table[lower];
        if (m === undefined) return ch;
        return ch !== lower && m.length > 0 ? m[0]!.toUpperCase() + m.slice(1) : m;
      })
      .join('');
}

/** Drop every diacritic, as systems without Unicode do. */
export const ascii: Habit = (name) =>
  name
    .replace(/[łŁ]/g, (c) => (c === 'ł' ? 'l' : 'L'))
    .replace(/[đĐ]/g, (c) => (c === 'đ' ? 'd' : 'D'))
    .replace(/ı/g, 'i')
    .replace(/İ/g, 'I')
    .normalize('NFD')
    .replace(/\p{M}/gu, '');

const keep: Habit = (name) => name;

/** Habits per diacritic-Latin origin. */
export const LATIN_HABITS: Partial<Record<Origin, Record<string, Habit>>> = {
  bcs: {
    keep,
    ascii,
    english: mapChars({ š: 'sh', č: 'ch', ć: 'ch', ž: 'zh', đ: 'dj' }),
    german: mapChars({ š: 'sch', č: 'tsch', ć: 'tsch', ž: 'sch', đ: 'dj' }),
  },
  polish: { keep, ascii },
  romanian: { keep, ascii, cedilla: mapChars({ ș: 'ş', ț: 'ţ' }) },
  turkish: {
    keep,
    ascii,
    english: (s) => ascii(mapChars({ ş: 'sh', ç: 'ch', ğ: '' })(s)),
    german: (s) => ascii(mapChars({ ş: 'sch', ç: 'tsch', ğ: '', ö: 'oe', ü: 'ue' })(s)),
  },
  spanish: { keep, ascii },
  // Quốc ngữ kept, or every diacritic dropped and Đ written D (ICAO Doc 9303).
  vietnamese: { keep, ascii },
};
