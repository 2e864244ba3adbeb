/**
 * The console's gatekeeping, as small middleware factories:
 *  - security headers on every page (a CSP without script, no framing, no
 *    caching of pages that show case data);
 *  - an Origin check on every POST (the form must come from the node's own
 *    origin), before anything is read;
 *  - sessions: a missing or expired session sends a GET to sign-in and
 *    answers a POST with the sign-in page carrying the posted fields, so
 *    nothing typed is lost; a live one must echo its CSRF token in every
 *    POST; the role must be one the page allows, or the answer is a 403 page.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { Role } from '../../../schemas/users.js';
import type { AppContext, Env } from '../context.js';
import { CONSOLE } from './constants.js';
import { FormFields, readForm } from './form.js';
import { LoginPage } from './pages/login.js';
import { StatusPage } from './pages/status.js';
import { csrfMatches, type Session } from '../../core/users/sessions.js';
import { CSS_HASH } from './styles.js';

export type ConsoleEnv = { Variables: Env['Variables'] & { session: Session; sessionId: string; form: FormFields } };
export type ConsoleContext = Context<ConsoleEnv>;

/** What every console handler shares. */
export interface ConsoleDeps {
  /** The node's services and the app's clock, metrics and version. */
  app: AppContext;
  nodeName: string;
  /** The node's own origin: the only one console forms may come from. */
  origin: string;
  cookie: { name: string; secure: boolean };
  startedAt: Date;
  /** True if a POST to `path` may be carried through a sign-in and shown again. */
  resumable: (path: string) => boolean;
}

const CSP = [
  "default-src 'none'",
  `style-src ${CSS_HASH}`,
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers for every console response. */
export function securityHeaders(): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('content-security-policy', CSP);
    h.set('x-content-type-options', 'nosniff');
    h.set('x-frame-options', 'DENY');
    // Not no-referrer: under it browsers send `Origin: null` on form POSTs,
    // which would defeat the Origin check. Nothing leaves for other origins.
    h.set('referrer-policy', 'same-origin');
    h.set('cross-origin-opener-policy', 'same-origin');
    if (!h.has('cache-control')) h.set('cache-control', 'no-store');
  };
}

/**
 * Refuse a POST whose Origin is not the node's own (CSRF defence in depth,
 * next to SameSite=Strict and the per-session token). Browsers send Origin
 * on every form POST; without it, Sec-Fetch-Site must say same-origin.
 */
export function originCheck(cd: ConsoleDeps): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const ok = origin !== undefined ? origin === cd.origin : site === 'same-origin';
    if (!ok) {
      c.get('log').warn({ origin: origin ?? null, site: site ?? null }, 'console: cross-origin form refused');
      return c.html(
        <StatusPage
          nodeName={cd.nodeName}
          title="Form refused"
          message={`This form was not sent from the console's own address. Open the console at ${cd.origin}${CONSOLE.paths.home} and try again.`}
        />,
        403,
      );
    }
    return next();
  };
}

/** Set the session cookie: HttpOnly, SameSite=Strict, Secure over https, scoped to the console. */
export function setSessionCookie(c: Context, cd: ConsoleDeps, id: string): void {
  setCookie(c, cd.cookie.name, id, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: cd.cookie.secure,
    path: CONSOLE.prefix,
    maxAge: Math.floor(CONSOLE.session.absoluteMs / 1000),
  });
}

/** Expire the session cookie in the browser. */
export function clearSessionCookie(c: Context, cd: ConsoleDeps): void {
  setCookie(c, cd.cookie.name, '', { httpOnly: true, sameSite: 'Strict', secure: cd.cookie.secure, path: CONSOLE.prefix, maxAge: 0 });
}

/** The session id the browser sent, if any. */
export const sessionIdOf = (c: Context, cd: ConsoleDeps): string | undefined => getCookie(c, cd.cookie.name);

/** A console path safe to send the browser back to after sign-in (never another origin). */
export function safeNext(next: string | undefined): string | undefined {
  if (next === undefined || next.length > 2000) return undefined;
  const path = next.split('?')[0]!;
  const ok = /^\/console(\/[A-Za-z0-9._~\/-]*)?(\?[A-Za-z0-9._~%&=+:-]*)?$/.test(next) && !path.includes('//') && !path.split('/').includes('..');
  return ok ? next : undefined;
}

/**
 * Only signed-in users of `roles` pass; POST bodies are read here (once)
 * and must carry the session's CSRF token.
 */
export function requireSession(cd: ConsoleDeps, ...roles: Role[]): MiddlewareHandler<ConsoleEnv> {
  const { sessions } = cd.app.services;
  return async (c, next) => {
    const isPost = c.req.method === 'POST';
    const form = isPost ? await readForm(c.req.raw) : FormFields.empty;
    const id = sessionIdOf(c, cd);
    const found = await sessions.find(id);
    const url = new URL(c.req.url);
    if (found.state !== 'active') {
      if (found.state === 'expired') clearSessionCookie(c, cd);
      const expired = found.state === 'expired';
      // A GET, or a form with nothing worth keeping (sign-out): straight to sign-in.
      if (!isPost || !cd.resumable(url.pathname)) {
        const q = new URLSearchParams(isPost ? {} : { [CONSOLE.fields.next]: url.pathname + url.search });
        if (expired) q.set('expired', '1');
        const query = q.toString();
        return c.redirect(query ? `${CONSOLE.paths.login}?${query}` : CONSOLE.paths.login, 303);
      }
      const keep = { action: url.pathname, fields: form.without(CONSOLE.fields.csrf) };
      return c.html(
        <LoginPage
          nodeName={cd.nodeName}
          notice={
            expired
              ? 'Your session expired before this form was sent, so nothing was submitted. Sign in again: what you entered is kept and shown again for you to check and send.'
              : 'Sign in to continue. What you entered is kept and shown again after you sign in.'
          }
          resume={keep}
        />,
        401,
      );
    }
    const session = found.session;
    if (isPost && !csrfMatches(session, form.get(CONSOLE.fields.csrf))) {
      c.get('log').warn({ user: session.user.id }, 'console: CSRF token missing or wrong');
      return c.html(
        <StatusPage nodeName={cd.nodeName} session={session} title="Form out of date" message="This form belongs to another or an earlier session. Go back, reload the page and send it again." />,
        403,
      );
    }
    if (!roles.includes(session.user.role)) {
      return c.html(
        <StatusPage
          nodeName={cd.nodeName}
          session={session}
          title="Not for your role"
          message={`You are signed in as ${session.user.name}, with the role ${session.user.role}. This page is for the role ${roles.join(' or ')}.`}
        />,
        403,
      );
    }
    c.set('session', session);
    c.set('sessionId', id!);
    c.set('form', form);
    await next();
  };
}
