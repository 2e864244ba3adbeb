/**
 * The console's building blocks: the page frame, labelled form fields that
 * mark their own errors, and an error summary that links to each field.
 * Everything is hono/jsx, which escapes every text and attribute value: user
 * data is never passed through `raw`.
 */
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { raw } from 'hono/html';
import type { Role } from '../../../schemas/users.js';
import { CONSOLE } from './constants.js';
import type { Session } from '../../core/users/sessions.js';
import { CSS } from './styles.js';

/** Field name → message, for marking a form after a refusal. */
export type FieldErrors = Record<string, string>;

/** A stable element id for a form field name (names hold [ ] . which ids may, but selectors dislike). */
export const fieldId = (name: string): string => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

const NAV: Record<Role, { href: string; label: string }[]> = {
  analyst: [
    { href: CONSOLE.paths.search, label: 'Search' },
    { href: CONSOLE.paths.hits, label: 'Hits on our records' },
  ],
  dpo: [
    { href: CONSOLE.paths.audit, label: 'Audit overview' },
    { href: CONSOLE.paths.auditLog, label: 'Audit log' },
  ],
  operator: [{ href: CONSOLE.paths.operator, label: 'Node, peers and users' }],
};

/** The landing page of each role. */
export const HOME: Record<Role, string> = {
  analyst: CONSOLE.paths.search,
  dpo: CONSOLE.paths.audit,
  operator: CONSOLE.paths.operator,
};

export interface LayoutProps {
  title: string;
  session?: Session | undefined;
  /** The nav entry to mark as the current page. */
  current?: string;
  nodeName?: string;
}

/** The frame of every page: skip link, header with navigation and sign-out, main. */
export const Layout: FC<PropsWithChildren<LayoutProps>> = ({ title, session, current, nodeName, children }) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>{`${title} · Cairn`}</title>
        <style>{raw(CSS)}</style>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href={CONSOLE.paths.home}>
            Cairn{nodeName ? ` · ${nodeName}` : ''}
          </a>
          {session && (
            <nav aria-label="Main">
              <ul>
                {NAV[session.user.role].map((n) => (
                  <li>
                    <a href={n.href} aria-current={current === n.href ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {session && (
            <div class="who">
              <span>
                {session.user.name} ({session.user.role})
              </span>
              <form method="post" action={CONSOLE.paths.logout}>
                <CsrfField session={session} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {children}
        </main>
      </body>
    </html>
  </>
);

/** The hidden CSRF field every POST form carries. */
export const CsrfField: FC<{ session: Session }> = ({ session }) => <input type="hidden" name={CONSOLE.fields.csrf} value={session.csrf} />;

/** "There is a problem" box linking to every marked field (first thing a screen reader hears). */
export const ErrorSummary: FC<{ errors: FieldErrors; labels?: Record<string, string> }> = ({ errors, labels }) => {
  const entries = Object.entries(errors);
  if (entries.length === 0) return null;
  return (
    <div class="alert" role="alert" aria-labelledby="error-summary-title" tabindex={-1}>
      <h2 id="error-summary-title">There is a problem</h2>
      <ul>
        {entries.map(([name, message]) => (
          <li>
            {name === '$' ? (
              message
            ) : (
              <a href={`#${fieldId(name)}`}>
                {labels?.[name] ? `${labels[name]}: ` : ''}
                {message}
              </a>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
};

interface FieldBase {
  name: string;
  /** Id and error key when several forms on a page share a field name (default: `name`). */
  fieldKey?: string;
  label: string;
  errors?: FieldErrors | undefined;
  hint?: Child;
  required?: boolean;
  wide?: boolean;
}

function described(name: string, hint: Child, error: string | undefined): string | undefined {
  const ids = [hint ? `${fieldId(name)}-hint` : '', error ? `${fieldId(name)}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

const FieldFrame: FC<PropsWithChildren<FieldBase>> = ({ name: fieldName, fieldKey, label, errors, hint, required, wide, children }) => {
  const name = fieldKey ?? fieldName;
  const error = errors?.[name];
  return (
    <div class={wide ? 'field wide' : 'field'}>
      <label for={fieldId(name)}>
        {label}
        {required ? ' (required)' : ''}
      </label>
      {hint && (
        <span class="hint" id={`${fieldId(name)}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span class="error-text" id={`${fieldId(name)}-error`}>
          {error}
        </span>
      )}
      {children}
    </div>
  );
};

/** A labelled text input that marks itself when `errors[name]` is set. */
export const TextField: FC<FieldBase & { value?: string | undefined; type?: string; autocomplete?: string; inputmode?: 'numeric' | 'text' | 'tel' | 'email' | 'decimal'; size?: number; maxlength?: number; placeholder?: string }> = (p) => {
  const key = p.fieldKey ?? p.name;
  const error = p.errors?.[key];
  return (
    <FieldFrame {...p}>
      <input
        id={fieldId(key)}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.value ?? ''}
        required={p.required}
        aria-required={p.required ? 'true' : undefined}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described(key, p.hint, error)}
        autocomplete={p.autocomplete ?? 'off'}
        inputmode={p.inputmode}
        size={p.size}
        maxlength={p.maxlength}
        placeholder={p.placeholder}
        spellcheck={false}
      />
    </FieldFrame>
  );
};

/** A labelled textarea. */
export const TextArea: FC<FieldBase & { value?: string | undefined; rows?: number; maxlength?: number }> = (p) => {
  const key = p.fieldKey ?? p.name;
  const error = p.errors?.[key];
  return (
    <FieldFrame {...p}>
      <textarea
        id={fieldId(key)}
        name={p.name}
        rows={p.rows ?? 3}
        required={p.required}
        aria-required={p.required ? 'true' : undefined}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described(key, p.hint, error)}
        maxlength={p.maxlength}
      >
        {p.value ?? ''}
      </textarea>
    </FieldFrame>
  );
};

/** A labelled select; `options` are [value, label] pairs. */
export const SelectField: FC<FieldBase & { value?: string | undefined; options: readonly (readonly [string, string])[] }> = (p) => {
  const key = p.fieldKey ?? p.name;
  const error = p.errors?.[key];
  return (
    <FieldFrame {...p}>
      <select
        id={fieldId(key)}
        name={p.name}
        required={p.required}
        aria-required={p.required ? 'true' : undefined}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described(key, p.hint, error)}
      >
        {p.options.map(([v, l]) => (
          <option value={v} selected={v === (p.value ?? '')}>
            {l}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
};

/** Render a value that may be absent. */
export const orDash = (v: Child): Child => (v === undefined || v === null || v === '' ? '—' : v);

/** A date-time as UTC "YYYY-MM-DD HH:MM:SS UTC" in a <time> element. */
export const When: FC<{ at: string }> = ({ at }) => (
  <time datetime={at}>{at.length >= 19 ? `${at.slice(0, 10)} ${at.slice(11, 19)} UTC` : at}</time>
);

/** Words for enum values: missing_child_tracing → "missing child tracing". */
export const words = (s: string): string => s.replace(/_/g, ' ');
