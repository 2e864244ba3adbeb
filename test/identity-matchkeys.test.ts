/**
 * Match keys: determinism, order independence, the canonical encoding, the
 * bucket function and the 1 January rule (protocol/10-identifiers.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  bucketOf,
  decodeMatchKey,
  deriveMatchKeys,
  deriveQueryKeys,
  encodeMatchKey,
  hasMatchKey,
  MATCH_KEY_TYPE_NAMES,
  MATCH_KEY_TYPES,
  parseIdentifiers,
  type Identifiers,
  type MatchKey,
} from '../src/core/identity/index.js';
import { concatBytes, fromHex, toHex, utf8 } from '../src/core/bytes.js';
import { normaliseName } from '../src/core/identity/normalise-name.js';
import { isCairnError } from '../src/core/errors.js';
import { MATCH_KEYS } from '../src/core/constants.js';

const NOW = () => new Date('2026-06-01T00:00:00Z');
const keysOf = (input: unknown): MatchKey[] => deriveMatchKeys(parseIdentifiers(input, { now: NOW }));
const queryOf = (input: unknown): MatchKey[] => deriveQueryKeys(parseIdentifiers(input, { now: NOW }));
const hexes = (ks: MatchKey[]) => ks.map((k) => toHex(k.encoded));
const rank = { possible: 0, probable: 1, strong: 2 };
/** A search for `a` meets a record of `b` at `min` or stronger. */
const finds = (a: unknown, b: unknown, min: 'strong' | 'probable' | 'possible') => {
  const hb = new Set(keysOf(b).filter((k) => rank[k.strength] >= rank[min]).map((k) => toHex(k.encoded)));
  return queryOf(a).some((k) => rank[k.strength] >= rank[min] && hb.has(toHex(k.encoded)));
};
/** Two records match: a search for either meets the other (the relation is symmetric; both ways are checked). */
const shared = (a: unknown, b: unknown, min: 'strong' | 'probable' | 'possible' = 'probable') => {
  const either = finds(a, b, min);
  expect(finds(b, a, min), 'a match one way is a match the other way').toBe(either);
  return either;
};
const dob = (date: string) => ({ precision: 'day' as const, date });

describe('MATCH_KEY_TYPES', () => {
  it('has unique one-byte ids and a strength and description for each type', () => {
    const ids = Object.values(MATCH_KEY_TYPES).map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of Object.values(MATCH_KEY_TYPES)) {
      expect(t.id).toBeGreaterThan(0);
      expect(t.id).toBeLessThan(256);
      expect(MATCH_KEYS.strengths).toContain(t.strength);
      expect(t.description.length).toBeGreaterThan(10);
    }
    expect(MATCH_KEY_TYPE_NAMES).toEqual(Object.keys(MATCH_KEY_TYPES).sort((a, b) => MATCH_KEY_TYPES[a as keyof typeof MATCH_KEY_TYPES].id - MATCH_KEY_TYPES[b as keyof typeof MATCH_KEY_TYPES].id));
  });
});

describe('deriveMatchKeys', () => {
  const person = {
    names: [{ given: 'Oleksandr', family: 'Shevchenko', patronymic: 'Serhiyovych' }],
    dateOfBirth: dob('2012-03-14'),
    phones: [{ number: '+380 50 123 4567' }],
  };

  it('is deterministic and deduplicated, every key carrying version and strength', () => {
    const a = keysOf(person);
    const b = keysOf(structuredClone(person));
    expect(hexes(a)).toEqual(hexes(b));
    expect(new Set(hexes(a)).size).toBe(a.length);
    for (const k of a) {
      expect(k.version).toBe(MATCH_KEYS.version);
      expect(k.strength).toBe(MATCH_KEY_TYPES[k.type].strength);
      expect(decodeMatchKey(k.encoded).typeId).toBe(MATCH_KEY_TYPES[k.type].id);
    }
  });

  it('does not depend on the order of list entries', () => {
    const ids: Identifiers = {
      names: [{ given: 'Amina', family: 'Haddad' }, { given: 'Aminah', family: 'al-Haddad' }],
      dateOfBirth: dob('2010-06-30'),
      emails: ['a@example.org', 'b@example.org'],
      phones: [{ number: '+31 6 12345678' }, { number: '+49 171 1234567' }],
    };
    const rev: Identifiers = { ...ids, names: [...ids.names!].reverse(), emails: [...ids.emails!].reverse(), phones: [...ids.phones!].reverse() };
    expect(hexes(deriveMatchKeys(rev))).toEqual(hexes(deriveMatchKeys(ids)));
  });

  it('survives given/family swaps (property)', () => {
    // Names, not placeholders for an unknown one (Lnu, Fnu, Unknown): those give no name to match on (10.2 step 7a).
    const word = fc.stringMatching(/^[A-Z][a-z]{2,9}$/).filter((w) => !normaliseName(w).placeholder);
    fc.assert(
      fc.property(word, word, fc.integer({ min: 2, max: 28 }), (g, f, day) => {
        const d = dob(`2011-05-${String(day).padStart(2, '0')}`);
        const a = { names: [{ given: g, family: f }], dateOfBirth: d };
        const b = { names: [{ given: f, family: g }], dateOfBirth: d };
        expect(shared(a, b, 'probable')).toBe(true);
        const ka = keysOf(a).filter((k) => k.type === 'phoneticPairDob');
        const kb = keysOf(b).filter((k) => k.type === 'phoneticPairDob');
        expect(hexes(ka)).toEqual(hexes(kb));
      }),
      { numRuns: 200 },
    );
  });

  it('matches the same child written from different scripts at probable strength', () => {
    const d = dob('2014-09-21');
    expect(shared({ names: [{ given: 'محمد', family: 'الحسن' }], dateOfBirth: d }, { names: [{ given: 'Mohamed', family: 'El Hassan' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'Дмитрий', family: 'Жуков' }], dateOfBirth: d }, { names: [{ given: 'Dmitrij', family: 'Schukow' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'ፀሐዬ', family: 'ተስፋዬ' }], dateOfBirth: d }, { names: [{ given: 'Tshaye', family: 'Tesfai' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'Χρήστος', family: 'Μπακογιάννης' }], dateOfBirth: d }, { names: [{ given: 'Christos', family: 'Mpakogiannis' }], dateOfBirth: d })).toBe(true);
    // Somali orthography against English spelling: reading B of both tokens.
    expect(shared({ names: [{ given: 'Maxamed', family: 'Cabdullaahi' }], dateOfBirth: d }, { names: [{ given: 'Mohamed', family: 'Abdullahi' }], dateOfBirth: d })).toBe(true);
  });

  it('survives patronymic chains recorded differently (10.4 given pair)', () => {
    const d = dob('2012-05-19');
    // Given, father, grandfather: one register writes "given father / grandfather", another "given / father grandfather".
    expect(shared({ names: [{ given: 'Hodan Jaamac', family: 'Cabdulahi' }], dateOfBirth: d }, { names: [{ given: 'Hodan', family: 'Jama Abdulahi' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'Dawit Tesfaye', family: 'Gebremedhin' }], dateOfBirth: d }, { names: [{ given: 'Dawit', family: 'Tesfaye' }], dateOfBirth: d })).toBe(true);
    // The father's name in Somali orthography (Jaamac) against Jama: only the given pair's reading B joins them.
    expect(shared({ names: [{ given: 'Hodan Jaamac', family: 'Warsame' }], dateOfBirth: d }, { names: [{ given: 'Hodan', family: 'Jama' }], dateOfBirth: d })).toBe(true);
  });

  it('meets two given names typed as one word through the joined given name (10.4), at probable only', () => {
    const d = dob('2013-09-14');
    const spaced = { names: [{ given: 'Mariam Shabnam', family: 'Soltani' }], dateOfBirth: d };
    expect(shared(spaced, { names: [{ given: 'Mariamshabnam', family: 'Soltani' }], dateOfBirth: d })).toBe(true);
    // From Dari script, unvocalised, against the joined Latin spelling.
    expect(shared({ names: [{ given: 'مریم شبنم', family: 'سلطانی' }], dateOfBirth: d }, { names: [{ given: 'Mariamshabnam', family: 'Soltani' }], dateOfBirth: d })).toBe(true);
    // Reading B: Somali x for ḥ on both sides of the join.
    expect(shared({ names: [{ given: 'Maryan Xasan', family: 'Cabdulahi' }], dateOfBirth: d }, { names: [{ given: 'Maryanxasan', family: 'Abdulahi' }], dateOfBirth: d })).toBe(true);
    // The joined name has no year key: with another date of the same year the two records share nothing.
    expect(shared(spaced, { names: [{ given: 'Mariamshabnam', family: 'Soltani' }], dateOfBirth: dob('2013-10-14') }, 'possible')).toBe(false);
    // Written family name first, the two names are family tokens: the joined family name meets them.
    expect(shared({ names: [{ given: 'Soltani', family: 'Mariam Shabnam' }], dateOfBirth: d }, { names: [{ given: 'Mariamshabnam', family: 'Soltani' }], dateOfBirth: d })).toBe(true);
    // A sibling with another second given name stays apart.
    expect(shared(spaced, { names: [{ given: 'Mariamsahar', family: 'Soltani' }], dateOfBirth: d })).toBe(false);
  });

  it('joins Vietnamese compound given names and keeps twins who share a syllable apart', () => {
    const d = dob('2016-10-23');
    const spaced = { names: [{ given: 'Thị Thu Hà', family: 'Nguyễn' }], dateOfBirth: d };
    expect(shared(spaced, { names: [{ given: 'Thuha', family: 'Nguyen' }], dateOfBirth: d })).toBe(true);
    expect(shared(spaced, { names: [{ given: 'Nguyen', family: 'Thu-Ha' }], dateOfBirth: d })).toBe(true); // family name first
    expect(shared(spaced, { names: [{ given: 'Thị Thu Trang', family: 'Nguyễn' }], dateOfBirth: d })).toBe(false); // her twin
    // Twins whose second syllables differ by one code symbol (MNHTS / MNHTN): the compound gets no typo variants.
    const tuan = { names: [{ given: 'Văn Minh Tuấn', family: 'Huỳnh' }], dateOfBirth: d };
    expect(shared(tuan, { names: [{ given: 'Minh Đức', family: 'Huỳnh' }], dateOfBirth: d })).toBe(false);
    expect(shared(tuan, { names: [{ given: 'Huynh', family: 'Minh Duc' }], dateOfBirth: d })).toBe(false); // family name first
    // The family name keeps its variants.
    expect(shared(tuan, { names: [{ given: 'Minh Tuan', family: 'Hunh' }], dateOfBirth: d })).toBe(true);
  });

  it('reads a mistyped Vietnamese family name as the listed one (10.4)', () => {
    const d = dob('2009-06-21');
    const bui = { names: [{ given: 'Thành Công', family: 'Bùi' }], dateOfBirth: d };
    expect(shared(bui, { names: [{ given: 'Thanh Cong', family: 'Bsui' }], dateOfBirth: d })).toBe(true);
    expect(shared(bui, { names: [{ given: 'Bsui', family: 'Thanh Cong' }], dateOfBirth: d })).toBe(true); // family name first
    const hoang = { names: [{ given: 'Thị Hồng Nhung', family: 'Hoàng' }], dateOfBirth: d };
    expect(shared(hoang, { names: [{ given: 'Thi Hong Nhung', family: 'Haong' }], dateOfBirth: d })).toBe(true);
  });

  it('leaves a mistyped Văn or Thị out of the Vietnamese join, but not a given syllable one substitution from Thị (10.4)', () => {
    const d = dob('2010-12-05');
    const tuan = { names: [{ given: 'Văn Minh Tuấn', family: 'Nguyễn' }], dateOfBirth: d };
    for (const typed of ['Vn Minh Tuan', 'Vanj Minh Tuan', 'Vărn Minh Tuấn']) {
      expect(shared(tuan, { names: [{ given: typed, family: 'Nguyen' }], dateOfBirth: d }), typed).toBe(true);
    }
    expect(shared(tuan, { names: [{ given: 'Nguyen', family: 'Vamn Minh Tuan' }], dateOfBirth: d })).toBe(true); // family name first
    const mai = { names: [{ given: 'Thị Mai', family: 'Dương' }], dateOfBirth: d };
    expect(shared(mai, { names: [{ given: 'Th Mai', family: 'Duong' }], dateOfBirth: d })).toBe(true);
    expect(shared(mai, { names: [{ given: 'Thu Mai', family: 'Duong' }], dateOfBirth: d })).toBe(false); // Thu is a name, not Thị
  });

  it('joins unvocalised Dari script to its Latin spellings (10.2 Persian reading, waw after alif, vowel before heh)', () => {
    const d = dob('2013-12-30');
    expect(shared({ names: [{ given: 'فرید', family: 'ذبیح الله' }], dateOfBirth: d }, { names: [{ given: 'Fareed', family: 'Zabihullah' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'جاوید', family: 'کریمی' }], dateOfBirth: d }, { names: [{ given: 'Javid', family: 'Karimy' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'زهرا', family: 'حکیمی' }], dateOfBirth: d }, { names: [{ given: 'Zahra', family: 'Hakimy' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'سهراب', family: 'گل احمد' }], dateOfBirth: d }, { names: [{ given: 'Sohrab', family: 'Gulahmad' }], dateOfBirth: d })).toBe(true);
  });

  it('survives a missing patronymic, an extra middle name and half a compound surname', () => {
    const d = dob('2009-11-02');
    expect(shared(person, { names: [{ given: 'Oleksandr', family: 'Shevchenko' }], dateOfBirth: dob('2012-03-14') })).toBe(true);
    expect(shared({ names: [{ given: 'Ana', family: 'García López' }], dateOfBirth: d }, { names: [{ given: 'Ana Sofía', family: 'López' }], dateOfBirth: d })).toBe(true);
  });

  it('survives one typo in either name at probable strength', () => {
    const d = dob('2013-04-17');
    expect(shared({ names: [{ given: 'Wojciech', family: 'Kowalczyk' }], dateOfBirth: d }, { names: [{ given: 'Wojciech', family: 'Kowalczuk' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'Wojciech', family: 'Kowalczyk' }], dateOfBirth: d }, { names: [{ given: 'Wojceich', family: 'Kowalczyk' }], dateOfBirth: d })).toBe(true);
    // A letter dropped from a short name (3-symbol code meets its deletion).
    expect(shared({ names: [{ given: 'Taras', family: 'Oliynyk' }], dateOfBirth: d }, { names: [{ given: 'Taas', family: 'Oliynyk' }], dateOfBirth: d })).toBe(true);
    // …but not a vowel-initial one: Anna and Jelena Fedorova are twins.
    expect(shared({ names: [{ given: 'Anna', family: 'Fedorova' }], dateOfBirth: d }, { names: [{ given: 'Jelena', family: 'Fedorova' }], dateOfBirth: d })).toBe(false);
  });

  it('matches day/month swaps and year-level dates only at possible strength', () => {
    const n = [{ given: 'Yusuf', family: 'Haddad' }];
    expect(shared({ names: n, dateOfBirth: dob('2012-04-05') }, { names: n, dateOfBirth: dob('2012-05-04') }, 'probable')).toBe(false);
    expect(shared({ names: n, dateOfBirth: dob('2012-04-05') }, { names: n, dateOfBirth: dob('2012-05-04') }, 'possible')).toBe(true);
    expect(shared({ names: n, dateOfBirth: dob('2012-04-05') }, { names: n, dateOfBirth: { precision: 'year', date: '2012' } }, 'possible')).toBe(true);
    expect(shared({ names: n, dateOfBirth: dob('2012-04-05') }, { names: n, dateOfBirth: { precision: 'estimated', date: '2014', plusMinusYears: 2 } }, 'possible')).toBe(true);
    expect(shared({ names: n, dateOfBirth: dob('2012-04-05') }, { names: n, dateOfBirth: { precision: 'estimated', date: '2015', plusMinusYears: 2 } }, 'possible')).toBe(false);
  });

  it('meets a swapped day and month through the unordered-date key (0x20), taken only where a swap is possible', () => {
    const n = [{ given: 'Yusuf', family: 'Haddad' }];
    const types = (date: string) => new Set(keysOf({ names: n, dateOfBirth: dob(date) }).map((k) => k.type));
    expect(types('2012-04-05')).toEqual(new Set(['phoneticPairDob', 'phoneticPairDobUnordered', 'phoneticPairExactYear']));
    // A day over 12, or day equal to month, cannot have been swapped.
    expect(types('2012-04-13')).toEqual(new Set(['phoneticPairDob', 'phoneticPairExactYear']));
    expect(types('2012-04-04')).toEqual(new Set(['phoneticPairDob', 'phoneticPairExactYear']));
    const unordered = (a: unknown, b: unknown) => {
      const ka = hexes(keysOf(a).filter((k) => k.type === 'phoneticPairDobUnordered'));
      return queryOf(b).some((k) => k.type === 'phoneticPairDobUnordered' && ka.includes(toHex(k.encoded)));
    };
    expect(unordered({ names: n, dateOfBirth: dob('2012-04-05') }, { names: [{ given: 'Haddad', family: 'Yusuf' }], dateOfBirth: dob('2012-05-04') })).toBe(true);
  });

  it('stores the year of an exact date as 0x23 and asks it only from estimates: two exact dates never meet on their year alone', () => {
    const n = [{ given: 'Yusuf', family: 'Haddad' }];
    const exact = { names: n, dateOfBirth: dob('2012-04-15') };
    const yearsOf = (ks: MatchKey[], type: string) => ks.filter((k) => k.type === type).map((k) => new TextDecoder().decode(decodeMatchKey(k.encoded).fields[2]));
    // A record with an exact date stores its year as 0x23; a search for it asks the estimates' 0x21 instead.
    expect(yearsOf(keysOf(exact), 'phoneticPairExactYear')).toEqual(['2012']);
    expect(yearsOf(keysOf(exact), 'phoneticPairYear')).toEqual([]);
    expect(yearsOf(queryOf(exact), 'phoneticPairYear')).toEqual(['2012']);
    expect(yearsOf(queryOf(exact), 'phoneticPairExactYear')).toEqual([]);
    // An estimate stores 0x21 per year of its window and asks both kinds for each.
    const estimate = { names: n, dateOfBirth: { precision: 'estimated', date: '2013', plusMinusYears: 1 } };
    expect(yearsOf(keysOf(estimate), 'phoneticPairYear')).toEqual(['2012', '2013', '2014']);
    expect(yearsOf(keysOf(estimate), 'phoneticPairExactYear')).toEqual([]);
    expect(yearsOf(queryOf(estimate), 'phoneticPairYear')).toEqual(['2012', '2013', '2014']);
    expect(yearsOf(queryOf(estimate), 'phoneticPairExactYear')).toEqual(['2012', '2013', '2014']);
    // So: exact meets estimate and estimate meets estimate, either way round; two exact dates of one year do not.
    expect(shared(exact, estimate, 'possible')).toBe(true);
    expect(shared(estimate, { names: n, dateOfBirth: { precision: 'estimated', date: '2015', plusMinusYears: 1 } }, 'possible')).toBe(true);
    expect(shared(exact, { names: n, dateOfBirth: dob('2012-09-23') }, 'possible')).toBe(false);
    // Every key but the year keys is asked as stored.
    const others = (ks: MatchKey[]) => hexes(ks.filter((k) => k.type !== 'phoneticPairYear' && k.type !== 'phoneticPairExactYear'));
    expect(others(queryOf(exact))).toEqual(others(keysOf(exact)));
    expect(others(queryOf(estimate))).toEqual(others(keysOf(estimate)));
  });

  it('derives no typo-and-year and no exact-spelling key (0x22 and 0x10 are retired)', () => {
    const ks = keysOf({ names: [{ given: 'Wojciech', family: 'Kowalczyk' }], dateOfBirth: { precision: 'year', date: '2012' } });
    expect(ks.map((k) => k.type)).toEqual(['phoneticPairYear']);
    expect(MATCH_KEY_TYPE_NAMES).not.toContain('phoneticEditYear');
    expect(MATCH_KEY_TYPE_NAMES).not.toContain('nameDob');
  });

  it('keys a 1 January date as year ± 1, never day-exact', () => {
    const n = [{ given: 'Yusuf', family: 'Haddad' }];
    const ks = keysOf({ names: n, dateOfBirth: dob('2012-01-01') });
    expect(ks.every((k) => k.strength === 'possible')).toBe(true);
    const years = ks.filter((k) => k.type === 'phoneticPairYear').map((k) => new TextDecoder().decode(decodeMatchKey(k.encoded).fields[2]));
    expect(years).toEqual(['2011', '2012', '2013']);
    expect(shared({ names: n, dateOfBirth: dob('2011-08-19') }, { names: n, dateOfBirth: dob('2012-01-01') }, 'possible')).toBe(true);
    expect(shared({ names: n, dateOfBirth: dob('2012-01-01') }, { names: n, dateOfBirth: dob('2012-01-01') }, 'probable')).toBe(false);
  });

  it('gives strong keys that ignore formatting but not provider-specific e-mail rules', () => {
    const a = { documents: [{ type: 'passport', issuingCountry: 'DE', number: 'c01x-00t.47' }], phones: [{ number: '+44 20 7946 0958' }], emails: [' Amina@Example.ORG '], handles: [{ platform: 'twitter', handle: '@Amina' }] };
    const b = { documents: [{ type: 'passport', issuingCountry: 'DE', number: 'C01X00T47' }], phones: [{ number: '020 7946 0958', country: 'GB' }], emails: ['amina@example.org'], handles: [{ platform: 'x', handle: 'amina' }] };
    expect(hexes(keysOf(a))).toEqual(hexes(keysOf(b)));
    expect(shared({ emails: ['amina+x@example.org'] }, { emails: ['amina@example.org'] }, 'strong')).toBe(false);
    expect(shared({ emails: ['a.mina@gmail.com'] }, { emails: ['amina@gmail.com'] }, 'strong')).toBe(false);
    expect(shared({ documents: [{ type: 'passport', issuingCountry: 'DE', number: 'X1' }] }, { documents: [{ type: 'passport', issuingCountry: 'AT', number: 'X1' }] }, 'strong')).toBe(false);
  });

  it('meets a single name only another single name born the same day, at possible (0x24)', () => {
    const single = (names: unknown[], date = '2013-07-19') => ({ names, dateOfBirth: dob(date) });
    const types = (input: unknown) => [...new Set(keysOf(input).map((k) => k.type))];
    expect(types(single([{ given: 'Ahmad' }]))).toEqual(['phoneticSingleDob']);
    // A mononym written by two registers, an initial and a name (R. Priya), an alias of one word.
    expect(shared(single([{ given: 'Ahmad' }]), single([{ family: 'Ahmed' }]), 'possible')).toBe(true);
    expect(shared(single([{ given: 'Ahmad' }]), single([{ given: 'Ahmad' }]), 'probable')).toBe(false);
    expect(shared(single([{ given: 'R. Priya' }]), single([{ aliases: ['Priya'] }]), 'possible')).toBe(true);
    expect(shared(single([{ given: 'أحمد' }]), single([{ given: 'Ahmad' }]), 'possible')).toBe(true);
    // Not another day, not a year, and never a name of two words: a given
    // name and a birthday shared with a whole family name is not the same person.
    expect(shared(single([{ given: 'Ahmad' }]), single([{ given: 'Ahmad' }], '2013-07-20'), 'possible')).toBe(false);
    expect(shared(single([{ given: 'Ahmad' }]), { names: [{ given: 'Ahmad' }], dateOfBirth: { precision: 'estimated', date: '2013', plusMinusYears: 1 } }, 'possible')).toBe(false);
    expect(shared(single([{ given: 'Ahmad' }]), single([{ given: 'Ahmad', family: 'Rahimi' }]), 'possible')).toBe(false);
    expect(keysOf(single([{ given: 'Ahmad' }], '2013-01-01'))).toEqual([]);
    expect(keysOf({ names: [{ given: 'Ahmad' }], dateOfBirth: { precision: 'month', date: '2013-07' } })).toEqual([]);
    // Both readings, as for 0x11 (Somali x for h).
    expect(shared(single([{ given: 'Xasan' }]), single([{ given: 'Hasan' }]), 'possible')).toBe(true);
  });

  it('reads past a form of address a register put before the name (Miss Amina, Master Ali): it would take the given name\'s place', () => {
    const d = dob('2013-07-19');
    expect(shared({ names: [{ given: 'Miss Amina', family: 'Haddad' }], dateOfBirth: d }, { names: [{ given: 'Amina', family: 'Haddad' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ aliases: ['Master Ali Khan'] }], dateOfBirth: d }, { names: [{ given: 'Ali', family: 'Khan' }], dateOfBirth: d })).toBe(true);
    expect(shared({ names: [{ given: 'Frau Anna', family: 'Schmidt' }], dateOfBirth: d }, { names: [{ given: 'Anna', family: 'Schmidt' }], dateOfBirth: d })).toBe(true);
    // Master is a family name too: alone in its field, it stays one.
    expect(shared({ names: [{ given: 'Rustom', family: 'Master' }], dateOfBirth: d }, { names: [{ given: 'Rustom' }], dateOfBirth: d }, 'possible')).toBe(false);
  });

  it('meets a name written with or without a leading Muhammad, Md. or Sayed before the name a person is called by (10.4)', () => {
    const d = dob('2013-07-19');
    const rec = (given: string, family: string, dateOfBirth: unknown = d) => ({ names: [{ given, family }], dateOfBirth });
    expect(shared(rec('Md. Rahim', 'Uddin'), rec('Rahim', 'Uddin'))).toBe(true);
    expect(shared(rec('Mohammad Nabi', 'Karimi'), rec('Nabi', 'Karimi'))).toBe(true);
    expect(shared(rec('محمد نبی', 'کریمی'), rec('Nabi', 'Karimi'))).toBe(true);
    expect(shared(rec('Sayed Ahmad', 'Rahimi'), rec('Ahmad', 'Rahimi'))).toBe(true);
    expect(shared(rec('Syeda Fatima', 'Shah'), rec('Fatima', 'Shah'))).toBe(true);
    // Khan is no mistyped Phan (10.4): Mohammad Ali Khan is no Vietnamese compound name.
    expect(shared(rec('Mohammad Ali', 'Khan'), rec('Mohammad', 'Khan'))).toBe(true);
    expect(shared(rec('Mohammad Ali', 'Khan'), rec('Ali', 'Khan'))).toBe(true);
    // Mst. before a woman's name is a title (10.2 step 14).
    expect(shared(rec('Mst. Rahima', 'Begum'), rec('Rahima', 'Begum'))).toBe(true);
    // With an estimated date on one side, the leading pair meets at possible, as the first pair would.
    expect(shared(rec('Md. Rahim', 'Uddin'), rec('Rahim', 'Uddin', { precision: 'estimated', date: '2013', plusMinusYears: 1 }), 'possible')).toBe(true);
    // The leading pair has no typo variants: a typo in the record that has the leading name is not met
    // (one in the other record still is, through that record's own variants).
    expect(shared(rec('Md. Rahim', 'Uzdin'), rec('Rahim', 'Uddin'))).toBe(false);
    expect(shared(rec('Rahim', 'Uzdin'), rec('Rahim', 'Uddin'))).toBe(true);
    // Not any other first name, and not the leading name as the name itself.
    expect(shared(rec('Karim Rahim', 'Uddin'), rec('Rahim', 'Uddin'), 'possible')).toBe(false);
    expect(shared(rec('Mohammad', 'Uddin'), rec('Rahim', 'Uddin'), 'possible')).toBe(false);
    // What the record without the leading name stores, the record with it stores too, but for the typo variants.
    const withLead = new Set(hexes(keysOf(rec('Md. Rahim', 'Uddin'))));
    const missing = keysOf(rec('Rahim', 'Uddin')).filter((k) => !withLead.has(toHex(k.encoded)));
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.every((k) => k.type === 'phoneticPairDob')).toBe(true);
    const exactPair = encodeMatchKey(MATCH_KEYS.types.phoneticPairDob.id, ['ATN', 'RHM', '2013-07-19']);
    expect(withLead.has(toHex(exactPair))).toBe(true);
  });

  it('takes no placeholder for a name: FNU, LNU, Unknown or NN are not names, and two records holding one are not alike', () => {
    const d = dob('2013-07-19');
    // Before, "Ahmad LNU" was the pair (Ahmad, LNU) at probable: it met Ahmad Lina and every other Ahmad LNU of that day.
    expect(shared({ names: [{ given: 'Ahmad', family: 'LNU' }], dateOfBirth: d }, { names: [{ given: 'Ahmad', family: 'Lina' }], dateOfBirth: d }, 'possible')).toBe(false);
    expect(shared({ names: [{ given: 'Ahmad', family: 'LNU' }], dateOfBirth: d }, { names: [{ given: 'Ahmed', family: 'Unknown' }], dateOfBirth: d }, 'probable')).toBe(false);
    // What is left is a single name, and it meets the same name with any other placeholder, or none, born that day.
    const ahmad = hexes(keysOf({ names: [{ given: 'Ahmad' }], dateOfBirth: d }));
    for (const names of [
      [{ given: 'Ahmad', family: 'LNU' }],
      [{ given: 'FNU', family: 'Ahmad' }],
      [{ given: 'Ahmad', family: 'Unbekannt' }],
      [{ given: 'Ahmad', family: 'Неизвестный' }],
      [{ given: 'Ahmad', family: 'مجهول' }],
      [{ given: 'Ahmad', family: 'N.N.' }],
      [{ given: 'Ahmad', family: 'XXX' }],
      [{ given: 'Ahmad', family: 'Not known' }],
      [{ given: 'Ahmad NMN', patronymic: 'NN' }],
      [{ aliases: ['Ahmad Unknown'] }],
    ]) {
      expect(hexes(keysOf({ names, dateOfBirth: d })), JSON.stringify(names)).toEqual(ahmad);
    }
    // A placeholder next to real names is dropped and the rest pair as usual.
    expect(hexes(keysOf({ names: [{ given: 'Ahmad', family: 'Unknown Rahimi' }], dateOfBirth: d }))).toEqual(hexes(keysOf({ names: [{ given: 'Ahmad', family: 'Rahimi' }], dateOfBirth: d })));
    // Words of a placeholder phrase are names on their own.
    expect(keysOf({ names: [{ given: 'Maruf', family: 'No' }], dateOfBirth: d }).some((k) => k.type === 'phoneticPairDob')).toBe(true);
    // Nothing but placeholders: no key at all.
    expect(keysOf({ names: [{ given: 'FNU', family: 'LNU' }], dateOfBirth: d })).toEqual([]);
  });

  it('reads a name in Hebrew letters both ways where ב כ פ may be hard or soft, token by token', () => {
    const d = dob('2015-03-09');
    const person = (given: string, family: string) => ({ names: [{ given, family }], dateOfBirth: d });
    // A soft given name beside a hard surname: each token is read both ways, so the mix meets too.
    expect(shared(person('רבקה', 'גולדברג'), person('Rivka', 'Goldberg'))).toBe(true);
    expect(shared(person('מרדכי', 'שפירא'), person('Mordechai', 'Shapira'))).toBe(true);
    expect(shared(person('אסתר', 'פרידמן'), person('Ester', 'Friedman'))).toBe(true);
    // Soft on both, hard on both.
    expect(shared(person('יעקב', 'לוי'), person('Yaakov', 'Levi'))).toBe(true);
    expect(shared(person('מלכה', 'אשכנזי'), person('Malka', 'Ashkenazi'))).toBe(true);
    // Leah is no particle "la" beside another given name (10.2 step 4): the pair is (Leah, Cohen), not (Sara, Cohen).
    expect(shared(person('לאה שרה', 'כהן'), person('Leah Sara', 'Cohen'))).toBe(true);
    expect(shared(person('לאה שרה', 'כהן'), person('Sara', 'Cohen'))).toBe(false);
    // Both readings are held: a register that wrote the soft one in Latin letters meets it too.
    expect(shared(person('רבקה', 'גולדברג'), person('Rivka', 'Goldverg'))).toBe(true);
    // A second reading gets no typo variants (10.4): here 30 keys, against 18 for the Latin spelling.
    expect(keysOf(person('רבקה', 'גולדברג'))).toHaveLength(30);
    expect(keysOf(person('Rivka', 'Goldberg'))).toHaveLength(18);
  });

  it('gives no name keys without a date of birth (a name alone is not a match)', () => {
    expect(keysOf({ names: [{ given: 'Mohammed', family: 'Ali' }] })).toEqual([]);
  });

  it('throws a typed error for identifiers that would not parse', () => {
    try {
      deriveMatchKeys({ phones: [{ number: '+1 555 0100' }] });
      expect.unreachable();
    } catch (e) {
      expect(isCairnError(e, 'identifier_invalid')).toBe(true);
    }
  });
});

describe('hasMatchKey', () => {
  it('says whether deriveMatchKeys gives any key, for every vector and for identifiers that give none', () => {
    const dob = { precision: 'day', date: '2014-05-06' };
    const keyless = [
      { names: [{ given: 'Olena' }], dateOfBirth: { precision: 'day', date: '2014-01-01' } },
      { names: [{ family: 'Shevchenko' }], dateOfBirth: { precision: 'estimated', date: '2014', plusMinusYears: 1 } },
      { names: [{ given: 'Olena', family: 'Shevchenko' }] },
      { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'unknown' } },
      { names: [{ aliases: ['Olena'] }], dateOfBirth: { precision: 'month', date: '2014-05' } },
      { names: [{ given: 'FNU', family: 'LNU' }], dateOfBirth: dob },
    ];
    const keyed = [
      { names: [{ given: 'Olena' }], dateOfBirth: dob },
      { names: [{ given: 'Olena', family: 'Unknown' }], dateOfBirth: dob },
      { names: [{ aliases: ['Olena'] }], dateOfBirth: dob },
      { names: [{ given: 'Olena', patronymic: 'Ivanivna' }], dateOfBirth: dob },
      { names: [{ aliases: ['Olena Shevchenko'] }], dateOfBirth: { precision: 'estimated', date: '2013', plusMinusYears: 1 } },
      { names: [{ given: 'Olena' }], phones: [{ number: '+380501234567' }] },
      { fileSha256: ['0'.repeat(64)] },
    ];
    const vectors = (JSON.parse(readFileSync(new URL('./vectors/matchkeys/vectors.json', import.meta.url), 'utf8')) as { vectors: { identifiers: unknown }[] }).vectors.map((v) => v.identifiers);
    for (const input of [...keyless, ...keyed, ...vectors]) {
      const ids = parseIdentifiers(input, { now: NOW });
      expect(hasMatchKey(ids), JSON.stringify(input)).toBe(deriveMatchKeys(ids).length > 0);
    }
    expect(keyless.map((i) => hasMatchKey(parseIdentifiers(i, { now: NOW })))).toEqual(keyless.map(() => false));
    expect(keyed.map((i) => hasMatchKey(parseIdentifiers(i, { now: NOW })))).toEqual(keyed.map(() => true));
  });
});

describe('canonical encoding', () => {
  it('is prefix || version || type id || length-prefixed fields (golden)', () => {
    const enc = encodeMatchKey(0x11, ['AR', 'S', '2011-07-05']);
    expect(toHex(enc)).toBe('636169726e2d6d6b011100024152000153000a323031312d30372d3035');
    expect(decodeMatchKey(enc)).toEqual({ version: 1, typeId: 0x11, fields: [utf8('AR'), utf8('S'), utf8('2011-07-05')] });
  });

  it('round-trips any fields (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), (id, fields) => {
        const d = decodeMatchKey(encodeMatchKey(id, fields));
        expect(d.typeId).toBe(id);
        expect(d.fields.map(toHex)).toEqual(fields.map(toHex));
      }),
    );
  });

  it('rejects malformed encodings with a typed error', () => {
    for (const bad of ['', '636169726e2d6d6b01', '646169726e2d6d6b0111', '636169726e2d6d6b01110005414243']) {
      expect(() => decodeMatchKey(fromHex(bad))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    }
  });
});

describe('bucketOf', () => {
  const key = fromHex('636169726e2d6d6b0102000d2b343432303739343630393538');

  it('is the first b bits of SHA-256(label || key)', () => {
    const h = sha256(concatBytes(utf8(MATCH_KEYS.bucketLabel), key));
    const first24 = (h[0]! << 16) | (h[1]! << 8) | h[2]!;
    for (let b = 1; b <= 24; b++) expect(bucketOf(key, b)).toBe(first24 >>> (24 - b));
    expect(bucketOf(key, 16)).toBe(30766);
  });

  it('nests: the b-bit bucket is the prefix of the (b+1)-bit bucket (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 23 }), (k, b) => {
        const x = bucketOf(k, b + 1);
        expect(x).toBeLessThan(2 ** (b + 1));
        expect(x >>> 1).toBe(bucketOf(k, b));
      }),
    );
  });

  it.each([0, 25, 1.5, Number.NaN, -1])('rejects bits = %s', (bits) => {
    expect(() => bucketOf(key, bits)).toThrow(expect.objectContaining({ code: 'invalid_request', location: { field: 'bits' } }));
  });
});
