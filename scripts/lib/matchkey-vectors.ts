/**
 * Worked match-key vectors for protocol/10-identifiers.md and
 * test/vectors/matchkeys/vectors.json, computed from the code. Regenerate
 * with `npx tsx scripts/lib/matchkey-vectors.ts` only when the keys change
 * or a vector is added (at the end, so that the document's vector numbers
 * stay): it writes vectors.json and prints the Markdown that replaces
 * protocol/10-identifiers.md from "### Vector 1" to the end. The
 * identity-vectors test fails whenever code and vectors differ.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { bucketOf, deriveMatchKeys, deriveQueryKeys, parseIdentifiers, type Identifiers, type MatchKey } from '../../src/core/identity/index.js';
import { normaliseName } from '../../src/core/identity/normalise-name.js';
import { normalisePhone } from '../../src/core/identity/normalise-contact.js';
import { hasHebrewLetter, transliterate, type HebrewReading } from '../../src/core/identity/transliterate.js';
import { toHex } from '../../src/core/bytes.js';

/** The identifiers of each vector. */
export const VECTOR_INPUTS: readonly { name: string; identifiers: Record<string, unknown> }[] = [
  {
    name: 'strong identifiers only',
    identifiers: {
      documents: [{ type: 'passport', issuingCountry: 'DE', number: 'C01X 00T47' }],
      phones: [{ number: '020 7946 0958', country: 'GB' }],
      emails: ['Amina.Haddad+unhcr@Example.org'],
      handles: [{ platform: 'twitter', handle: '@Amina_H' }],
      fileSha256: ['BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD'],
    },
  },
  {
    name: 'Cyrillic name, exact date of birth',
    identifiers: { names: [{ given: 'Юрий', family: 'Цой' }], dateOfBirth: { precision: 'day', date: '2011-07-05' } },
  },
  {
    name: '1 January placeholder',
    identifiers: { names: [{ given: 'Tsehaye', family: 'Tesfay' }], dateOfBirth: { precision: 'day', date: '2010-01-01' } },
  },
  {
    name: 'long codes (deletion neighbourhood)',
    identifiers: { names: [{ given: 'Mustafa', family: 'Abdelrahman' }], dateOfBirth: { precision: 'day', date: '2012-11-23' } },
  },
  {
    name: 'Somali orthography (readings A and B), patronymic chain (given pair)',
    identifiers: { names: [{ given: 'Maxamed Cali', family: 'Cabdi' }], dateOfBirth: { precision: 'day', date: '2015-03-27' } },
  },
  {
    name: 'Vietnamese, family name first, Thị dropped, compound given name joined',
    identifiers: { names: [{ given: 'Nguyễn', family: 'Thị Thu Hà' }], dateOfBirth: { precision: 'day', date: '2016-10-23' } },
  },
  {
    name: 'Dari script: a vowel before ه (Zahra), three-symbol codes (deletion neighbourhood)',
    identifiers: { names: [{ given: 'زهرا', family: 'رحیمی' }], dateOfBirth: { precision: 'day', date: '2014-08-19' } },
  },
  {
    name: 'Dari script: Persian reading of ذ, waw after alif (Javid), -ullah joined',
    identifiers: { names: [{ given: 'جاوید', family: 'ذبیح الله' }], dateOfBirth: { precision: 'day', date: '2013-12-30' } },
  },
  {
    name: 'Vietnamese, mistyped family name written as the listed one (Bsui → bui)',
    identifiers: { names: [{ given: 'Thanh Cong', family: 'Bsui' }], dateOfBirth: { precision: 'day', date: '2009-06-21' } },
  },
  {
    name: 'given names typed without their space (NoorMostafa), Mc kept solid',
    identifiers: { names: [{ given: 'NoorMostafa', family: 'McDonald' }], dateOfBirth: { precision: 'day', date: '2012-04-30' } },
  },
  {
    name: 'initial kh read as k in reading B (Khaalid = Kalid) on the probable keys only; Somali c',
    identifiers: { names: [{ given: 'Khaalid', family: 'Cumar' }], dateOfBirth: { precision: 'day', date: '2014-05-09' } },
  },
  {
    name: 'second family token: no unordered-date key for it (day 6 ≤ 12: the first family token has one); a record stores the exact date\'s year (0x23), a query asks 0x21',
    identifiers: { names: [{ given: 'Yusuf', family: 'Cabdi Jaamac' }], dateOfBirth: { precision: 'day', date: '2013-04-06' } },
  },
  {
    name: 'French ou for w, initial and between vowels (Oualid Chaoui = Walid Shawi)',
    identifiers: { names: [{ given: 'Oualid', family: 'Chaoui' }], dateOfBirth: { precision: 'day', date: '2011-09-17' } },
  },
  {
    name: 'Vietnamese, mistyped Văn left out of the join (Vanj Minh Tuấn = Văn Minh Tuấn)',
    identifiers: { names: [{ given: 'Vanj Minh Tuấn', family: 'Nguyễn' }], dateOfBirth: { precision: 'day', date: '2010-12-05' } },
  },
  {
    name: 'joined given name (Mariam Xasan → mariamxasan, for Mariamxasan): both readings (Somali x), exact date only',
    identifiers: { names: [{ given: 'Mariam Xasan', family: 'Soltani' }], dateOfBirth: { precision: 'day', date: '2013-09-14' } },
  },
  {
    name: 'joined family name (written family name first: Soltani / Mariam Xasan), both readings',
    identifiers: { names: [{ given: 'Soltani', family: 'Mariam Xasan' }], dateOfBirth: { precision: 'day', date: '2013-09-14' } },
  },
  {
    name: 'long vowel marks (Xuseen = Husayn: HSYN, KSSYN; Maxamuud = Mahmud: MHMWT, MKSMWT), never deleted by the typo variants',
    identifiers: { names: [{ given: 'Xuseen', family: 'Maxamuud' }], dateOfBirth: { precision: 'day', date: '2015-03-02' } },
  },
  {
    name: 'age assessment (2012 ± 2): a record stores 0x21 per year, a query asks 0x21 and 0x23 per year',
    identifiers: { names: [{ given: 'Amanuel', family: 'Tesfamariam' }], dateOfBirth: { precision: 'estimated', date: '2012', plusMinusYears: 2 } },
  },
  {
    name: 'a placeholder for the family name (LNU) dropped: a single name, 0x24 on both readings (Somali x), the exact date only',
    identifiers: { names: [{ given: 'Xasan', family: 'LNU' }], dateOfBirth: { precision: 'day', date: '2014-06-15' } },
  },
  {
    name: 'an initial and a name (R. Priya) with Unknown for the family name: one token, 0x24',
    identifiers: { names: [{ given: 'R. Priya', family: 'Unknown' }], dateOfBirth: { precision: 'day', date: '2012-03-08' } },
  },
  {
    name: 'a form of address dropped (Master), Ali Reza joined, N.N. for the family name: one token, 0x24',
    identifiers: { names: [{ given: 'Master Ali Reza', family: 'N.N.' }], dateOfBirth: { precision: 'day', date: '2010-10-02' } },
  },
  {
    name: 'a leading name (Md. → muhammad, code MHMT): the leading pair (Rahim, Uddin) besides (Muhammad, Uddin), no typo variants for it',
    identifiers: { names: [{ given: 'Md. Rahim', family: 'Uddin' }], dateOfBirth: { precision: 'day', date: '2012-08-09' } },
  },
  {
    name: 'Hebrew letters read both ways (רבקה גולדברג): two choices, so three more forms; (rvka, goldbrg) is the one Rivka Goldberg meets',
    identifiers: { names: [{ given: 'רבקה', family: 'גולדברג' }], dateOfBirth: { precision: 'day', date: '2014-05-20' } },
  },
  {
    name: 'a full name as an alias (no roles): its tokens are not de-duplicated, so Ivan Ivan Petrov pairs (ivan, ivan) and (ivan, petrov)',
    identifiers: { names: [{ aliases: ['Ivan Ivan Petrov'] }], dateOfBirth: { precision: 'day', date: '2012-03-14' } },
  },
];

export interface MatchKeyVector {
  name: string;
  identifiers: Record<string, unknown>;
  /** What key derivation reads: each name field after 10.2 step 5 and after step 15, each phone in E.164. */
  normalised: NormalisedVector;
  bucketBits: number;
  /** What a record of these identifiers stores. */
  keys: VectorKey[];
  /** What a search for them asks (protocol/10-identifiers.md 10.5: the year keys differ). */
  queryKeys: VectorKey[];
}

export interface VectorKey {
  type: string;
  strength: string;
  encoded: string;
  bucket: number;
}

/** The intermediate values of a vector, so that normalisation can be checked apart from the keys. */
export interface NormalisedVector {
  names: NormalisedNameField[];
  phones: { field: string; e164: string }[];
}

/** One name field: its path, the reading of Hebrew letters (`hard` only; 10.2 step 4), the text after step 5, and the tokens after step 15. */
export interface NormalisedNameField {
  field: string;
  reading?: 'hard';
  step5: string;
  tokens: string[];
}

// 10.2 step 1, as src/core/identity/normalise-name.ts does it (not exported
// there): bidi marks and the soft hyphen removed, NFKC, and a space after a
// lower-case letter followed by an upper-case one, unless after a
// word-initial Mc or Mac. test/identity-vectors.test.ts checks that the
// text after step 5 gives the code's tokens.
const INVISIBLE_MARKS = /[\u200E\u200F\u061C\u00AD]/gu;
const JOINED_NAMES = /(\p{Ll}\p{M}*)(?=\p{Lu})/gu;
const MC = /(?:^|[^\p{L}\p{M}])m(?:a)?c$/iu;
const step1 = (raw: string): string => {
  const s = raw.replace(INVISIBLE_MARKS, '').normalize('NFKC');
  return s.replace(JOINED_NAMES, (letter: string, _l: string, at: number) => (MC.test(s.slice(0, at) + letter) ? letter : `${letter} `));
};

/** A name field after 10.2 steps 1–5 and after every step, in one reading of Hebrew letters. */
function normalisedField(field: string, raw: string, reading: HebrewReading): NormalisedNameField {
  return { field, ...(reading === 'hard' ? { reading } : {}), step5: transliterate(step1(raw), reading), tokens: normaliseName(raw, reading).tokens };
}

/** The normalised name fields and phones of parsed identifiers (10.2, 10.4 "Hebrew readings", 10.5 `phone`). */
export function normalisedOf(ids: Identifiers): NormalisedVector {
  const names: NormalisedNameField[] = [];
  (ids.names ?? []).forEach((e, i) => {
    for (const role of ['given', 'family', 'patronymic'] as const) {
      const raw = e[role];
      if (raw === undefined) continue;
      names.push(normalisedField(`names[${i}].${role}`, raw, 'soft'));
      // An entry with Hebrew letters is read hard too, field by field (10.4); aliases only soft.
      if (hasHebrewLetter(raw)) names.push(normalisedField(`names[${i}].${role}`, raw, 'hard'));
    }
    (e.aliases ?? []).forEach((a, j) => names.push(normalisedField(`names[${i}].aliases[${j}]`, a, 'soft')));
  });
  const phones = (ids.phones ?? []).map((p, i) => {
    const n = normalisePhone(p);
    if (!n.ok) throw new Error(`phones[${i}]: ${n.problem}`);
    return { field: `phones[${i}]`, e164: n.value };
  });
  return { names, phones };
}

const row = (k: MatchKey): VectorKey => ({ type: k.type, strength: k.strength, encoded: toHex(k.encoded), bucket: bucketOf(k.encoded, 16) });

/** Compute the vectors from the current code. */
export function computeVectors(): MatchKeyVector[] {
  return VECTOR_INPUTS.map(({ name, identifiers }) => {
    const ids = parseIdentifiers(identifiers, { now: () => new Date('2026-01-01T00:00:00Z') });
    return { name, identifiers, normalised: normalisedOf(ids), bucketBits: 16, keys: deriveMatchKeys(ids).map(row), queryKeys: deriveQueryKeys(ids).map(row) };
  });
}

/**
 * The `normalised` block of a vector: one line per name field, `path
 * [hard] "text after step 5" ["token", …]`, then one per phone, `path E.164`.
 */
export function normalisedLines(n: NormalisedVector): string[] {
  return [
    ...n.names.map((f) => `${f.field}${f.reading ? ` ${f.reading}` : ''} ${JSON.stringify(f.step5)} ${JSON.stringify(f.tokens)}`),
    ...n.phones.map((p) => `${p.field} ${p.e164}`),
  ];
}

/** The vectors as the Markdown the protocol document embeds. */
export function vectorsMarkdown(vectors: readonly MatchKeyVector[]): string {
  return vectors
    .map((v, i) => {
      const rows = (keys: readonly VectorKey[]) => keys.map((k) => `${k.type} ${k.strength} ${k.encoded} ${k.bucket}`).join('\n');
      return `### Vector ${i + 1}: ${v.name}\n\n\`\`\`json\n${JSON.stringify(v.identifiers)}\n\`\`\`\n\n\`\`\`normalised\n${normalisedLines(v.normalised).join('\n')}\n\`\`\`\n\n\`\`\`matchkeys\n${rows(v.keys)}\n\`\`\`\n\n\`\`\`querykeys\n${rows(v.queryKeys)}\n\`\`\`\n`;
    })
    .join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const vectors = computeVectors();
  const source = 'Computed by scripts/lib/matchkey-vectors.ts from Cairn match keys version 1; repeated in protocol/10-identifiers.md.';
  writeFileSync('test/vectors/matchkeys/vectors.json', `${JSON.stringify({ source, vectors }, null, 2)}\n`);
  process.stdout.write(vectorsMarkdown(vectors));
}
