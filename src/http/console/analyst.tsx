/**
 * Analyst pages: the search form and its results, confirmation of possible
 * hits, and the hits peers had on our records. Handlers call the federation
 * core directly (runSearch, getSearch, confirmPossibleHit), the same
 * functions behind /v1/searches.
 */
import type { Hono } from 'hono';
import { confirmRequestSchema } from '../../../schemas/federation.js';
import { isCairnError } from '../../core/errors.js';
import { statusOf } from '../problem.js';
import type { FieldErrors } from './components.js';
import { CONSOLE } from './constants.js';
import { FormFields } from './form.js';
import { requireSession, type ConsoleContext, type ConsoleDeps, type ConsoleEnv } from './guard.js';
import { HitsPage } from './pages/hits.js';
import { SearchPage, type RecentSearch } from './pages/search.js';
import { SearchResultPage, justificationKey } from './pages/search-result.js';
import { readReceipt, type ReceiptView } from './receipts.js';
import type { Resumable } from './resume.js';
import { readSearchForm } from './search-form.js';
import type { Session } from '../../core/users/sessions.js';

const SEARCH_ID = /^s_[0-9a-f]{24}$/;
const CONFIRM_PATH = /^\/console\/searches\/(s_[0-9a-f]{24})\/confirm$/;
const RESUMED = 'You are signed in again. Your entries are shown as you left them: nothing has been sent yet. Check them and submit.';
const HITS_LIMIT = 200;

/**
 * The node's newest searches from every path (console, API, command line,
 * search on registration), each with who or what ran it: a possible hit
 * from a registration or a colleague's search needs someone to see it.
 */
async function recentSearches(cd: ConsoleDeps, session: Session): Promise<RecentSearch[]> {
  const [list, users] = await Promise.all([cd.app.services.searches.list({ limit: CONSOLE.search.recentSearches }), cd.app.services.users.list()]);
  const names = new Map(users.map((u) => [u.id, u.name]));
  return list.map((s) => ({ ...s, by: searchedBy(s.user, session.user.id, names) }));
}

/** A search's author as the console shows it. */
export function searchedBy(userId: string, self: string, names: ReadonlyMap<string, string>): string {
  if (userId === self) return 'you';
  if (userId === 'system:registration') return 'on registration';
  if (userId.startsWith('cli:')) return `command line (${userId.slice(4)})`;
  return names.get(userId) ?? userId;
}

async function renderSearch(c: ConsoleContext, cd: ConsoleDeps, session: Session, values: FormFields, errors: FieldErrors, status: 200 | 401 | 422, notice?: string) {
  const peers = (await cd.app.services.peers.list()).filter((p) => p.status === 'active').map((p) => ({ id: p.id, country: p.country, name: p.name }));
  const recent = await recentSearches(cd, session);
  return c.html(<SearchPage nodeName={cd.nodeName} session={session} values={values} errors={errors} peers={peers} recent={recent} notice={notice} />, status);
}

async function renderResult(
  c: ConsoleContext,
  cd: ConsoleDeps,
  session: Session,
  id: string,
  opts: { errors?: FieldErrors; values?: FormFields; notice?: string | undefined; status?: 200 | 422 | 502 } = {},
) {
  const search = await cd.app.services.searches.get(id);
  const peers = new Map((await cd.app.services.peers.list()).map((p) => [p.id, p]));
  const receipts: Record<string, ReceiptView[]> = {};
  for (const r of search.results) {
    const peer = peers.get(r.peer.nodeId);
    const keys = peer ? [peer.signingPublicKey, ...(await cd.app.services.peers.keyHistory(peer.id)).map((k) => k.publicKey)] : undefined;
    receipts[r.peer.nodeId] = (r.receipts ?? []).map((env) => readReceipt(env, keys));
  }
  const by = (await cd.app.services.users.list()).find((u) => u.id === search.user);
  return c.html(
    <SearchResultPage nodeName={cd.nodeName} session={session} search={search} byName={by?.name} receipts={receipts} errors={opts.errors ?? {}} values={opts.values} notice={opts.notice} />,
    opts.status ?? 200,
  );
}

/** Register the analyst's routes; returns the forms that survive a sign-in. */
export function analystRoutes(r: Hono<ConsoleEnv>, cd: ConsoleDeps): Resumable[] {
  const analyst = requireSession(cd, 'analyst');

  r.get(CONSOLE.paths.search, analyst, (c) => renderSearch(c, cd, c.get('session'), FormFields.empty, {}, 200));

  r.post(CONSOLE.paths.search, analyst, async (c) => {
    const session = c.get('session');
    const form = c.get('form');
    const active = (await cd.app.services.peers.list()).filter((p) => p.status === 'active').map((p) => p.id);
    const read = readSearchForm(form, active, cd.app.clock.now());
    if (!read.ok) return renderSearch(c, cd, session, form, read.errors, 422);
    try {
      const s = await cd.app.services.searches.run(session.user, { ...read.input, path: 'console' });
      return c.redirect(`${CONSOLE.paths.searches}/${s.id}`, 303);
    } catch (e) {
      // Refusals of the input (4xx) go back onto the form; anything else is a failure page.
      if (!isCairnError(e) || statusOf(e.code) >= 500) throw e;
      const field = e.location?.field === 'peers' ? 'peers' : '$';
      return renderSearch(c, cd, session, form, { [field]: e.message }, 422);
    }
  });

  r.get(`${CONSOLE.paths.searches}/:id`, analyst, async (c) => {
    const id = c.req.param('id');
    if (!SEARCH_ID.test(id)) return c.notFound();
    const confirmed = c.req.query('confirmed');
    const search = await cd.app.services.searches.get(id);
    const peer = search.results.find((x) => x.peer.nodeId === confirmed);
    return renderResult(c, cd, c.get('session'), id, { notice: peer ? `${peer.peer.country} confirmed the hit: its receipt is below.` : undefined });
  });

  r.post(`${CONSOLE.paths.searches}/:id/confirm`, analyst, async (c) => {
    const id = c.req.param('id');
    if (!SEARCH_ID.test(id)) return c.notFound();
    const session = c.get('session');
    const form = c.get('form');
    const peer = form.get('peer');
    const parsed = confirmRequestSchema.safeParse({ peer, justification: form.get('justification') });
    if (!parsed.success) {
      const bad = parsed.error.issues.find((i) => i.path[0] === 'justification');
      const message = form.get('justification').trim() === '' ? 'Enter why this possible hit is worth following up' : (bad?.message ?? 'choose a peer');
      return renderResult(c, cd, session, id, { errors: { [justificationKey(peer)]: message }, values: form, status: 422 });
    }
    try {
      await cd.app.services.searches.confirm(session.user, id, parsed.data.peer, parsed.data.justification);
    } catch (e) {
      if (!isCairnError(e) || e.code === 'internal') throw e;
      // The peer refused or failed: say so above the kept justification.
      return renderResult(c, cd, session, id, { errors: { $: `The confirmation failed: ${e.message}` }, values: form, status: statusOf(e.code) >= 500 ? 502 : 422 });
    }
    return c.redirect(`${CONSOLE.paths.searches}/${id}?confirmed=${encodeURIComponent(parsed.data.peer)}`, 303);
  });

  r.get(CONSOLE.paths.hits, analyst, async (c) => {
    const hits = await cd.app.services.searches.incomingHits(HITS_LIMIT);
    const peerNames = Object.fromEntries((await cd.app.services.peers.list()).map((p) => [p.id, p.name]));
    return c.html(<HitsPage nodeName={cd.nodeName} session={c.get('session')} hits={hits} limit={HITS_LIMIT} peerNames={peerNames} />);
  });

  return [
    {
      matches: (path) => path === CONSOLE.paths.search,
      roles: ['analyst'],
      render: (c, session, fields) => renderSearch(c, cd, session, fields, {}, 200, RESUMED),
    },
    {
      matches: (path) => CONFIRM_PATH.test(path),
      roles: ['analyst'],
      render: (c, session, fields, path) => renderResult(c, cd, session, CONFIRM_PATH.exec(path)![1]!, { values: fields, notice: RESUMED }),
    },
  ];
}
