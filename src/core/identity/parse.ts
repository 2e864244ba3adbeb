/**
 * parseIdentifiers: the trust boundary for identifiers. Attacker-controlled
 * input (imports, peer requests) is checked against the zod schema and then
 * against everything the schema cannot see: calendar dates, dates in the
 * future, numbering plans, e-mail syntax, name characters and mixed-script
 * words. All problems are collected and raised as one CairnError
 * ('identifier_invalid') whose `location.field` names the first problem and
 * whose `details.issues` lists them all. Messages name fields, never values.
 * Nothing is dropped or repaired silently.
 */
import type { z } from 'zod';
import {
  DateOfBirthSchema,
  DocumentSchema,
  EmailSchema,
  HandleSchema,
  IdentifiersSchema,
  NameTextSchema,
  PhoneSchema,
  PlaceOfBirthSchema,
  type DateOfBirth,
  type Handle,
  type Identifiers,
  type IdentityDocument,
  type Phone,
} from '../../../schemas/identifiers.js';
import { CairnError } from '../errors.js';
import { isCountryCode } from './countries.js';
import { dateOfBirthProblems, utcDate } from './dates.js';
import { normaliseName } from './normalise-name.js';
import { normaliseDocumentNumber, normaliseEmail, normaliseHandle, normalisePhone } from './normalise-contact.js';
import { hasOnlyNameCharacters, isMixedScriptWord, NAME_WORD_SEPARATOR, scriptsOfWord } from './script.js';

/** One problem with the input: where, and what (never the offending value). */
export interface IdentifierIssue {
  field: string;
  message: string;
}

export interface ParseIdentifiersOptions {
  /** Clock for the "not in the future" check; defaults to the current time. */
  now?: () => Date;
  /**
   * The node's own country (ISO 3166-1 alpha-2): phone numbers in national
   * or "00…" form without a `country` follow its numbering plan, and the
   * returned identifiers carry it as the phone's `country`.
   */
  phoneCountry?: string;
}

/** Field path in the form names[0].family; "$" is the record itself. */
export function formatField(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out === '' ? '$' : out;
}

function zodIssues(error: z.ZodError): IdentifierIssue[] {
  const out: IdentifierIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ field: formatField([...issue.path, k]), message: 'unknown field' });
    } else {
      out.push({ field: formatField(issue.path), message: issue.message });
    }
  }
  return out;
}

/** What a register types where it has no name: dashes, question marks, N/A. */
const NO_NAME_MARK = /^[\s.]*(?:-+|\?+|n\s*\/\s*a)[\s.]*$/iu;

/** Problems with one name string (any script). */
export function nameProblems(raw: string): string[] {
  const s = raw.normalize('NFKC');
  if (NO_NAME_MARK.test(s)) return ['stands for an unknown name: leave the field empty'];
  if (!hasOnlyNameCharacters(s)) {
    return ['may hold only letters, combining marks, spaces, hyphens, apostrophes and dots'];
  }
  const problems: string[] = [];
  for (const word of s.split(NAME_WORD_SEPARATOR)) {
    if (isMixedScriptWord(word)) {
      problems.push(`a word mixes scripts (${[...scriptsOfWord(word)].sort().join(' and ')}): possible homoglyph`);
      break;
    }
  }
  if (problems.length === 0) {
    const n = normaliseName(s);
    // A placeholder (FNU, Unknown) is a register saying it does not know the name: accepted, and no name.
    if (n.tokens.length === 0 && !n.placeholder) problems.push('has no letters that can be transliterated');
  }
  return problems;
}

// The parts of the input that pass their own schema, so that semantic checks
// also run when another part of the record is malformed and every problem is
// reported at once. Array positions are kept (holes for failed elements).
interface Salvaged {
  names: { given?: string; family?: string; patronymic?: string; aliases: (string | undefined)[]; empty: boolean }[];
  dateOfBirth?: DateOfBirth;
  locality?: string;
  documents: (IdentityDocument | undefined)[];
  phones: (Phone | undefined)[];
  emails: (string | undefined)[];
  handles: (Handle | undefined)[];
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asRecord = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
function pick<T>(schema: z.ZodType<T>, v: unknown): T | undefined {
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
}

function salvage(input: unknown): Salvaged {
  const rec = asRecord(input);
  return {
    names: asArray(rec['names']).map((n) => {
      const e = asRecord(n);
      const name = (k: string) => pick(NameTextSchema, e[k]);
      return {
        given: name('given'),
        family: name('family'),
        patronymic: name('patronymic'),
        aliases: asArray(e['aliases']).map((a) => pick(NameTextSchema, a)),
        empty: ['given', 'family', 'patronymic'].every((k) => e[k] === undefined) && asArray(e['aliases']).length === 0,
      };
    }),
    dateOfBirth: pick(DateOfBirthSchema, rec['dateOfBirth']),
    locality: pick(PlaceOfBirthSchema, rec['placeOfBirth'])?.locality,
    documents: asArray(rec['documents']).map((d) => pick(DocumentSchema, d)),
    phones: asArray(rec['phones']).map((p) => pick(PhoneSchema, p)),
    emails: asArray(rec['emails']).map((e) => pick(EmailSchema, e)),
    handles: asArray(rec['handles']).map((h) => pick(HandleSchema, h)),
  };
}

function semanticIssues(s: Salvaged, now: Date): IdentifierIssue[] {
  const out: IdentifierIssue[] = [];
  const check = (field: string, problems: readonly string[]) => {
    for (const message of problems) out.push({ field, message });
  };
  const fail = (field: string, r: { ok: true } | { ok: false; problem: string }) => {
    if (!r.ok) check(field, [r.problem]);
  };

  s.names.forEach((n, i) => {
    if (n.empty) check(`names[${i}]`, ['a name entry needs a given name, family name, patronymic or alias']);
    for (const part of ['given', 'family', 'patronymic'] as const) {
      const v = n[part];
      if (v !== undefined) check(`names[${i}].${part}`, nameProblems(v));
    }
    n.aliases.forEach((a, j) => {
      if (a !== undefined) check(`names[${i}].aliases[${j}]`, nameProblems(a));
    });
  });
  if (s.dateOfBirth !== undefined) check('dateOfBirth', dateOfBirthProblems(s.dateOfBirth, utcDate(now)));
  if (s.locality !== undefined) {
    const loc = s.locality.normalize('NFKC');
    if (loc.trim() === '') check('placeOfBirth.locality', ['empty locality']);
    else if (loc.split(/[^\p{L}\p{M}]+/u).some(isMixedScriptWord)) {
      check('placeOfBirth.locality', ['a word mixes scripts: possible homoglyph']);
    }
  }
  s.documents.forEach((d, i) => d && fail(`documents[${i}].number`, normaliseDocumentNumber(d)));
  s.phones.forEach((p, i) => p && fail(`phones[${i}].number`, normalisePhone(p)));
  s.emails.forEach((e, i) => e !== undefined && fail(`emails[${i}]`, normaliseEmail(e)));
  s.handles.forEach((h, i) => h && fail(`handles[${i}].handle`, normaliseHandle(h)));
  return out;
}

/**
 * The input with `country` set to the node's country on every phone that
 * has none and is not in "+" form. Other values are left as they are, so
 * the schema still reports what is wrong with them.
 */
function withPhoneCountry(input: unknown, country: string | undefined): unknown {
  if (country === undefined || !isCountryCode(country)) return input;
  const rec = asRecord(input);
  if (!Array.isArray(rec['phones'])) return input;
  const phones = (rec['phones'] as unknown[]).map((p) => {
    const ph = asRecord(p);
    const n = ph['number'];
    if (p !== ph || ph['country'] !== undefined || typeof n !== 'string' || n.normalize('NFKC').trim().startsWith('+')) return p;
    return { ...ph, country };
  });
  return { ...rec, phones };
}

function nothingToMatch(ids: Identifiers): IdentifierIssue[] {
  const n =
    (ids.names ?? []).length + (ids.documents ?? []).length + (ids.phones ?? []).length +
    (ids.emails ?? []).length + (ids.handles ?? []).length + (ids.fileSha256 ?? []).length;
  return n > 0 ? [] : [{ field: '$', message: 'no name, document, phone, e-mail, handle or file digest: nothing to match on' }];
}

/**
 * Validate identifiers from outside. Returns them unchanged (normalisation
 * happens when keys are derived) or throws CairnError('identifier_invalid')
 * listing every problem in `details.issues`.
 */
export function parseIdentifiers(input: unknown, opts: ParseIdentifiersOptions = {}): Identifiers {
  const parsed = IdentifiersSchema.safeParse(withPhoneCountry(input, opts.phoneCountry));
  const now = (opts.now ?? (() => new Date()))();
  const issues = [
    ...(parsed.success ? nothingToMatch(parsed.data) : zodIssues(parsed.error)),
    ...semanticIssues(salvage(withPhoneCountry(input, opts.phoneCountry)), now),
  ];
  if (issues.length === 0 && parsed.success) return parsed.data;
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  throw new CairnError('identifier_invalid', `${first.field}: ${first.message}${more}`, {
    location: { field: first.field },
    details: { issues },
  });
}

/**
 * The name fields of parsed identifiers that hold a placeholder for an
 * unknown name (FNU, LNU, Unknown, NN, …; protocol 10.2 steps 7a and 15), by field
 * path and never by value: what a refusal for "no match key" adds, so the
 * operator sees why "Ahmad LNU" counts as one name.
 */
export function namePlaceholderFields(ids: Identifiers): string[] {
  const out: string[] = [];
  (ids.names ?? []).forEach((e, i) => {
    for (const part of ['given', 'family', 'patronymic'] as const) {
      const v = e[part];
      if (v !== undefined && normaliseName(v).placeholder) out.push(`names[${i}].${part}`);
    }
    (e.aliases ?? []).forEach((a, j) => {
      if (normaliseName(a).placeholder) out.push(`names[${i}].aliases[${j}]`);
    });
  });
  return out;
}

const PART_WORDS: Record<string, string> = { given: 'given name', family: 'family name', patronymic: 'patronymic', aliases: 'alias' };

/** "the family name", "an alias of name 2": a field path as an operator reads it, in a CSV row or an API body alike. */
function partWords(field: string): string {
  const m = /^names\[(\d+)\]\.(given|family|patronymic|aliases)/.exec(field)!;
  const part = PART_WORDS[m[2]!]!;
  const of = m[1] === '0' ? '' : ` of name ${Number(m[1]) + 1}`;
  return `${part === 'alias' ? 'an' : 'the'} ${part}${of}`;
}

/** The sentence a "no match key" refusal adds when names held placeholders; '' when none did. */
export function placeholderNote(ids: Identifiers): string {
  const words = [...new Set(namePlaceholderFields(ids).map(partWords))];
  if (words.length === 0) return '';
  const which = words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} and ${words.at(-1)!}`;
  return words.length === 1
    ? `; ${which} is a placeholder for an unknown name (such as FNU, LNU, Unknown or NN): no name to match on`
    : `; ${which} are placeholders for unknown names (such as FNU, LNU, Unknown or NN): no names to match on`;
}
