/**
 * The console's pure parts, without a browser: reading the search form
 * (and putting each problem on the right field), the DPO's pattern flags
 * and chart counts, the audit-log filter, safe redirects, and sessions'
 * idle and absolute expiry against a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { activityOf, findFlags, lastDays, perDay, type ActivityEvent } from '../src/http/console/activity.js';
import { niceMax } from '../src/http/console/charts.js';
import { CONSOLE, FLAG_RULES } from '../src/http/console/constants.js';
import { logFilterFrom } from '../src/http/console/dpo.js';
import { FormFields } from '../src/http/console/form.js';
import { safeNext } from '../src/http/console/guard.js';
import { formFieldOf, readSearchForm } from '../src/http/console/search-form.js';
import { closeSession, csrfMatches, findSession, openSession } from '../src/core/users/sessions.js';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { openSqlite } from '../src/node/sqlite.js';

const NOW = new Date('2026-06-01T12:00:00Z');
const form = (o: Record<string, string | string[]>) => new FormFields(Object.entries(o).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as const) : [[k, v] as const])));
const CTX = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12', caseReference: 'C-1' };
const NAME = { 'names[0].given': 'Olena', 'names[0].family': 'Шевченко', 'dateOfBirth.date': '2013-04-12' };

describe('search form', () => {
  it('builds the search input, inferring the date precision and keeping the chosen peers', () => {
    const r = readSearchForm(form({ ...CTX, ...NAME, 'names[0].aliases': ' Lena \r\n\r\nOlenka ', peers: ['p1'], 'emails[1]': 'a@b.example' }), ['p1', 'p2'], NOW);
    expect(r).toEqual({
      ok: true,
      input: {
        ...CTX,
        peers: ['p1'],
        identifiers: { names: [{ given: 'Olena', family: 'Шевченко', aliases: ['Lena', 'Olenka'] }], dateOfBirth: { precision: 'day', date: '2013-04-12' }, emails: ['a@b.example'] },
      },
    });
  });

  it('requires purpose, legal basis and case reference, each marked with its own message, before anything else', () => {
    const r = readSearchForm(form({ ...NAME, legalBasis: '   ', 'phones[0].number': '12' }), [], NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(Object.keys(r.errors).slice(0, 3)).toEqual(['purpose', 'caseReference', 'legalBasis']);
    expect(r.errors).toMatchObject({ purpose: 'Choose the purpose of this search', legalBasis: 'Enter the legal basis of this search', caseReference: 'Enter your case reference' });
    expect(r.errors['phones[0].number']).toBeDefined();
  });

  it('puts identifier problems on the form row they came from, even when earlier rows are empty', () => {
    const r = readSearchForm(form({ ...CTX, 'names[1].given': 'Ol3na', 'names[1].aliases': 'ok\nb@d', 'dateOfBirth.date': '2013-02-30', 'documents[1].number': 'X1', 'handles[1].handle': 'h' }), [], NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveProperty(['names[1].given']);
    expect(r.errors).toHaveProperty(['names[1].aliases']);
    expect(r.errors).toHaveProperty(['dateOfBirth.date']);
    expect(r.errors['documents[1].type']).toBe('Choose the document type');
    expect(r.errors['documents[1].issuingCountry']).toMatch(/issuing country/);
    expect(r.errors['handles[1].platform']).toMatch(/platform/);
    expect(Object.keys(r.errors).some((k) => k.startsWith('names[0]') || k.startsWith('documents[0]'))).toBe(false);
  });

  it('says when there is nothing to match on, or nothing that makes a match key', () => {
    const none = readSearchForm(form(CTX), [], NOW);
    expect(!none.ok && none.errors.$).toMatch(/^Enter something to match on/);
    const nameOnly = readSearchForm(form({ ...CTX, 'names[0].given': 'Olena', 'names[0].family': 'Shevchenko' }), [], NOW);
    expect(!nameOnly.ok && nameOnly.errors.$).toMatch(/nothing to match on: a name needs two or more words .* and a date of birth/);
    // A placeholder the analyst copied from a file (LNU) is no name: the form says so on that field.
    const placeholder = readSearchForm(form({ ...CTX, 'names[0].given': 'Olena', 'names[0].family': 'LNU', 'dateOfBirth.date': '2013-01-01' }), [], NOW);
    expect(!placeholder.ok && placeholder.errors).toMatchObject({
      $: expect.stringMatching(/nothing to match on/),
      'names[0].family': 'Stands for an unknown name (like FNU, LNU, Unknown or NN): Cairn does not match on it',
    });
    // With an exact date, the one name left is a search of its own (0x24).
    expect(readSearchForm(form({ ...CTX, 'names[0].given': 'Olena', 'names[0].family': 'LNU', 'dateOfBirth.date': '2013-04-12' }), [], NOW).ok).toBe(true);
    const dash = readSearchForm(form({ ...CTX, 'names[0].given': 'Olena', 'names[0].family': '-', 'dateOfBirth.date': '2013-04-12' }), [], NOW);
    expect(!dash.ok && dash.errors['names[0].family']).toBe('stands for an unknown name: leave the field empty');
  });

  it('says when the entries give more match keys than one search asks, and accepts as many as it does', () => {
    const digests = (n: number) => Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0')).join('\n');
    const over = readSearchForm(form({ ...CTX, fileSha256: digests(65) }), [], NOW);
    expect(!over.ok && over.errors.$).toMatch(/^These entries give 65 match keys and one search asks at most 64: split them/);
    expect(readSearchForm(form({ ...CTX, fileSha256: digests(64) }), [], NOW).ok).toBe(true);
  });

  it('asks for the spread of an estimated birth year, and refuses a peer that is not active', () => {
    const r = readSearchForm(form({ ...CTX, ...NAME, 'dateOfBirth.date': '2013', 'dateOfBirth.precision': 'estimated', peers: 'gone' }), ['p1'], NOW);
    expect(!r.ok && r.errors).toMatchObject({ 'dateOfBirth.plusMinusYears': expect.stringMatching(/years either side/), peers: expect.stringMatching(/no longer active/) });
    const ok = readSearchForm(form({ ...CTX, ...NAME, 'dateOfBirth.date': '2013', 'dateOfBirth.precision': 'estimated', 'dateOfBirth.plusMinusYears': '2' }), [], NOW);
    expect(ok.ok && ok.input.identifiers).toMatchObject({ dateOfBirth: { precision: 'estimated', date: '2013', plusMinusYears: 2 } });
  });

  it('reads a country code as an analyst types it off a document: any case, three letters too', () => {
    const r = readSearchForm(form({ ...CTX, 'documents[0].type': 'passport', 'documents[0].issuingCountry': 'pol', 'documents[0].number': 'EA1234567', 'phones[0].number': '015123456789', 'phones[0].country': 'Deu' }), [], NOW);
    expect(r.ok ? r.input.identifiers : r.errors).toMatchObject({ documents: [{ type: 'passport', issuingCountry: 'PL', number: 'EA1234567' }], phones: [{ number: '015123456789', country: 'DE' }] });
    const bad = readSearchForm(form({ ...CTX, 'documents[0].type': 'passport', 'documents[0].issuingCountry': 'XXA', 'documents[0].number': 'EA1234567' }), [], NOW);
    expect(!bad.ok && bad.errors['documents[0].issuingCountry']).toBeTruthy();
  });

  it('maps issue paths to form fields', () => {
    const rows = { names: [1], documents: [0, 1], phones: [], emails: [1], handles: [] };
    expect(formFieldOf('names[0].aliases[3]', rows)).toBe('names[1].aliases');
    expect(formFieldOf('names[0]', rows)).toBe('names[1].given');
    expect(formFieldOf('documents[1].number', rows)).toBe('documents[1].number');
    expect(formFieldOf('emails[0]', rows)).toBe('emails[1]');
    expect(formFieldOf('phones[0].number', rows)).toBe('$');
    expect(formFieldOf('dateOfBirth', rows)).toBe('dateOfBirth.date');
    expect(formFieldOf('fileSha256[2]', rows)).toBe('fileSha256');
    expect(formFieldOf('$', rows)).toBe('$');
  });
});

describe('DPO flags and charts', () => {
  const at = (min: number) => new Date(NOW.getTime() + min * 60_000).toISOString();
  const search = (user: string, min: number, hit = false): Extract<ActivityEvent, { kind: 'search' }> => ({ kind: 'search', at: at(min), user, peers: ['p'], hitPeers: hit ? ['p'] : [] });

  it('flags a user with a burst of searches, and not one who spreads them out', () => {
    const burst = Array.from({ length: FLAG_RULES.userBurst.count }, (_, i) => search('u1', i, true));
    const spread = Array.from({ length: 30 }, (_, i) => search('u2', i * 11, true));
    const flags = findFlags([...burst, ...spread]);
    expect(flags).toEqual([expect.objectContaining({ rule: 'user_burst', subject: 'u1', count: FLAG_RULES.userBurst.count, from: at(0), to: at(FLAG_RULES.userBurst.count - 1) })]);
    expect(findFlags(burst.slice(1))).toEqual([]);
  });

  it('flags days of searches that find nothing, and peers that ask a lot and never confirm', () => {
    const rules = { ...FLAG_RULES, userNoHitsPerDay: { count: 3 }, peerNoHitsPerDay: { count: 4 }, userBurst: { count: 99, windowMs: 1 }, peerBurst: { count: 99, windowMs: 1 } };
    const empty = [search('u', 0), search('u', 60), search('u', 120), search('v', 0), search('v', 60), search('v', 120, true)];
    const asks = (peer: string) => Array.from({ length: 4 }, (_, i): ActivityEvent => ({ kind: 'match', at: at(i), peer }));
    const flags = findFlags([...empty, ...asks('pa'), ...asks('pb'), { kind: 'confirm', at: at(5), peer: 'pb' }], rules);
    expect(flags.map((f) => `${f.rule}:${f.subject}:${f.count}`).sort()).toEqual(['peer_no_hits:pa:4', 'user_no_hits:u:3']);
  });

  it('flags a burst of match requests (answered or refused) from one peer', () => {
    const events: ActivityEvent[] = Array.from({ length: FLAG_RULES.peerBurst.count }, (_, i) => (i % 2 ? { kind: 'match', at: at(i / 10), peer: 'p' } : { kind: 'denied', at: at(i / 10), peer: 'p', code: 'rate_limited' }));
    expect(findFlags(events).map((f) => f.rule)).toContain('peer_burst');
  });

  it('reads audit entries defensively and counts per day and key', () => {
    expect(activityOf('search.outgoing', at(0), { user: 'u', peers: [{ peer: 'a', result: 'hit' }, { peer: 'b', result: 'no_hit' }, 'junk'] })).toEqual({ kind: 'search', at: at(0), user: 'u', peers: ['a', 'b'], hitPeers: ['a'] });
    expect(activityOf('match.incoming', at(0), null)).toBeUndefined();
    expect(activityOf('match.denied', at(0), { peer: 7 })).toBeUndefined();
    expect(activityOf('users.add', at(0), { peer: 'x' })).toBeUndefined();
    const days = lastDays(NOW, 3);
    expect(days).toEqual(['2026-05-30', '2026-05-31', '2026-06-01']);
    const events: ActivityEvent[] = [search('u', 0), { ...search('u', 0), peers: ['p', 'q'] }, { ...search('u', 0), at: '2026-05-30T01:00:00.000Z' }, { ...search('u', 0), at: '2020-01-01T00:00:00.000Z' }];
    expect(perDay(events, days, (e) => (e.kind === 'search' ? e.peers : []))).toEqual([
      { name: 'p', values: [1, 0, 2] },
      { name: 'q', values: [0, 0, 1] },
    ]);
    expect([0, 1, 3, 7, 10, 11, 260].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 500]);
  });
});

describe('audit log filter and redirects', () => {
  it('turns days into instants (the "to" day included) and checks everything', () => {
    expect(logFilterFrom({ from: '2026-06-01', to: '2026-06-02', type: 'search.outgoing', caseReference: ' C-1 ', cursor: '40' })).toEqual({
      values: { from: '2026-06-01', to: '2026-06-02', type: 'search.outgoing', caseReference: 'C-1' },
      filter: { from: '2026-06-01T00:00:00.000Z', to: '2026-06-03T00:00:00.000Z', type: 'search.outgoing', caseReference: 'C-1', cursor: 40, limit: CONSOLE.audit.pageSize },
      errors: {},
    });
    const bad = logFilterFrom({ from: '1 June', type: 'drop table', caseReference: 'x'.repeat(200) });
    expect(bad.filter).toBeUndefined();
    expect(Object.keys(bad.errors).sort()).toEqual(['caseReference', 'from', 'type']);
  });

  it('sends the browser back only to console paths', () => {
    for (const ok of ['/console', '/console/audit/log?caseReference=C-1&type=search.outgoing', '/console/searches/s_00']) expect(safeNext(ok)).toBe(ok);
    for (const bad of ['//evil.example/console', 'https://evil.example/console', '/console//evil', '/console/../v1/users', '/consoleevil', '/v1/users', '/console\\evil', '/console/x#y'])
      expect(safeNext(bad), bad).toBeUndefined();
  });
});

describe('console sessions', () => {
  async function setup() {
    const sqlite = openSqlite(':memory:');
    await migrateToLatest(sqlite.db);
    let now = NOW.getTime();
    let n = 0;
    const deps = { db: sqlite.db, clock: { now: () => new Date(now) }, random: { bytes: (k: number) => new Uint8Array(k).fill(++n) } };
    await sqlite.db.insertInto('users').values({ id: 'u1', name: 'Ana', role: 'analyst', token_hash: new Uint8Array(32), created_at: NOW.toISOString(), revoked_at: null }).execute();
    const user = { id: 'u1', name: 'Ana', role: 'analyst' as const, createdAt: NOW.toISOString(), revokedAt: null };
    return { sqlite, deps, user, advance: (ms: number) => (now += ms) };
  }

  it('stores only the hash of the id, and finds the session by it', async () => {
    const { sqlite, deps, user } = await setup();
    const { id, session } = await openSession(deps, user);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await sqlite.db.selectFrom('sessions').selectAll().execute();
    expect(rows).toHaveLength(1);
    expect(Buffer.from(rows[0]!.id_hash).toString('base64url')).not.toBe(id);
    const found = await findSession(deps, id);
    expect(found).toEqual({ state: 'active', session });
    expect(csrfMatches(session, session.csrf)).toBe(true);
    expect(csrfMatches(session, session.csrf.slice(1))).toBe(false);
    expect(csrfMatches(session, undefined)).toBe(false);
    expect(await findSession(deps, undefined)).toEqual({ state: 'absent' });
    expect(await findSession(deps, `${id}x`)).toEqual({ state: 'absent' });
    expect(await findSession(deps, id.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))).toEqual({ state: 'absent' });
    await closeSession(deps, id);
    expect(await findSession(deps, id)).toEqual({ state: 'absent' });
    await sqlite.close();
  });

  it('expires after the idle time, and activity keeps it alive until the absolute limit', async () => {
    const { sqlite, deps, user, advance } = await setup();
    const idle = await openSession(deps, user);
    advance(CONSOLE.session.idleMs);
    expect(await findSession(deps, idle.id)).toEqual({ state: 'expired' });
    expect(await findSession(deps, idle.id)).toEqual({ state: 'absent' });

    const busy = await openSession(deps, user);
    const start = deps.clock.now().getTime();
    while (deps.clock.now().getTime() - start < CONSOLE.session.absoluteMs - CONSOLE.session.idleMs / 2) {
      advance(CONSOLE.session.idleMs / 2);
      expect((await findSession(deps, busy.id)).state).toBe('active');
    }
    advance(CONSOLE.session.idleMs / 2);
    expect(await findSession(deps, busy.id)).toEqual({ state: 'expired' });
    await sqlite.close();
  });

  it("ends a revoked user's session", async () => {
    const { sqlite, deps, user } = await setup();
    const s = await openSession(deps, user);
    await sqlite.db.updateTable('users').set({ revoked_at: NOW.toISOString() }).where('id', '=', 'u1').execute();
    expect(await findSession(deps, s.id)).toEqual({ state: 'expired' });
    await sqlite.close();
  });
});
