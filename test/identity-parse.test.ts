/**
 * parseIdentifiers at the trust boundary: every bad input gets a typed
 * CairnError('identifier_invalid') naming the field, all problems are
 * listed, and no message repeats the offending value.
 */
import { describe, expect, it } from 'vitest';
import { deriveMatchKeys, namePlaceholderFields, parseIdentifiers, placeholderNote, type Identifiers } from '../src/core/identity/index.js';
import { toHex } from '../src/core/bytes.js';
import { alpha2Of, ISO_3166_ALPHA2, isCountryCode } from '../src/core/identity/countries.js';
import { isCairnError, type CairnError } from '../src/core/errors.js';

const NOW = () => new Date('2026-06-01T12:00:00Z');
const base = { names: [{ given: 'Amina', family: 'Haddad' }] };

function problems(input: unknown): CairnError {
  try {
    parseIdentifiers(input, { now: NOW });
  } catch (e) {
    expect(isCairnError(e, 'identifier_invalid')).toBe(true);
    return e as CairnError;
  }
  throw new Error('expected parseIdentifiers to throw');
}

const issues = (e: CairnError) => (e.details?.['issues'] ?? []) as { field: string; message: string }[];

describe('parseIdentifiers accepts', () => {
  it('a full record in several scripts', () => {
    const ids = {
      names: [
        { given: 'Александр', family: 'Шевченко', patronymic: 'Сергеевич', aliases: ['Sasha'] },
        { given: 'Oleksandr', family: 'Shevchenko' },
      ],
      sex: 'male',
      dateOfBirth: { precision: 'day', date: '2012-03-14' },
      placeOfBirth: { country: 'UA', locality: 'Kharkiv' },
      nationalities: ['UA', 'XK'],
      documents: [{ type: 'passport', issuingCountry: 'UA', number: 'FA 123456' }],
      phones: [{ number: '+380 50 123 4567' }, { number: '0171 1234567', country: 'DE' }],
      emails: ['Sasha.S+kids@Example.org'],
      handles: [{ platform: 'telegram', handle: '@sasha_s' }],
      fileSha256: ['A'.repeat(64)],
    };
    expect(parseIdentifiers(ids, { now: NOW })).toEqual(ids);
  });

  it.each([
    { precision: 'month', date: '2012-03' },
    { precision: 'year', date: '2012' },
    { precision: 'estimated', date: '2012', plusMinusYears: 2 },
    { precision: 'unknown' },
    { precision: 'day', date: '2012-02-29' },
  ])('a date of birth %j', (dob) => {
    expect(parseIdentifiers({ ...base, dateOfBirth: dob }, { now: NOW }).dateOfBirth).toEqual(dob);
  });

  it('placeholders for an unknown name (FNU, LNU, Unknown, NN), which give no token but are no error', () => {
    for (const family of ['LNU', 'Unknown', 'N.N.', 'XXX', 'Неизвестный', 'مجهول', 'Not known']) {
      expect(parseIdentifiers({ names: [{ given: 'Amina', family }] }, { now: NOW }).names![0]!.family, family).toBe(family);
    }
    expect(() => parseIdentifiers({ names: [{ given: 'FNU', family: 'LNU' }] }, { now: NOW })).not.toThrow();
  });

  it('names the fields that held a placeholder, by part and never by value, for a refusal to say', () => {
    const ids = parseIdentifiers({ names: [{ given: 'Amina', family: 'Unknown' }, { given: 'FNU', family: 'XXX', aliases: ['Amina', 'N.N.'] }] }, { now: NOW });
    expect(namePlaceholderFields(ids)).toEqual(['names[0].family', 'names[1].given', 'names[1].family', 'names[1].aliases[1]']);
    const note = placeholderNote(ids);
    expect(note).toBe('; the family name, the given name of name 2, the family name of name 2 and an alias of name 2 are placeholders for unknown names (such as FNU, LNU, Unknown or NN): no names to match on');
    expect(placeholderNote(parseIdentifiers({ names: [{ given: 'Amina', family: 'LNU' }] }, { now: NOW }))).toBe(
      '; the family name is a placeholder for an unknown name (such as FNU, LNU, Unknown or NN): no name to match on',
    );
    expect(placeholderNote(parseIdentifiers(base, { now: NOW }))).toBe('');
  });

  it('names in Arabic, Greek, Ge\'ez and Japanese (Han + kana in one word)', () => {
    for (const given of ['محمد', 'Χρήστος', 'ፀሐዬ', '山田たろう']) expect(() => parseIdentifiers({ names: [{ given }] }, { now: NOW })).not.toThrow();
  });

  it('the marks Hebrew, Armenian, Tibetan and Ge\'ez write inside names, keyed as the apostrophe, hyphen or space they stand for', () => {
    const dob = { precision: 'day', date: '2014-05-06' } as const;
    const keys = (given: string, family: string) => deriveMatchKeys(parseIdentifiers({ names: [{ given, family }], dateOfBirth: dob }, { now: NOW })).map((k) => toHex(k.encoded));
    // Geresh (U+05F3) as typed on a Hebrew keyboard, and the ASCII apostrophe in its place: George Cohen, one set of keys.
    expect(keys('ג\u05F3ורג\u05F3', 'כהן')).toEqual(keys("ג'ורג'", 'כהן'));
    expect(keys('ג\u05F3ורג\u05F3', 'כהן').length).toBeGreaterThan(0);
    // Armenian apostrophe (U+055A).
    expect(keys('Ս\u055Aա', 'Պետրոսյան')).toEqual(keys("Ս'ա", 'Պետրոսյան'));
    // Tibetan tsheg (U+0F0B) between the syllables of Tenzin, and the hyphen any-ascii writes for it.
    expect(keys('བསྟན\u0F0Bའཛིན', 'རྡོ\u0F0Bརྗེ')).toEqual(keys('བསྟན-འཛིན', 'རྡོ-རྗེ'));
    // Ethiopic wordspace (U+1361) between two given names, and a space.
    expect(keys('ሰላም\u1361ሃና', 'ተስፋይ')).toEqual(keys('ሰላም ሃና', 'ተስፋይ'));
    // Maqaf (U+05BE) in Ben-Gurion, and a hyphen.
    expect(keys('דוד', 'בן\u05BEגוריון')).toEqual(keys('דוד', 'בן-גוריון'));
    // Still refused: other punctuation of those scripts, such as the Hebrew sof pasuq (U+05C3).
    expect(problems({ names: [{ given: 'ג\u05C3', family: 'כהן' }] }).details?.issues).toEqual([{ field: 'names[0].given', message: 'may hold only letters, combining marks, spaces, hyphens, apostrophes and dots' }]);
  });

  it('the invisible marks text copied from right-to-left forms and word processors carries, keyed as if absent', () => {
    const dob = { precision: 'day', date: '2014-05-06' } as const;
    const keys = (given: string, family: string) => deriveMatchKeys(parseIdentifiers({ names: [{ given, family }], dateOfBirth: dob }, { now: NOW })).map((k) => toHex(k.encoded));
    // RLM and ALM around and inside Arabic-script names, LRM around a Latin one, a soft hyphen inside one.
    expect(keys('\u200Fمحمد\u200F', 'رضا\u061Cیی')).toEqual(keys('محمد', 'رضایی'));
    expect(keys('\u200EAmina\u200E', 'Had\u00ADdad')).toEqual(keys('Amina', 'Haddad'));
    expect(keys('יוס\u200Fף', 'כהן')).toEqual(keys('יוסף', 'כהן'));
    // A bidi override is still refused, named with its position.
    expect(problems({ names: [{ given: 'Amina\u202Eanidah' }] }).details?.issues).toEqual([
      { field: 'names[0].given', message: 'contains U+202E at character 6, a control or invisible formatting character: remove it' },
    ]);
  });

  it('a record with only a strong identifier', () => {
    expect(() => parseIdentifiers({ fileSha256: ['0'.repeat(64)] }, { now: NOW })).not.toThrow();
  });
});

describe('parseIdentifiers rejects', () => {
  it.each<[string, unknown, string]>([
    ['not an object', 'Amina Haddad', '$'],
    ['an unknown top-level field', { ...base, ssn: '123' }, 'ssn'],
    ['an unknown nested field', { names: [{ given: 'Amina', middle: 'X' }] }, 'names[0].middle'],
    ['an empty name', { names: [{ given: '', family: 'Haddad' }] }, 'names[0].given'],
    ['a blank name', { names: [{ given: '   ', family: 'Haddad' }] }, 'names[0].given'],
    ['an empty name entry', { names: [{}] }, 'names[0]'],
    ['an over-long name', { names: [{ given: 'a'.repeat(101) }] }, 'names[0].given'],
    ['too many name entries', { names: Array.from({ length: 11 }, () => ({ given: 'Amina' })) }, 'names'],
    ['a control character', { names: [{ given: 'Ami\u0000na' }] }, 'names[0].given'],
    ['a bidi override', { names: [{ given: 'Amina\u202Eanidah' }] }, 'names[0].given'],
    ['a zero-width space', { names: [{ given: 'Ami\u200Bna' }] }, 'names[0].given'],
    ['digits in a name', { names: [{ given: 'Amina2' }] }, 'names[0].given'],
    ['symbols in a name', { names: [{ family: 'Haddad (née X)' }] }, 'names[0].family'],
    ['an emoji in an alias', { names: [{ given: 'Amina', aliases: ['Ami 🙂'] }] }, 'names[0].aliases[0]'],
    ['a Cyrillic а inside a Latin word', { names: [{ given: 'M\u0430ria' }] }, 'names[0].given'],
    ['a Greek ο inside a Latin word', { names: [{ family: 'Ple\u03BFn' }] }, 'names[0].family'],
    ['a Latin i inside a Cyrillic word', { names: [{ given: 'Мiхаил' }] }, 'names[0].given'],
    ['a name with nothing to transliterate', { names: [{ given: "''" }] }, 'names[0].given'],
    ['a dash for an unknown name', { names: [{ given: 'Amina', family: '-' }] }, 'names[0].family'],
    ['N/A for an unknown name', { names: [{ given: 'Amina', family: 'N/A' }] }, 'names[0].family'],
    ['an unparseable date', { ...base, dateOfBirth: { precision: 'day', date: '14/03/2012' } }, 'dateOfBirth.date'],
    ['a date at the wrong precision', { ...base, dateOfBirth: { precision: 'month', date: '2012-03-14' } }, 'dateOfBirth.date'],
    ['an unknown precision', { ...base, dateOfBirth: { precision: 'week', date: '2012' } }, 'dateOfBirth.precision'],
    ['30 February', { ...base, dateOfBirth: { precision: 'day', date: '2012-02-30' } }, 'dateOfBirth'],
    ['29 February of a common year', { ...base, dateOfBirth: { precision: 'day', date: '2011-02-29' } }, 'dateOfBirth'],
    ['month 13', { ...base, dateOfBirth: { precision: 'month', date: '2012-13' } }, 'dateOfBirth'],
    ['day 00', { ...base, dateOfBirth: { precision: 'day', date: '2012-03-00' } }, 'dateOfBirth'],
    ['a future date', { ...base, dateOfBirth: { precision: 'day', date: '2026-06-02' } }, 'dateOfBirth'],
    ['a future year', { ...base, dateOfBirth: { precision: 'year', date: '2027' } }, 'dateOfBirth'],
    ['a year before 1900', { ...base, dateOfBirth: { precision: 'year', date: '1899' } }, 'dateOfBirth'],
    ['too wide an estimate', { ...base, dateOfBirth: { precision: 'estimated', date: '2012', plusMinusYears: 6 } }, 'dateOfBirth.plusMinusYears'],
    ['an unknown country code', { ...base, nationalities: ['XX'] }, 'nationalities[0]'],
    ['a lower-case country code', { ...base, nationalities: ['de'] }, 'nationalities[0]'],
    ['an alpha-3 country code', { ...base, placeOfBirth: { country: 'DEU' } }, 'placeOfBirth.country'],
    ['an unknown issuing country', { ...base, documents: [{ type: 'passport', issuingCountry: 'UK', number: 'X1' }] }, 'documents[0].issuingCountry'],
    ['an unknown document type', { ...base, documents: [{ type: 'library_card', issuingCountry: 'DE', number: 'X1' }] }, 'documents[0].type'],
    ['a document number with symbols', { ...base, documents: [{ type: 'passport', issuingCountry: 'DE', number: 'C01X#00T4' }] }, 'documents[0].number'],
    ['an over-long document number', { ...base, documents: [{ type: 'passport', issuingCountry: 'DE', number: '1'.repeat(41) }] }, 'documents[0].number'],
    ['an invalid phone number', { ...base, phones: [{ number: '+1 555 0100' }] }, 'phones[0].number'],
    ['a phone number that is not one', { ...base, phones: [{ number: 'call me' }] }, 'phones[0].number'],
    ['a national number without a country', { ...base, phones: [{ number: '030 1234567' }] }, 'phones[0].number'],
    ['an e-mail without @', { ...base, emails: ['amina.example.org'] }, 'emails[0]'],
    ['an e-mail with an IP domain', { ...base, emails: ['amina@127.0.0.1'] }, 'emails[0]'],
    ['an e-mail with a double dot', { ...base, emails: ['ami..na@example.org'] }, 'emails[0]'],
    ['an over-long e-mail', { ...base, emails: [`${'a'.repeat(250)}@x.org`] }, 'emails[0]'],
    ['a platform slug in capitals', { ...base, handles: [{ platform: 'Telegram', handle: 'amina' }] }, 'handles[0].platform'],
    ['a handle with spaces', { ...base, handles: [{ platform: 'telegram', handle: 'ami na' }] }, 'handles[0].handle'],
    ['an empty handle', { ...base, handles: [{ platform: 'telegram', handle: '@' }] }, 'handles[0].handle'],
    ['a short digest', { ...base, fileSha256: ['ab'.repeat(31)] }, 'fileSha256[0]'],
    ['a non-hex digest', { ...base, fileSha256: ['g'.repeat(64)] }, 'fileSha256[0]'],
    ['an unknown sex', { ...base, sex: 'f' }, 'sex'],
    ['nothing to match on', { sex: 'female', nationalities: ['SY'] }, '$'],
    ['a homoglyph in the place of birth', { ...base, placeOfBirth: { locality: 'Kh\u0430rkiv' } }, 'placeOfBirth.locality'],
  ])('%s', (_what, input, field) => {
    const e = problems(input);
    expect(e.code).toBe('identifier_invalid');
    expect(issues(e).map((i) => i.field)).toContain(field);
    expect(e.location?.field).toBe(issues(e)[0]!.field);
  });

  it('says a dash, a question mark or N/A stands for an unknown name and the field is best left empty', () => {
    for (const mark of ['-', '--', '?', ' N/A ', 'n/a.']) {
      expect(issues(problems({ names: [{ given: 'Amina', family: mark }] })), mark).toEqual([
        { field: 'names[0].family', message: 'stands for an unknown name: leave the field empty' },
      ]);
    }
  });

  it('lists every problem at once, malformed parts or not', () => {
    const e = problems({
      names: [{ given: 'M\u0430ria', family: '' }],
      dateOfBirth: { precision: 'day', date: '2011-02-30' },
      nationalities: ['ZZ'],
      phones: [{ number: '+1 555 0100' }],
      extra: true,
    });
    expect(issues(e).map((i) => i.field).sort()).toEqual(
      ['dateOfBirth', 'extra', 'names[0].family', 'names[0].given', 'nationalities[0]', 'phones[0].number'].sort(),
    );
    expect(e.message).toMatch(/and 5 more/);
  });

  it('never repeats the offending value in messages', () => {
    const secret = 'Zzyzxw\u0430';
    const e = problems({ names: [{ given: secret }], emails: ['secret-mail@'], phones: [{ number: '+99 1234' }] });
    const text = JSON.stringify({ m: e.message, d: e.details });
    expect(text).not.toContain('Zzyzxw');
    expect(text).not.toContain('secret-mail');
    expect(text).not.toContain('1234');
  });
});

describe('country codes', () => {
  it('embeds the 249 officially assigned ISO 3166-1 alpha-2 codes', () => {
    expect(ISO_3166_ALPHA2).toHaveLength(249);
    expect(new Set(ISO_3166_ALPHA2).size).toBe(249);
    expect([...ISO_3166_ALPHA2].sort()).toEqual(ISO_3166_ALPHA2);
    for (const c of ['DE', 'SY', 'ER', 'ET', 'UA', 'GR', 'SS', 'PS', 'AX', 'BQ']) expect(isCountryCode(c)).toBe(true);
    for (const c of ['UK', 'EU', 'XX', 'YU', 'AN', 'de', 'DEU']) expect(isCountryCode(c)).toBe(false);
    expect(isCountryCode('XK')).toBe(true); // user-assigned, accepted on purpose
  });

  it('reads every ISO alpha-3 code, and ICAO D and RKS, as an accepted alpha-2 code, one alpha-3 per alpha-2', () => {
    expect(alpha2Of('POL')).toBe('PL');
    expect(alpha2Of('DEU')).toBe('DE');
    expect(alpha2Of('GBR')).toBe('GB');
    expect(alpha2Of('ALA')).toBe('AX');
    expect(alpha2Of('D')).toBe('DE');
    expect(alpha2Of('RKS')).toBe('XK');
    // Not states, or not ISO: no alpha-2 to read them as.
    for (const c of ['XXA', 'UNO', 'EUE', 'GBD', 'pol', 'PL', 'UK', '']) expect(alpha2Of(c)).toBeUndefined();
    const reached = new Set<string>();
    let mapped = 0;
    for (let a = 65; a <= 90; a++) for (let b = 65; b <= 90; b++) for (let c = 65; c <= 90; c++) {
      const code = String.fromCharCode(a, b, c);
      const a2 = alpha2Of(code);
      if (a2 === undefined) continue;
      mapped++;
      expect(isCountryCode(a2), code).toBe(true);
      if (code !== 'RKS') reached.add(a2);
    }
    expect(mapped).toBe(250); // 249 ISO codes and RKS
    expect([...reached].sort()).toEqual(ISO_3166_ALPHA2);
  });
});

describe('phones in national or 00 form follow the node country', () => {
  const keyOf = (ids: Identifiers) => deriveMatchKeys(ids).filter((k) => k.type === 'phone').map((k) => toHex(k.encoded));

  it('reads a national number by the node country and records it as the phone country', () => {
    const ids = parseIdentifiers({ phones: [{ number: '030 1234567' }] }, { now: NOW, phoneCountry: 'DE' });
    expect(ids.phones).toEqual([{ number: '030 1234567', country: 'DE' }]);
    expect(keyOf(ids)).toEqual(keyOf(parseIdentifiers({ phones: [{ number: '+49 30 1234567' }] }, { now: NOW })));
  });

  it('keeps a phone country given with the number, and E.164 numbers as they are', () => {
    const ids = parseIdentifiers({ phones: [{ number: '0171 1234567', country: 'DE' }, { number: '+33 6 12 34 56 78' }] }, { now: NOW, phoneCountry: 'FR' });
    expect(ids.phones).toEqual([{ number: '0171 1234567', country: 'DE' }, { number: '+33 6 12 34 56 78' }]);
  });

  it('reads 00 as the international prefix, with or without a node country', () => {
    const e164 = keyOf(parseIdentifiers({ phones: [{ number: '+49 30 1234567' }] }, { now: NOW }));
    expect(keyOf(parseIdentifiers({ phones: [{ number: '0049 30 1234567' }] }, { now: NOW, phoneCountry: 'FR' }))).toEqual(e164);
    expect(keyOf(parseIdentifiers({ phones: [{ number: '0049 30 1234567' }] }, { now: NOW }))).toEqual(e164);
  });

  it('refuses a national number without any country, naming the field and never the value', () => {
    const e = problems({ phones: [{ number: '030 7654321' }] });
    expect(issues(e).map((i) => i.field)).toEqual(['phones[0].number']);
    expect(JSON.stringify({ message: e.message, details: e.details })).not.toContain('7654321');
    // A number the node's plan does not know is refused the same way.
    expect(() => parseIdentifiers({ phones: [{ number: '0000 12' }] }, { now: NOW, phoneCountry: 'DE' })).toThrow(/phones\[0\]\.number/);
  });
});
