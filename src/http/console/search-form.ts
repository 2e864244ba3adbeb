/**
 * The analyst's search form ↔ the search API's input. Field names follow the
 * identifier model's own paths (`names[0].family`, `dateOfBirth.date`), so
 * a problem parseIdentifiers reports lands on the input that caused it.
 * Empty rows are skipped; `rows` remembers which form row each identifier
 * came from, so messages still point at the right row.
 */
import { MAX_MATCH_ELEMENTS, searchContextSchema, type Purpose } from '../../../schemas/federation.js';
import { isCairnError } from '../../core/errors.js';
import { deriveQueryKeys, MATCH_KEY_NEEDS, namePlaceholderFields, parseIdentifiers, type IdentifierIssue } from '../../core/identity/index.js';
import { readCountryCode } from '../../core/identity/countries.js';
import type { SearchInput } from '../../core/federation/search.js';
import type { FieldErrors } from './components.js';
import { CONSOLE } from './constants.js';
import type { FormFields } from './form.js';

/** The context fields, in form order (the error summary lists them so). */
export const CONTEXT_FIELDS = ['purpose', 'caseReference', 'legalBasis'] as const;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Every field of the form with its label, in form order: the page renders
 * from it, and the error summary names and orders problems by it.
 */
export const FIELD_LABELS: Readonly<Record<string, string>> = Object.fromEntries([
  ['purpose', 'Purpose'],
  ['caseReference', 'Case reference'],
  ['legalBasis', 'Legal basis'],
  ...range(CONSOLE.search.nameRows).flatMap((i) => [
    [`names[${i}].given`, `Given name ${i + 1}`],
    [`names[${i}].family`, `Family name ${i + 1}`],
    [`names[${i}].patronymic`, `Patronymic ${i + 1}`],
    [`names[${i}].aliases`, `Other names ${i + 1}`],
  ]),
  ['dateOfBirth.date', 'Date of birth'],
  ['dateOfBirth.precision', 'Precision'],
  ['dateOfBirth.plusMinusYears', 'Years either side'],
  ['sex', 'Sex'],
  ...range(CONSOLE.search.documentRows).flatMap((i) => [
    [`documents[${i}].type`, `Document ${i + 1} type`],
    [`documents[${i}].issuingCountry`, `Document ${i + 1} issuing country`],
    [`documents[${i}].number`, `Document ${i + 1} number`],
  ]),
  ...range(CONSOLE.search.phoneRows).flatMap((i) => [
    [`phones[${i}].number`, `Phone ${i + 1}`],
    [`phones[${i}].country`, `Phone ${i + 1} country`],
  ]),
  ...range(CONSOLE.search.emailRows).map((i) => [`emails[${i}]`, `E-mail ${i + 1}`]),
  ...range(CONSOLE.search.handleRows).flatMap((i) => [
    [`handles[${i}].platform`, `Handle ${i + 1} platform`],
    [`handles[${i}].handle`, `Handle ${i + 1}`],
  ]),
  ['fileSha256', 'SHA-256 digests of files'],
  ['peers', 'Peers to ask'],
]);

const MISSING: Record<(typeof CONTEXT_FIELDS)[number], string> = {
  purpose: 'Choose the purpose of this search',
  legalBasis: 'Enter the legal basis of this search',
  caseReference: 'Enter your case reference',
};

type Group = 'names' | 'documents' | 'phones' | 'emails' | 'handles';

const lines = (s: string): string[] =>
  s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');

/** The outcome of reading the form: a search to run, or the fields to mark. */
export type SearchFormResult = { ok: true; input: SearchInput } | { ok: false; errors: FieldErrors };

/**
 * Build identifiers from the form. Returns them with, per group, the form
 * row of each array element, and any problems found before the schema runs.
 */
export function identifiersFromForm(f: FormFields): { identifiers: Record<string, unknown>; rows: Record<Group, number[]>; errors: FieldErrors } {
  const ids: Record<string, unknown> = {};
  const rows: Record<Group, number[]> = { names: [], documents: [], phones: [], emails: [], handles: [] };
  const errors: FieldErrors = {};
  const t = (name: string) => f.get(name).trim();

  const names: Record<string, unknown>[] = [];
  for (let i = 0; i < CONSOLE.search.nameRows; i++) {
    const entry: Record<string, unknown> = {};
    for (const part of ['given', 'family', 'patronymic'] as const) {
      const v = t(`names[${i}].${part}`);
      if (v) entry[part] = v;
    }
    const aliases = lines(f.get(`names[${i}].aliases`));
    if (aliases.length) entry.aliases = aliases;
    if (Object.keys(entry).length) {
      names.push(entry);
      rows.names.push(i);
    }
  }
  if (names.length) ids.names = names;

  const sex = t('sex');
  if (sex) ids.sex = sex;

  const precision = t('dateOfBirth.precision');
  const date = t('dateOfBirth.date');
  if (precision === 'unknown') ids.dateOfBirth = { precision: 'unknown' };
  else if (precision || date) {
    const p = precision || (/^\d{4}-\d{2}-\d{2}$/.test(date) ? 'day' : /^\d{4}-\d{2}$/.test(date) ? 'month' : /^\d{4}$/.test(date) ? 'year' : '');
    if (!date) errors['dateOfBirth.date'] = 'Enter the date of birth, or set the precision to "not known"';
    else if (!p) errors['dateOfBirth.date'] = 'Enter the date as YYYY-MM-DD, YYYY-MM or YYYY';
    else if (p === 'estimated') {
      const pm = t('dateOfBirth.plusMinusYears');
      if (!/^\d{1,2}$/.test(pm)) errors['dateOfBirth.plusMinusYears'] = 'Enter how many years either side the estimate may be off (0 to 5)';
      else ids.dateOfBirth = { precision: p, date, plusMinusYears: Number(pm) };
    } else ids.dateOfBirth = { precision: p, date };
  }

  const documents: unknown[] = [];
  for (let i = 0; i < CONSOLE.search.documentRows; i++) {
    const number = t(`documents[${i}].number`);
    if (!number) continue;
    const type = t(`documents[${i}].type`);
    const issuingCountry = readCountryCode(t(`documents[${i}].issuingCountry`));
    if (!type) errors[`documents[${i}].type`] = 'Choose the document type';
    if (!issuingCountry) errors[`documents[${i}].issuingCountry`] = 'Enter the issuing country (two or three letters, e.g. DE or DEU)';
    documents.push({ type, issuingCountry, number });
    rows.documents.push(i);
  }
  if (documents.length) ids.documents = documents;

  const phones: unknown[] = [];
  for (let i = 0; i < CONSOLE.search.phoneRows; i++) {
    const number = t(`phones[${i}].number`);
    if (!number) continue;
    const country = readCountryCode(t(`phones[${i}].country`));
    phones.push(country ? { number, country } : { number });
    rows.phones.push(i);
  }
  if (phones.length) ids.phones = phones;

  const emails: string[] = [];
  for (let i = 0; i < CONSOLE.search.emailRows; i++) {
    const e = t(`emails[${i}]`);
    if (!e) continue;
    emails.push(e);
    rows.emails.push(i);
  }
  if (emails.length) ids.emails = emails;

  const handles: unknown[] = [];
  for (let i = 0; i < CONSOLE.search.handleRows; i++) {
    const handle = t(`handles[${i}].handle`);
    if (!handle) continue;
    const platform = t(`handles[${i}].platform`).toLowerCase();
    if (!platform) errors[`handles[${i}].platform`] = 'Enter the platform, e.g. telegram';
    handles.push({ platform, handle });
    rows.handles.push(i);
  }
  if (handles.length) ids.handles = handles;

  const digests = lines(f.get('fileSha256'));
  if (digests.length) ids.fileSha256 = digests;

  return { identifiers: ids, rows, errors };
}

/** The form field an identifier issue belongs to ('$' for the form as a whole). */
export function formFieldOf(issueField: string, rows: Record<Group, number[]>): string {
  const m = /^(names|documents|phones|emails|handles)\[(\d+)\](.*)$/.exec(issueField);
  if (m) {
    const group = m[1] as Group;
    const row = rows[group][Number(m[2])];
    if (row === undefined) return '$';
    const rest = m[3]!.replace(/^\.aliases\[\d+\]$/, '.aliases');
    if (group === 'names' && rest === '') return `names[${row}].given`;
    return `${group}[${row}]${rest}`;
  }
  if (issueField.startsWith('dateOfBirth')) return issueField === 'dateOfBirth.plusMinusYears' ? issueField : 'dateOfBirth.date';
  if (issueField.startsWith('fileSha256')) return 'fileSha256';
  if (issueField === 'sex') return 'sex';
  return '$';
}

const NOTHING = 'Enter something to match on: a name with a date of birth, a document, a phone number, an e-mail address, an online handle or a file digest';

/** The search would ask more keys than one match request holds (runSearch refuses it too). */
const tooManyKeys = (n: number) =>
  `These entries give ${n} match keys and one search asks at most ${MAX_MATCH_ELEMENTS}: split them over several searches (fewer names, aliases, documents or file digests in each)`;
const NO_KEYS = `These entries give nothing to match on: ${MATCH_KEY_NEEDS}`;
const PLACEHOLDER = 'Stands for an unknown name (like FNU, LNU, Unknown or NN): Cairn does not match on it';

function addIssues(errors: FieldErrors, issues: readonly IdentifierIssue[], rows: Record<Group, number[]>): void {
  for (const i of issues) {
    const field = formFieldOf(i.field, rows);
    const message = i.field === '$' ? NOTHING : i.message;
    errors[field] ??= message;
  }
}

/**
 * Read and check the whole form: context first (purpose, legal basis and
 * case reference are required), then identifiers, then peers. Every
 * problem is reported at once.
 */
export function readSearchForm(f: FormFields, activePeers: readonly string[], now: Date): SearchFormResult {
  const errors: FieldErrors = {};
  const ctx = { purpose: f.get('purpose'), legalBasis: f.get('legalBasis'), caseReference: f.get('caseReference') };
  const parsedCtx = searchContextSchema.safeParse(ctx);
  if (!parsedCtx.success) {
    for (const issue of parsedCtx.error.issues) {
      const field = issue.path[0] as (typeof CONTEXT_FIELDS)[number];
      errors[field] ??= ctx[field].trim() === '' ? MISSING[field] : issue.message;
    }
  }
  const { identifiers, rows, errors: formErrors } = identifiersFromForm(f);
  Object.assign(errors, formErrors);
  try {
    const parsed = parseIdentifiers(identifiers, { now: () => now });
    const keys = deriveQueryKeys(parsed).length;
    if (keys === 0) {
      errors.$ = NO_KEYS;
      for (const field of namePlaceholderFields(parsed)) errors[formFieldOf(field, rows)] ??= PLACEHOLDER;
    }
    else if (keys > MAX_MATCH_ELEMENTS) errors.$ = tooManyKeys(keys);
  } catch (e) {
    if (!isCairnError(e, 'identifier_invalid')) throw e;
    addIssues(errors, (e.details?.issues as IdentifierIssue[] | undefined) ?? [{ field: e.location?.field ?? '$', message: e.message }], rows);
  }
  const peers = f.all('peers');
  const unknown = peers.find((p) => !activePeers.includes(p));
  if (unknown !== undefined) errors.peers = 'One of the chosen peers is no longer active: choose again';
  if (!parsedCtx.success || Object.keys(errors).length) return { ok: false, errors: orderErrors(errors) };
  return {
    ok: true,
    input: {
      identifiers,
      purpose: parsedCtx.data.purpose as Purpose,
      legalBasis: parsedCtx.data.legalBasis,
      caseReference: parsedCtx.data.caseReference,
      ...(peers.length ? { peers } : {}),
    },
  };
}

/** Context fields first, then a problem with the form as a whole, then the rest in form order. */
function orderErrors(errors: FieldErrors): FieldErrors {
  const order = [...CONTEXT_FIELDS, '$', ...Object.keys(FIELD_LABELS)];
  const out: FieldErrors = {};
  for (const k of order) if (errors[k] && !(k in out)) out[k] = errors[k];
  for (const [k, v] of Object.entries(errors)) if (!(k in out)) out[k] = v;
  return out;
}
