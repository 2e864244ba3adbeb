/**
 * Browser helpers for the console's end-to-end tests: playwright-core
 * driving Debian's chromium (installed by .ci/run), screenshots under
 * test-results/console/, and signing in the way a user does.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './cli.js';

/** Debian's chromium; override with CHROMIUM_PATH. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results/console');

/** One headless chromium per test file. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** A fresh context (own cookies) with a desktop viewport. */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'en-GB' });
  // Pages here answer in milliseconds; fail fast rather than at the 30 s default.
  ctx.setDefaultTimeout(15_000);
  return ctx;
}

/** Save a full-page screenshot as test-results/console/<name>.png. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Sign in at /console/login with an API token; waits for the landing page. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByLabel('API token').fill(token);
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/console/login')), page.getByRole('button', { name: 'Sign in' }).click()]);
}

/** Turn off the browser's own required-field checks, to see what the server says. */
export async function skipBrowserValidation(page: Page): Promise<void> {
  await page.evaluate(() => {
    for (const f of Array.from(document.forms)) f.noValidate = true;
  });
}
