/**
 * The web console, served by the node's own hono app under /console:
 * server-rendered pages (hono/jsx), no client-side script, sessions opened
 * with an API token. Handlers call the core directly, not the HTTP API.
 *
 * Mounted by createApp with `app.route('/', consoleRoutes(ctx))`.
 */
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isCairnError, isStorageFull } from '../../core/errors.js';
import { failureFields } from '../../core/failure-log.js';
import type { AppContext } from '../context.js';
import { problemOf } from '../problem.js';
import { analystRoutes } from './analyst.js';
import { HOME } from './components.js';
import { CONSOLE } from './constants.js';
import { dpoRoutes } from './dpo.js';
import { readForm } from './form.js';
import { clearSessionCookie, originCheck, requireSession, safeNext, securityHeaders, sessionIdOf, setSessionCookie, type ConsoleDeps, type ConsoleEnv } from './guard.js';
import { operatorRoutes } from './operator.js';
import { LoginPage } from './pages/login.js';
import { StatusPage } from './pages/status.js';
import type { Resumable } from './resume.js';

export type { ConsoleEnv } from './guard.js';

/** The console's routes, to mount at the root of the node's app. */
export function consoleRoutes(app: AppContext): Hono<ConsoleEnv> {
  const r = new Hono<ConsoleEnv>();
  const { config, sessions } = app.services;
  const nodeUrl = new URL(config.node.url);
  const secure = nodeUrl.protocol === 'https:';
  const resumables: Resumable[] = [];
  const cd: ConsoleDeps = {
    app,
    nodeName: config.node.name,
    origin: nodeUrl.origin,
    cookie: { name: secure ? CONSOLE.cookie.secureName : CONSOLE.cookie.name, secure },
    startedAt: app.clock.now(),
    resumable: (path) => resumables.some((x) => x.matches(path)),
  };

  r.use(CONSOLE.prefix, securityHeaders());
  r.use(`${CONSOLE.prefix}/*`, securityHeaders());
  r.use(`${CONSOLE.prefix}/*`, originCheck(cd));

  r.get(CONSOLE.paths.home, async (c) => {
    const found = await sessions.find(sessionIdOf(c, cd));
    return c.redirect(found.state === 'active' ? HOME[found.session.user.role] : CONSOLE.paths.login, 303);
  });

  r.get(CONSOLE.paths.login, async (c) => {
    const found = await sessions.find(sessionIdOf(c, cd));
    const next = safeNext(c.req.query(CONSOLE.fields.next));
    if (found.state === 'active') return c.redirect(next ?? HOME[found.session.user.role], 303);
    const notice = c.req.query('expired') === '1' ? 'Your session expired. Sign in again to continue where you were.' : c.req.query('signedout') === '1' ? 'You are signed out.' : undefined;
    return c.html(<LoginPage nodeName={cd.nodeName} next={next} notice={notice} />);
  });

  r.post(CONSOLE.paths.login, async (c) => {
    const form = await readForm(c.req.raw);
    const next = safeNext(form.get(CONSOLE.fields.next) || undefined);
    const action = form.get(CONSOLE.fields.resumeAction);
    const resumable = action ? resumables.find((x) => x.matches(action)) : undefined;
    const resume = resumable ? { action, fields: form.under(CONSOLE.fields.resumeField) } : undefined;
    const token = form.get(CONSOLE.fields.token).trim();
    const opened = token ? await sessions.signIn(token) : undefined;
    if (!opened) {
      c.get('log').warn({}, 'console: sign-in refused');
      const error = token ? 'That token is unknown or has been revoked' : 'Enter your API token';
      return c.html(<LoginPage nodeName={cd.nodeName} next={next} error={error} resume={resume} />, 401);
    }
    const { id, session } = opened;
    const user = session.user;
    // A fresh session id on every sign-in; the browser's previous session (if any) ends.
    await sessions.signOut(sessionIdOf(c, cd));
    setSessionCookie(c, cd, id);
    c.get('log').info({ user: user.id, role: user.role }, 'console: signed in');
    if (resume && resumable && resumable.roles.includes(user.role)) return resumable.render(c, session, resume.fields, resume.action);
    return c.redirect(next ?? HOME[user.role], 303);
  });

  r.post(CONSOLE.paths.logout, requireSession(cd, 'analyst', 'dpo', 'operator'), async (c) => {
    await sessions.signOut(c.get('sessionId'), c.get('session').user);
    clearSessionCookie(c, cd);
    return c.redirect(`${CONSOLE.paths.login}?signedout=1`, 303);
  });

  resumables.push(...analystRoutes(r, cd));
  dpoRoutes(r, cd);
  operatorRoutes(r, cd);

  const notFound = (c: Parameters<Parameters<typeof r.notFound>[0]>[0]) =>
    c.html(<StatusPage nodeName={cd.nodeName} session={c.get('session')} title="Not found" message="There is no console page at this address." />, 404);
  r.all(`${CONSOLE.prefix}/*`, notFound);

  // Errors inside the console are pages, not JSON problems; the same rules
  // apply: a CairnError's message is shown, an internal cause only logged.
  r.onError((err, c) => {
    const problem = problemOf(err, c.get('requestId'));
    const log = c.get('log');
    if (isStorageFull(err)) log.error(failureFields(err), 'console: storage full: request refused, nothing of it stored');
    else if (!isCairnError(err) || err.code === 'internal') log.error({ err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }, 'console: unhandled error');
    else log.warn({ code: err.code }, 'console: request refused');
    const title = problem.status === 404 ? 'Not found' : problem.status === 503 ? 'Not possible just now' : problem.status >= 500 ? 'Something went wrong' : 'Request refused';
    return c.html(
      <StatusPage nodeName={cd.nodeName} session={c.get('session')} title={title} message={problem.detail ?? problem.title} requestId={problem.status >= 500 ? problem.requestId : undefined} />,
      problem.status as ContentfulStatusCode,
    );
  });
  return r;
}
