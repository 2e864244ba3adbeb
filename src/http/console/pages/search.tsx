/**
 * The analyst's search form: why (purpose, legal basis, case reference, all
 * required), who (names in any script, date of birth at its precision,
 * documents, phones, e-mails, handles, file digests) and where (peers).
 */
import type { FC } from 'hono/jsx';
import { PURPOSES } from '../../../../schemas/federation.js';
import { DOCUMENT_TYPES } from '../../../../schemas/identifiers.js';
import { CONSOLE } from '../constants.js';
import { CsrfField, ErrorSummary, Layout, SelectField, TextArea, TextField, When, fieldId, words, type FieldErrors } from '../components.js';
import type { FormFields } from '../form.js';
import type { Session } from '../../../core/users/sessions.js';
import { FIELD_LABELS } from '../search-form.js';

export interface RecentSearch {
  id: string;
  createdAt: string;
  /** Who or what ran it: "you", a colleague's name, "command line (user)", "on registration". */
  by: string;
  purpose: string;
  caseReference: string;
  peers: number;
  hits: number;
  awaiting: number;
}

export interface SearchPageProps {
  nodeName: string;
  session: Session;
  values: FormFields;
  errors: FieldErrors;
  peers: readonly { id: string; country: string; name: string }[];
  recent: readonly RecentSearch[];
  notice?: string | undefined;
}

const L = (name: string): string => FIELD_LABELS[name] ?? name;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const PURPOSE_OPTIONS = [['', 'Choose a purpose…'] as const, ...PURPOSES.map((p) => [p, words(p)] as const)];
const DOC_OPTIONS = [['', '—'] as const, ...DOCUMENT_TYPES.map((d) => [d, words(d)] as const)];
const SEX_OPTIONS = [['', 'not given'], ['female', 'female'], ['male', 'male'], ['other', 'other'], ['unknown', 'unknown']] as const;
const PRECISION_OPTIONS = [
  ['', 'from the date as written'],
  ['day', 'exact day (YYYY-MM-DD)'],
  ['month', 'month (YYYY-MM)'],
  ['year', 'year only (YYYY)'],
  ['estimated', 'estimated year (YYYY ± years)'],
  ['unknown', 'not known'],
] as const;

export const SearchPage: FC<SearchPageProps> = ({ nodeName, session, values: v, errors, peers, recent, notice }) => {
  const chosen = new Set(v.all('peers'));
  return (
    <Layout title="Search" session={session} current={CONSOLE.paths.search} nodeName={nodeName}>
      <h1>Search the federation</h1>
      {notice && (
        <div class="notice" role="status">
          <p>{notice}</p>
        </div>
      )}
      <ErrorSummary errors={errors} labels={FIELD_LABELS} />
      <p>
        Peers answer hit or no-hit only. A strong or probable hit comes back with a signed receipt naming the record and its contact point; a possible hit waits for you to
        confirm it with a justification. Every search is recorded in the audit logs of this node and of each peer asked.
      </p>
      <form method="post" action={CONSOLE.paths.search}>
        <CsrfField session={session} />
        <fieldset>
          <legend>Why you are searching</legend>
          <div class="row">
            <SelectField name="purpose" label="Purpose" required options={PURPOSE_OPTIONS} value={v.get('purpose')} errors={errors} />
            <TextField name="caseReference" label="Case reference" required value={v.get('caseReference')} errors={errors} maxlength={128} hint="Your unit's reference for the case" />
          </div>
          <TextArea name="legalBasis" label="Legal basis" required wide value={v.get('legalBasis')} errors={errors} rows={2} maxlength={500} hint="The law or decision that allows this search, as you would cite it" />
        </fieldset>

        <fieldset>
          <legend>Names</legend>
          <p class="hint">Write each name as it was recorded, in any script (Latin, Cyrillic, Arabic, …). Each row is one way the name was written.</p>
          {range(CONSOLE.search.nameRows).map((i) => (
            <div class="row">
              <TextField name={`names[${i}].given`} label={`Given name ${i + 1}`} value={v.get(`names[${i}].given`)} errors={errors} />
              <TextField name={`names[${i}].family`} label={`Family name ${i + 1}`} value={v.get(`names[${i}].family`)} errors={errors} />
              <TextField name={`names[${i}].patronymic`} label={`Patronymic ${i + 1}`} value={v.get(`names[${i}].patronymic`)} errors={errors} />
              <TextArea name={`names[${i}].aliases`} label={`Other names ${i + 1}`} hint="One per line" value={v.get(`names[${i}].aliases`)} errors={errors} rows={1} />
            </div>
          ))}
        </fieldset>

        <fieldset>
          <legend>Date of birth and sex</legend>
          <div class="row">
            <TextField name="dateOfBirth.date" label="Date of birth" hint="YYYY-MM-DD, YYYY-MM or YYYY" value={v.get('dateOfBirth.date')} errors={errors} size={12} />
            <SelectField name="dateOfBirth.precision" label="Precision" options={PRECISION_OPTIONS} value={v.get('dateOfBirth.precision')} errors={errors} />
            <TextField name="dateOfBirth.plusMinusYears" label="Years either side" hint="For estimates, 0 to 5" inputmode="numeric" size={3} value={v.get('dateOfBirth.plusMinusYears')} errors={errors} />
            <SelectField name="sex" label="Sex" options={SEX_OPTIONS} value={v.get('sex')} errors={errors} />
          </div>
        </fieldset>

        <fieldset>
          <legend>Identity documents</legend>
          {range(CONSOLE.search.documentRows).map((i) => (
            <div class="row">
              <SelectField name={`documents[${i}].type`} label={`Document ${i + 1} type`} options={DOC_OPTIONS} value={v.get(`documents[${i}].type`)} errors={errors} />
              <TextField name={`documents[${i}].issuingCountry`} label={L(`documents[${i}].issuingCountry`)} hint="Two or three letters, e.g. DE or DEU" size={4} maxlength={3} value={v.get(`documents[${i}].issuingCountry`)} errors={errors} />
              <TextField name={`documents[${i}].number`} label={L(`documents[${i}].number`)} hint="As printed" value={v.get(`documents[${i}].number`)} errors={errors} />
            </div>
          ))}
        </fieldset>

        <fieldset>
          <legend>Phones, e-mail addresses and online handles</legend>
          {range(CONSOLE.search.phoneRows).map((i) => (
            <div class="row">
              <TextField name={`phones[${i}].number`} label={`Phone ${i + 1}`} type="tel" hint="International (+44 …) or national form" value={v.get(`phones[${i}].number`)} errors={errors} />
              <TextField name={`phones[${i}].country`} label={L(`phones[${i}].country`)} hint="For a national-form number: two or three letters" size={4} maxlength={3} value={v.get(`phones[${i}].country`)} errors={errors} />
            </div>
          ))}
          <div class="row">
            {range(CONSOLE.search.emailRows).map((i) => (
              <TextField name={`emails[${i}]`} label={`E-mail ${i + 1}`} type="email" wide value={v.get(`emails[${i}]`)} errors={errors} />
            ))}
          </div>
          {range(CONSOLE.search.handleRows).map((i) => (
            <div class="row">
              <TextField name={`handles[${i}].platform`} label={`Handle ${i + 1} platform`} hint="Lower-case slug, e.g. telegram" value={v.get(`handles[${i}].platform`)} errors={errors} />
              <TextField name={`handles[${i}].handle`} label={L(`handles[${i}].handle`)} value={v.get(`handles[${i}].handle`)} errors={errors} />
            </div>
          ))}
        </fieldset>

        <fieldset>
          <legend>Files</legend>
          <TextArea name="fileSha256" label="SHA-256 digests of files" hint="64 hex digits, one per line" wide value={v.get('fileSha256')} errors={errors} rows={2} />
        </fieldset>

        <fieldset aria-describedby={errors.peers ? `${fieldId('peers')}-error` : undefined}>
          <legend>Peers to ask</legend>
          {errors.peers && (
            <p class="error-text" id={`${fieldId('peers')}-error`}>
              {errors.peers}
            </p>
          )}
          {peers.length === 0 ? (
            <p>No active peer: an operator must add one before you can search.</p>
          ) : (
            <>
              <p class="hint">Leave all unticked to ask every active peer.</p>
              <div class="row" id={fieldId('peers')}>
                {peers.map((p) => (
                  <label>
                    <input type="checkbox" name="peers" value={p.id} checked={chosen.has(p.id)} /> {p.country} · <bdi>{p.name}</bdi>
                  </label>
                ))}
              </div>
            </>
          )}
        </fieldset>
        <p>
          <button type="submit">Search</button>
        </p>
      </form>

      <h2>Recent searches</h2>
      <p class="hint">Every path: this console, the API, the command line and searches on registration.</p>
      {recent.length === 0 ? (
        <p>None yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Case reference</th>
              <th scope="col">Purpose</th>
              <th scope="col">By</th>
              <th scope="col" class="num">Peers</th>
              <th scope="col" class="num">Hits</th>
              <th scope="col">To confirm</th>
            </tr>
          </thead>
          <tbody>
            {recent.map((s) => (
              <tr>
                <td>
                  <a href={`${CONSOLE.paths.searches}/${s.id}`}>
                    <When at={s.createdAt} />
                  </a>
                </td>
                <td class="free">{s.caseReference}</td>
                <td>{words(s.purpose)}</td>
                <td class="free">{s.by}</td>
                <td class="num">{s.peers}</td>
                <td class="num">{s.hits}</td>
                <td>{s.awaiting ? `${s.awaiting} possible hit${s.awaiting > 1 ? 's' : ''} to confirm` : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
};
