/**
 * The analyst's console in a real browser, against two real nodes on
 * loopback: search and hit with a decoded receipt and the records found (one
 * row per record, the possible matches awaiting confirmation), a possible hit
 * confirmed with a justification, the owning node's list of incoming hits, required
 * fields refused and marked, script injection inert, and an expired session
 * that returns to sign-in without losing the form.
 */
import Database from 'better-sqlite3';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { launchBrowser, newContext, shot, signIn, skipBrowserValidation } from './helpers/browser.js';
import { freePort, tempDir } from './helpers/cli.js';

const POLICY = { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] };
const LEGAL = 'Art. 12 Child Protection Act (test)';
const XSS = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">"'&`;

function record(ref: string, category: string, identifiers: unknown) {
  return { ref, category, owningUnit: 'Missing children unit', contactPoint: `desk-${ref}@police.example`, recordDate: '2026-01-15', retentionUntil: '2036-01-01', identifiers };
}

async function fillContext(page: Page, ctx: { purpose?: string; legalBasis?: string; caseReference?: string }) {
  if (ctx.purpose !== undefined) await page.getByLabel('Purpose').selectOption(ctx.purpose);
  if (ctx.legalBasis !== undefined) await page.getByLabel('Legal basis').fill(ctx.legalBasis);
  if (ctx.caseReference !== undefined) await page.getByLabel('Case reference').fill(ctx.caseReference);
}

async function submitSearch(page: Page) {
  const [res] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Search', exact: true }).click()]);
  return res!;
}

/** The section of one peer's result. */
const peerSection = (page: Page, country: string) => page.locator('section.peer', { has: page.locator(`h3:text-matches("^${country} ·")`) });

/** The rows of the records-found table of a search result, as trimmed cell texts. */
async function recordRows(page: Page): Promise<string[][]> {
  const rows = page.locator('section.records tbody tr');
  const out: string[][] = [];
  for (let i = 0; i < (await rows.count()); i++) out.push((await rows.nth(i).locator('td').allTextContents()).map((x) => x.trim()));
  return out;
}
const UTC_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/;

describe('analyst console', () => {
  const t = tempDir('cairn-console-analyst-');
  let xa: FedNode;
  let xb: FedNode;
  let browser: Browser;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia child protection', port: ports[0]! },
        { country: 'XB', name: 'Borduria police', port: ports[1]! },
      ],
      POLICY,
    )) as [FedNode, FedNode];
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [
        record('XA-MC-1', 'missing_child', { names: [{ given: 'Олена', family: 'Шевченко' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } }),
        record('XA-UM-7', 'unaccompanied_minor', { names: [{ given: 'Yusuf', family: 'Haddad' }], dateOfBirth: { precision: 'year', date: '2011' } }),
      ],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  it('searches across the federation and shows the hit with its decoded receipt', async () => {
    const page = await (await newContext(browser)).newPage();
    await page.goto(`${xb.url}/console/login`);
    await shot(page, '01-login');
    await signIn(page, xb.url, xb.tokens.analyst);
    expect(new URL(page.url()).pathname).toBe('/console/search');
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-2026-0042' });
    await page.getByLabel('Given name 1').fill('Olena');
    await page.getByLabel('Family name 1').fill('Shevchenko');
    await page.getByLabel('Date of birth', { exact: true }).fill('2013-04-12');
    await shot(page, '02-search-form');
    const res = await submitSearch(page);
    expect(res.status()).toBe(200);
    expect(new URL(page.url()).pathname).toMatch(/^\/console\/searches\/s_[0-9a-f]{24}$/);
    const xaResult = peerSection(page, 'XA');
    await expect.poll(() => xaResult.locator('.badge.hit').textContent()).toBe('Hit');
    expect(await xaResult.locator('.badge.probable').count()).toBe(1);
    expect(await xaResult.textContent()).toMatch(/Matched key types.*Name and exact date of birth/);
    const receipt = xaResult.locator('.receipt');
    expect(await receipt.count()).toBe(1);
    const text = (await receipt.textContent())!;
    expect(text).toContain('XA-MC-1');
    expect(text).toContain('missing child');
    expect(text).toContain('Missing children unit');
    expect(text).toContain('desk-XA-MC-1@police.example');
    expect(text).toContain("verified with XA's pinned signing key");
    // The records found: one row for the one record, from its receipt, and nothing awaiting.
    const found0 = await recordRows(page);
    expect(found0).toHaveLength(1);
    expect(found0[0]!.slice(0, 7)).toEqual(['XA · Arcadia child protection', 'XA-MC-1', 'missing child', 'Missing children unit', 'desk-XA-MC-1@police.example', 'probable', 'Name and exact date of birth']);
    expect(found0[0]![7]).toMatch(UTC_TIME);
    expect(await page.locator('section.records tbody time').getAttribute('datetime')).toBe(await receipt.locator('time').getAttribute('datetime'));
    expect(await page.locator('.awaiting').count()).toBe(0);
    // A receipt carries no identifier of the person, and none is shown beside it.
    const found = (await page.locator('section.records').textContent())!;
    for (const raw of ['Olena', 'Олена', 'Shevchenko', 'Шевченко', '2013-04-12']) expect(found).not.toContain(raw);
    await shot(page, '03-search-hit-receipt');
    // The recent searches list on the form links back to it, and lists
    // searches from the other paths too, each with who ran it.
    cli(['search', '--home', xb.home, '--purpose', 'missing_child_tracing', '--legal-basis', LEGAL, '--case', 'BOR-CLI-9', '--given', 'Ion', '--family', 'Popa', '--dob', '2010-10-10']);
    const viaApi = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-API-8', identifiers: { names: [{ given: 'Ana', family: 'Pop' }], dateOfBirth: { precision: 'day', date: '2012-01-01' } } });
    expect(viaApi.status).toBe(201);
    await page.getByRole('link', { name: 'New search' }).click();
    const rows = page.locator('table tbody tr');
    const rowOf = async (ref: string) => (await rows.filter({ hasText: ref }).first().locator('td').allTextContents()).map((x) => x.trim());
    expect((await rowOf('BOR-2026-0042'))[3]).toBe('you');
    expect((await rowOf('BOR-CLI-9'))[3]).toBe(`command line (${userInfo().username})`);
    expect((await rowOf('BOR-API-8'))[3]).toBe('you');
    await page.close();
  });

  it('confirms a possible hit only with a justification, then shows the receipt', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.analyst);
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-2026-0077' });
    await page.getByLabel('Given name 1').fill('Yousef');
    await page.getByLabel('Family name 1').fill('Hadad');
    await page.getByLabel('Date of birth', { exact: true }).fill('2011');
    await submitSearch(page);
    const xaResult = peerSection(page, 'XA');
    expect(await xaResult.locator('.badge.possible').count()).toBe(1);
    expect(await xaResult.locator('.receipt').count()).toBe(0);
    // Nothing confirmed yet; the possible match waits for the analyst, in the summary and at the peer.
    expect(await recordRows(page)).toEqual([]);
    expect(await page.locator('section.records').textContent()).toContain('No record has been confirmed yet.');
    expect((await page.locator('section.records ul.awaiting li').allTextContents()).map((x) => x.trim())).toEqual(['XA · Arcadia child protection: 1 matched key (1 record) awaits your confirmation.']);
    expect(await xaResult.locator('p.awaiting').textContent()).toBe('1 matched key (1 record) awaits your confirmation.');
    await shot(page, '04-possible-hit');

    // Without a justification the server refuses and marks the field.
    await skipBrowserValidation(page);
    const [refused] = await Promise.all([page.waitForNavigation(), xaResult.getByRole('button', { name: /Confirm/ }).click()]);
    expect(refused!.status()).toBe(422);
    const field = peerSection(page, 'XA').getByLabel('Justification');
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').textContent()).toMatch(/Justification for XA: Enter why/);

    await field.fill('Same reception centre, same age; caseworker asks for follow-up.');
    await Promise.all([page.waitForNavigation(), peerSection(page, 'XA').getByRole('button', { name: /Confirm/ }).click()]);
    expect(await page.getByRole('status').first().textContent()).toMatch(/XA confirmed the hit/);
    const receipt = peerSection(page, 'XA').locator('.receipt');
    expect(await receipt.textContent()).toContain('XA-UM-7');
    expect(await receipt.textContent()).toContain('desk-XA-UM-7@police.example');
    const rows = await recordRows(page);
    expect(rows.map((r) => r.slice(0, 7))).toEqual([['XA · Arcadia child protection', 'XA-UM-7', 'unaccompanied minor', 'Missing children unit', 'desk-XA-UM-7@police.example', 'possible', 'Name and year of birth']]);
    expect(rows[0]![7]).toMatch(UTC_TIME);
    expect(await page.locator('.awaiting').count()).toBe(0);
    await shot(page, '05-possible-hit-confirmed');
    await page.close();
  });

  it("lists the hits on the owning node's records, with the searcher's case and justification", async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xa.url, xa.tokens.analyst);
    await page.getByRole('link', { name: 'Hits on our records' }).click();
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(2);
    const all = (await page.locator('table').textContent())!;
    expect(all).toContain('XA-MC-1');
    expect(all).toContain('BOR-2026-0042');
    expect(all).toContain('XA-UM-7');
    expect(all).toContain('Same reception centre');
    await shot(page, '06-incoming-hits');
    await page.close();
  });

  it('refuses a search without purpose, legal basis or case reference, marking the field and keeping the rest', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.analyst);
    const full = { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-MISSING-1' };
    for (const [missing, label, id] of [
      ['purpose', 'Purpose', 'f-purpose'],
      ['legalBasis', 'Legal basis', 'f-legalBasis'],
      ['caseReference', 'Case reference', 'f-caseReference'],
    ] as const) {
      await page.goto(`${xb.url}/console/search`);
      await fillContext(page, { ...full, [missing]: missing === 'purpose' ? '' : '' });
      await page.getByLabel('Given name 1').fill('Olena');
      await page.getByLabel('Family name 1').fill('Шевченко');
      await page.getByLabel('Date of birth', { exact: true }).fill('2013-04-12');
      await skipBrowserValidation(page);
      const res = await submitSearch(page);
      expect(res.status(), missing).toBe(422);
      expect(await page.locator(`#${id}`).getAttribute('aria-invalid'), missing).toBe('true');
      expect(await page.getByRole('alert').textContent()).toContain(label);
      // Only the missing field is marked; everything else is as typed.
      expect(await page.locator('[aria-invalid=true]').count()).toBe(1);
      expect(await page.getByLabel('Family name 1').inputValue()).toBe('Шевченко');
      expect(await page.getByLabel('Date of birth', { exact: true }).inputValue()).toBe('2013-04-12');
      for (const [k, v] of Object.entries(full)) if (k !== missing) expect(await page.locator(`#f-${k}`).inputValue()).toBe(v);
      if (missing === 'legalBasis') await shot(page, '07-search-missing-legal-basis');
    }
    // Keyboard: the first Tab reaches the skip link, which moves focus to the content.
    await page.goto(`${xb.url}/console/search`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: LEGAL });
    await skipBrowserValidation(page);
    await submitSearch(page);
    // The error summary links to the field, and the link moves focus there (keyboard users).
    await page.getByRole('alert').getByRole('link').first().click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-caseReference');
    // Every field has a label: by for/id, or (the peer checkboxes) by being inside one.
    expect(await page.evaluate(() => document.querySelectorAll('input[type=checkbox]:not(label input)').length)).toBe(0);
    expect(await page.evaluate(() => Array.from(document.querySelectorAll('input:not([type=hidden]):not([type=checkbox]), select, textarea')).filter((el) => !document.querySelector(`label[for="${el.id}"]`)).length)).toBe(0);
    await page.close();
  });

  it('renders script injection in every text field inert', async () => {
    const ctx = await newContext(browser);
    const page = await ctx.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(page, xb.url, xb.tokens.analyst);
    await page.selectOption('#f-purpose', 'missing_child_tracing');
    const textFields = page.locator('form[action="/console/search"] input[type=text], form[action="/console/search"] input[type=tel], form[action="/console/search"] input[type=email], form[action="/console/search"] textarea');
    const n = await textFields.count();
    expect(n).toBeGreaterThan(20);
    // A crafted request can send any length: lift the browser's maxlength limits first.
    await page.evaluate(() => document.querySelectorAll('[maxlength]').forEach((el) => el.removeAttribute('maxlength')));
    for (let i = 0; i < n; i++) await textFields.nth(i).fill(XSS);
    await skipBrowserValidation(page);
    const res = await submitSearch(page);
    expect(res.status()).toBe(422);
    // Every field comes back holding the payload as text; nothing ran, nothing was injected.
    for (let i = 0; i < n; i++) expect(await textFields.nth(i).inputValue()).toBe(XSS);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.evaluate(() => document.querySelectorAll('script, img').length)).toBe(0);
    await shot(page, '08-injection-refused-form');

    // Free-text fields the node accepts (legal basis, case reference, justification) are shown literally on every page.
    await page.goto(`${xb.url}/console/search`);
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: XSS, caseReference: XSS });
    await page.getByLabel('Given name 1').fill('Yusuf');
    await page.getByLabel('Family name 1').fill('Haddad');
    await page.getByLabel('Date of birth', { exact: true }).fill('2011');
    await submitSearch(page);
    expect(await page.locator('dl.box').textContent()).toContain(XSS);
    await peerSection(page, 'XA').getByLabel('Justification').fill(XSS);
    await Promise.all([page.waitForNavigation(), peerSection(page, 'XA').getByRole('button', { name: /Confirm/ }).click()]);
    expect(await peerSection(page, 'XA').locator('.receipt').count()).toBe(1);
    await page.goto(`${xb.url}/console/search`);
    expect(await page.locator('table').textContent()).toContain(XSS);
    expect(await page.evaluate(() => document.querySelectorAll('script, img').length)).toBe(0);

    // The peer's owning unit sees our case reference and justification, inert too.
    const other = await (await newContext(browser)).newPage();
    other.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await signIn(other, xa.url, xa.tokens.analyst);
    await other.goto(`${xa.url}/console/hits`);
    const row = other.locator('tbody tr').first();
    expect(await row.locator('td').nth(7).textContent()).toBe(XSS);
    expect(await row.locator('td').nth(8).textContent()).toBe(XSS);
    expect(await other.evaluate(() => document.querySelectorAll('script, img').length)).toBe(0);
    expect(await other.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await shot(other, '09-injection-inert-incoming-hits');

    // And the sign-in page never echoes what was typed as a token.
    const anon = await (await newContext(browser)).newPage();
    await anon.goto(`${xa.url}/console/login`);
    await anon.getByLabel('API token').fill(XSS);
    await Promise.all([anon.waitForNavigation(), anon.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await anon.getByRole('alert').textContent()).toContain('unknown or has been revoked');
    expect(await anon.content()).not.toContain('__pwned');
    expect(dialogs).toEqual([]);
    await ctx.close();
  });

  it('returns an expired session to sign-in without losing the form, and searches after signing in again', async () => {
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.analyst);
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-EXPIRED-9' });
    await page.getByLabel('Given name 1').fill('Олена');
    await page.getByLabel('Family name 1').fill('Шевченко');
    await page.getByLabel('Other names 1').fill('Lena\nOlenka');
    await page.getByLabel('Date of birth', { exact: true }).fill('2013-04-12');
    await page.getByLabel('Precision').selectOption('day');
    await page.getByLabel('Phone 1', { exact: true }).fill('+380 50 123 4567');
    await page.getByLabel('Document 1 type').selectOption('passport');
    await page.getByLabel('Document 1 issuing country').fill('UA');
    await page.getByLabel('Document 1 number').fill('FE 123456');

    // The session goes idle past its limit while the analyst is typing.
    const db = new Database(join(xb.home, 'cairn.db'));
    db.prepare("update sessions set last_seen_at = '2000-01-01T00:00:00.000Z'").run();
    db.close();

    const res = await submitSearch(page);
    expect(res.status()).toBe(401);
    expect(new URL(page.url()).pathname).toBe('/console/search');
    expect(await page.getByRole('status').textContent()).toMatch(/session expired.*nothing was submitted/i);
    expect(await page.locator('input[type=hidden][name^="resume.f."]').count()).toBeGreaterThan(10);
    await shot(page, '10-expired-session-sign-in');
    const expired = new Database(join(xb.home, 'cairn.db'), { readonly: true });
    expect((expired.prepare('select count(*) as n from searches where case_reference = ?').get('BOR-EXPIRED-9') as { n: number }).n).toBe(0);
    expired.close();

    await page.getByLabel('API token').fill(xb.tokens.analyst);
    await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    expect(await page.getByRole('status').first().textContent()).toMatch(/signed in again.*nothing has been sent yet/i);
    expect(await page.getByLabel('Purpose').inputValue()).toBe('missing_child_tracing');
    expect(await page.getByLabel('Legal basis').inputValue()).toBe(LEGAL);
    expect(await page.getByLabel('Case reference').inputValue()).toBe('BOR-EXPIRED-9');
    expect(await page.getByLabel('Given name 1').inputValue()).toBe('Олена');
    expect(await page.getByLabel('Other names 1').inputValue()).toBe('Lena\nOlenka');
    expect(await page.getByLabel('Precision').inputValue()).toBe('day');
    expect(await page.getByLabel('Phone 1', { exact: true }).inputValue()).toBe('+380 50 123 4567');
    expect(await page.getByLabel('Document 1 type').inputValue()).toBe('passport');
    expect(await page.getByLabel('Document 1 number').inputValue()).toBe('FE 123456');
    await shot(page, '11-expired-session-form-kept');

    await submitSearch(page);
    expect(new URL(page.url()).pathname).toMatch(/^\/console\/searches\/s_/);
    expect(await page.locator('dl.box').textContent()).toContain('BOR-EXPIRED-9');
    expect(await peerSection(page, 'XA').locator('.receipt').textContent()).toContain('XA-MC-1');
    await page.close();
  });

  it('lists every record a peer confirmed, one row each, strongest first', async () => {
    // Two records of one person at XA: one with the passport searched for (strong), one by name and date of birth only (probable).
    const person = { names: [{ given: 'Dawit', family: 'Tesfaye' }], dateOfBirth: { precision: 'day', date: '2012-07-21' } };
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [record('XA-UM-31', 'unaccompanied_minor', person), record('XA-MC-30', 'missing_child', { ...person, documents: [{ type: 'passport', issuingCountry: 'ER', number: 'P0923817' }] })],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.analyst);
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-2026-0101' });
    await page.getByLabel('Given name 1').fill('Dawit');
    await page.getByLabel('Family name 1').fill('Tesfaye');
    await page.getByLabel('Date of birth', { exact: true }).fill('2012-07-21');
    await page.getByLabel('Document 1 type').selectOption('passport');
    await page.getByLabel('Document 1 issuing country').fill('ER');
    await page.getByLabel('Document 1 number').fill('P0923817');
    await submitSearch(page);
    expect(await peerSection(page, 'XA').locator('.badge.strong').count()).toBe(1);
    const rows = await recordRows(page);
    expect(rows.map((row) => row.slice(0, 7))).toEqual([
      ['XA · Arcadia child protection', 'XA-MC-30', 'missing child', 'Missing children unit', 'desk-XA-MC-30@police.example', 'strong', 'Identity document'],
      ['XA · Arcadia child protection', 'XA-UM-31', 'unaccompanied minor', 'Missing children unit', 'desk-XA-UM-31@police.example', 'probable', 'Name and exact date of birth'],
    ]);
    for (const row of rows) expect(row[7]).toMatch(UTC_TIME);
    expect(await page.locator('section.records caption').textContent()).toMatch(/^2 records confirmed/);
    const found = (await page.locator('section.records').textContent())!;
    for (const raw of ['Dawit', 'Tesfaye', '2012-07-21', 'P0923817']) expect(found).not.toContain(raw);
    await shot(page, '12-search-records-found');
    await page.close();
  });

  it('says how many records under a confirmed key the peer holds beyond the 20 one confirmation discloses', async () => {
    const passport = { type: 'passport', issuingCountry: 'ER', number: 'P2222222' };
    const many = Array.from({ length: 22 }, (_, i) => record(`XA-MC-4${String(i).padStart(2, '0')}`, 'missing_child', { names: [{ given: 'Selam', family: 'Haile' }], documents: [passport] }));
    expect((await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: many })).status).toBe(200);
    const page = await (await newContext(browser)).newPage();
    await signIn(page, xb.url, xb.tokens.analyst);
    await fillContext(page, { purpose: 'missing_child_tracing', legalBasis: LEGAL, caseReference: 'BOR-2026-0102' });
    await page.getByLabel('Document 1 type').selectOption('passport');
    await page.getByLabel('Document 1 issuing country').fill('ER');
    await page.getByLabel('Document 1 number').fill('P2222222');
    await submitSearch(page);
    expect(await page.locator('section.records caption').textContent()).toMatch(/^20 records confirmed/);
    expect((await page.locator('section.records p.notice').textContent())!.trim()).toBe(
      'XA holds 2 more records under the same key than one confirmation discloses (at most 20): ask its contact point for the rest.',
    );
    await page.close();
  });
});
