/**
 * The DPO's and the operator's console in a real browser, against two real
 * nodes: the search in the audit log, filtered and exported (and every
 * read of the log audited in turn), verification and inconsistencies shown
 * prominently, flags, the operator's view of keys, peers and users, wrong
 * roles refused, and the session's cookie, CSRF and Origin rules.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, api, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { launchBrowser, newContext, shot, signIn } from './helpers/browser.js';
import { freePort, tempDir } from './helpers/cli.js';

const POLICY = { missing_child_tracing: ['missing_child'] };
const CTX = { purpose: 'missing_child_tracing', legalBasis: 'Art. 7 (test)', caseReference: 'AUD-2026-7' };
const IDS = { names: [{ given: 'Nadia', family: 'Karimi' }], dateOfBirth: { precision: 'day', date: '2015-03-03' } };

const dbOf = (node: FedNode, readonly = false) => new Database(join(node.home, 'cairn.db'), { readonly });

describe('DPO and operator console', () => {
  const t = tempDir('cairn-console-dpo-');
  let xa: FedNode;
  let xb: FedNode;
  let browser: Browser;
  let searchId: string;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia child protection', port: ports[0]! },
        { country: 'XB', name: 'Borduria police', port: ports[1]! },
      ],
      POLICY,
      { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0' },
    )) as [FedNode, FedNode];
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XA-N-1', category: 'missing_child', owningUnit: 'Unit N', contactPoint: 'n@xa.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.status).toBe(200);
    const s = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, identifiers: IDS });
    expect(s.status, JSON.stringify(s.json)).toBe(201);
    searchId = s.json.id;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  async function dpoPage(): Promise<Page> {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.dpo);
    return page;
  }

  it('shows the DPO that the log verifies and what was witnessed of the peer, with charts', async () => {
    const page = await dpoPage();
    expect(new URL(page.url()).pathname).toBe('/console/audit');
    expect(await page.locator('.ok').first().textContent()).toMatch(/Our audit log verifies\. \d+ entries/);
    const row = page.locator('tr', { hasText: 'XA · Arcadia child protection' });
    expect(await row.locator('td').nth(5).textContent()).toBe('consistent');
    expect(Number(await row.locator('td').nth(1).textContent())).toBeGreaterThan(0);
    // Four charts; those with nothing to show (no peer has searched us yet) say so instead of drawing.
    expect(await page.locator('figure').count()).toBe(4);
    expect(await page.locator('#chart-incoming-title + p').textContent()).toBe('Nothing in this period.');
    expect(await page.locator('figure svg[role=img]').count()).toBe(2);
    expect(await page.locator('#chart-outgoing-desc').textContent()).toContain('1 searches');
    expect(await page.getByRole('alert').count()).toBe(0);
    await shot(page, '12-dpo-overview');
    await page.close();
  });

  it('reconciles with a peer from the witness table: our search proven in its log, and the read audited', async () => {
    const page = await dpoPage();
    const row = page.locator('tr', { hasText: 'XA · Arcadia child protection' });
    await row.getByRole('button', { name: 'Reconcile' }).click();
    await page.waitForURL('**/console/audit/reconcile');
    expect(await page.locator('h1').textContent()).toBe('Reconcile with XA · Arcadia child protection');
    expect(await page.getByRole('status').textContent()).toMatch(/1 of 1 of our searches of this peer are proven in its log \(inclusion proofs against its checkpoint of size \d+/);
    expect(await page.getByRole('alert').count()).toBe(0);
    await page.close();
    const reads = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/entries?type=audit.read&limit=1000');
    expect(reads.json.entries.some((e: { data: { what?: string; proven?: number } }) => e.data.what === 'console.reconcile' && e.data.proven === 1)).toBe(true);
  });

  it('lets the DPO find the search in the log, export it as CSV and JSON, and audits each read', async () => {
    const page = await dpoPage();
    await page.getByRole('link', { name: 'Audit log', exact: true }).click();
    await page.getByLabel('Case reference').fill(CTX.caseReference);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Apply filter' }).click()]);
    expect(new URL(page.url()).searchParams.get('caseReference')).toBe(CTX.caseReference);
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('search.outgoing');
    expect(await rows.first().textContent()).toContain('XB analyst');
    await rows.first().locator('summary').click();
    expect(await rows.first().locator('pre').textContent()).toContain(searchId);
    await shot(page, '13-dpo-audit-log');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
    expect(csv.suggestedFilename()).toMatch(/^cairn-audit-XB-\d{4}-\d{2}-\d{2}\.csv$/);
    const csvText = readFileSync((await csv.path())!, 'utf8');
    const lines = csvText.trim().split('\r\n');
    expect(lines[0]).toBe('idx,at,type,actor,peer,purpose,caseReference,data');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('search.outgoing');
    expect(lines[1]).toContain(CTX.caseReference);
    expect(lines[1]).toContain(searchId);

    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'JSON' }).click()]);
    const exported = JSON.parse(readFileSync((await json.path())!, 'utf8'));
    expect(exported).toMatchObject({ country: 'XB', filter: { caseReference: CTX.caseReference } });
    expect(exported.entries).toHaveLength(1);
    expect(exported.entries[0]).toMatchObject({ type: 'search.outgoing', data: { searchId, caseReference: CTX.caseReference } });

    // Every read by the console is itself in the log, under the DPO's user.
    const reads = (await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/entries?type=audit.read&limit=1000')).json.entries as { actor: string; data: { what: string } }[];
    const exports = (await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/entries?type=audit.export&limit=1000')).json.entries as { actor: string; data: { what: string; filter: Record<string, string>; entries: number } }[];
    const dpoActor = reads.find((e) => e.data.what === 'console.entries')!.actor;
    expect(dpoActor).toMatch(/^user:u_/);
    expect(reads.filter((e) => e.data.what === 'console.overview').length).toBeGreaterThanOrEqual(2);
    expect(exports.map((e) => e.data.filter.format).sort()).toEqual(['csv', 'json']);
    for (const e of exports) expect(e).toMatchObject({ actor: dpoActor, data: { what: 'console.export', entries: 1, filter: { caseReference: CTX.caseReference } } });
    // So is the sign-in itself.
    const signins = (await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/entries?type=console.signin&limit=1000')).json.entries as { actor: string; data: { role: string } }[];
    expect(signins.some((e) => e.actor === dpoActor && e.data.role === 'dpo')).toBe(true);

    // Newest first; paging is by entry index: a page continues with the entries before its cursor, and links back to the first page.
    await page.goto(`${xb.url}/console/audit/log`);
    const shown = (await page.locator('tbody tr td:first-child').allTextContents()).map(Number);
    expect(shown).toEqual([...shown].sort((x, y) => y - x));
    await page.goto(`${xb.url}/console/audit/log?cursor=3`);
    expect(await page.locator('tbody tr').first().locator('td').first().textContent()).toBe('2');
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['First page']);
    await page.close();
  });

  it('flags a burst of searches by one user', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CTX, caseReference: `BURST-${i}`, identifiers: IDS });
      expect(r.status).toBe(201);
    }
    const page = await dpoPage();
    const flags = page.locator('.warn li');
    expect(await flags.count()).toBe(1);
    expect(await flags.first().textContent()).toMatch(/User XB analyst: 1[01] searches within 10 minutes/);
    await Promise.all([page.waitForNavigation(), flags.first().getByRole('link', { name: 'See these entries' }).click()]);
    expect(await page.locator('tbody tr').count()).toBe(11);
    await page.close();
  });

  it('shows the operator node status, key fingerprints, peers with their pinned fingerprints and policy, and users', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.operator);
    expect(new URL(page.url()).pathname).toBe('/console/operator');
    const text = (await page.locator('main').textContent())!;
    expect(text).toContain('The node is up.');
    expect(text).toContain(xb.fingerprint);
    expect(text).toContain(xa.fingerprint);
    expect(text).toContain('missing child tracing: missing child');
    for (const who of ['XB analyst', 'XB data-protection officer', 'XB operator']) expect(text).toContain(who);
    expect(text).toMatch(/Records held\s*0/);
    // The disk under the database, as df -h would say it.
    expect(text).toMatch(/Storage\s*[\d.]+ (MiB|GiB|TiB) free of [\d.]+ (GiB|TiB) on the disk under the database; the database takes [\d.]+ (KiB|MiB)/);
    // keys.rotateEveryDays: when each key is due (a fresh node: a year and 90 days ahead).
    expect(text).toMatch(/Signing key rotation\s*Rotation due on \d{4}-\d{2}-\d{2} \(every 365 days; key age 0 days\): cairn keys rotate signing/);
    expect(text).toMatch(/OPRF key rotation\s*Rotation due on \d{4}-\d{2}-\d{2} \(every 90 days; key age 0 days\)/);
    await shot(page, '14-operator');
    await page.close();
  });

  it('refuses a signed-in user of the wrong role with a 403 page, and records no read', async () => {
    const countReads = () => {
      const d = dbOf(xb, true);
      const n = (d.prepare("select count(*) as n from audit_entries where type in ('audit.read', 'audit.export')").get() as { n: number }).n;
      d.close();
      return n;
    };
    const cases: [string, string, string][] = [
      [xb.tokens.analyst, '/console/audit', 'dpo'],
      [xb.tokens.analyst, '/console/audit/export?format=csv', 'dpo'],
      [xb.tokens.dpo, '/console/search', 'analyst'],
      [xb.tokens.dpo, '/console/operator', 'operator'],
      [xb.tokens.operator, '/console/audit/log', 'dpo'],
      [xb.tokens.operator, '/console/hits', 'analyst'],
    ];
    for (const [token, path, needs] of cases) {
      const page = await (await newContext(browser)).newPage();
      await signIn(page, xb.url, token);
      const before = countReads();
      const res = await page.goto(`${xb.url}${path}`);
      expect(res!.status(), path).toBe(403);
      expect(await page.getByRole('alert').textContent()).toContain(`This page is for the role ${needs}`);
      expect(countReads(), path).toBe(before);
      if (path === '/console/audit') await shot(page, '15-wrong-role');
      await page.close();
    }
  });

  it('keeps the session in an HttpOnly SameSite=Strict cookie, stores only its hash, and checks CSRF and Origin on every form', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    await signIn(page, xb.url, xb.tokens.analyst);
    const [cookie] = await ctx.cookies(xb.url + '/console');
    expect(cookie).toMatchObject({ name: 'cairn_console', httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const d = dbOf(xb, true);
    const stored = d.prepare('select id_hash from sessions').all() as { id_hash: Buffer }[];
    d.close();
    const hash = createHash('sha256').update(cookie!.value).digest();
    expect(stored.some((r) => r.id_hash.equals(hash))).toBe(true);
    expect(stored.some((r) => r.id_hash.toString('utf8').includes(cookie!.value))).toBe(false);

    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const post = (body: Record<string, string>, origin = xb.url) =>
      fetch(`${xb.url}/console/search`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: `cairn_console=${cookie!.value}`, origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(body),
      });
    const form = { purpose: CTX.purpose, legalBasis: CTX.legalBasis, caseReference: 'CSRF-1', 'names[0].given': 'Nadia', 'names[0].family': 'Karimi', 'dateOfBirth.date': '2015-03-03' };
    const noToken = await post(form);
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain('Form out of date');
    const wrongToken = await post({ ...form, _csrf: csrf.replace(/.$/, (ch) => (ch === 'A' ? 'B' : 'A')) });
    expect(wrongToken.status).toBe(403);
    const crossSite = await post({ ...form, _csrf: csrf }, 'https://evil.example');
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain('not sent from the console');
    const ok = await post({ ...form, _csrf: csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/console\/searches\/s_/);
    expect(ok.headers.get('content-security-policy')).toContain("default-src 'none'");

    // Sign-out ends the session on the server, not only in the browser.
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign out' }).click()]);
    expect(await page.getByRole('status').textContent()).toContain('You are signed out.');
    const after = await fetch(`${xb.url}/console/search`, { redirect: 'manual', headers: { cookie: `cairn_console=${cookie!.value}` } });
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fsearch');
    // A form with nothing to keep, posted without a live session, goes straight to sign-in.
    const lateSignOut = await fetch(`${xb.url}/console/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `cairn_console=${cookie!.value}`, origin: xb.url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(lateSignOut.status).toBe(303);
    expect(lateSignOut.headers.get('location')).toBe('/console/login');
    await ctx.close();
  });

  it("ends a revoked user's session at the next request", async () => {
    const token = addUser(xb.home, 'analyst', 'Soon revoked');
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, token);
    const users = (await api(xb, xb.tokens.operator, 'GET', '/v1/users')).json.users as { id: string; name: string }[];
    const id = users.find((u) => u.name === 'Soon revoked')!.id;
    expect((await api(xb, xb.tokens.operator, 'DELETE', `/v1/users/${id}`)).status).toBe(200);
    await page.goto(`${xb.url}/console/search`);
    expect(new URL(page.url()).pathname).toBe('/console/login');
    expect(await page.getByRole('status').textContent()).toContain('Your session expired');
    await page.close();
  });

  it('shows inconsistencies prominently: a peer that forked its log, and our own log tampered with', async () => {
    const d = dbOf(xb);
    const peer = d.prepare("select id from peers where country = 'XA'").get() as { id: string };
    d.prepare('insert into witness_alerts (id, at, peer_id, kind, detail, evidence, seen, last_seen_at) values (?, ?, ?, ?, ?, ?, ?, ?)').run(
      'alert_test',
      new Date(Date.now() - 3_600_000).toISOString(),
      peer.id,
      'fork',
      'XA signed two different roots for tree size 7',
      '{}',
      3,
      new Date().toISOString(),
    );
    d.close();
    const page = await dpoPage();
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toContain('Inconsistency detected');
    expect(await alert.textContent()).toContain('XA signed two different roots for tree size 7');
    expect(await alert.textContent()).not.toContain('keep a copy of the database');
    expect(await alert.textContent()).toContain('found again by 2 later checks');
    expect(await page.locator('tr', { hasText: 'XA · Arcadia child protection' }).locator('td').nth(5).textContent()).toMatch(/1 alert: fork/);

    // Someone edits an entry of our own log in the database.
    const w = dbOf(xb);
    const row = w.prepare("select idx from audit_entries where type = 'search.outgoing' order by idx limit 1").get() as { idx: number };
    w.prepare("update audit_entries set entry = replace(entry, 'AUD-2026-7', 'AUD-2026-8') where idx = ?").run(row.idx);
    w.close();
    await page.reload();
    expect(await page.getByRole('alert').textContent()).toContain('Our own audit log does not verify');
    expect(await page.getByRole('alert').textContent()).toContain('keep a copy of the database file as it is now');
    expect(await page.locator('.alert h3').textContent()).toBe('Our audit log does NOT verify');
    expect(await page.locator('.alert', { hasText: 'first bad entry' }).textContent()).toContain(`first bad entry: #${row.idx}`);
    await shot(page, '16-dpo-inconsistency');
    await page.close();
  });
});
