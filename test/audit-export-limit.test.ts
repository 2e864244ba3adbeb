/**
 * An audit export over HTTP holds every entry its filter matches or none:
 * past the limit (100,000 over the API, 10,000 from the console's export
 * buttons) it is refused whole, with the limit and a time to split the
 * range at, and logs nothing; never a 200 that silently stops short. On a
 * real node home with 100,001 entries in its log, served over loopback.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, serve } from '../scripts/lib/federation.js';
import { appendStatement } from '../src/core/audit/entry.js';
import { openNodeContext } from '../src/node/context.js';
import { cleanEnv, freePort, initNode, tempDir } from './helpers/cli.js';

const ENTRIES = 100_001;
/** One filler entry every 10 s from this instant: 8,640 a day. */
const BASE = Date.parse('2026-03-01T00:00:00.000Z');
const atOf = (i: number) => new Date(BASE + i * 10_000);

describe('audit exports over HTTP and in the console', () => {
  const t = tempDir('cairn-export-limit-');
  const home = join(t.dir, 'node');
  let url: string;
  let dpo: string;
  let stop: () => Promise<void>;

  beforeAll(async () => {
    const port = await freePort();
    initNode(home, 'XL', port);
    dpo = addUser(home, 'dpo', 'Dana DPO');
    const ctx = await openNodeContext(home, cleanEnv());
    try {
      for (let start = 0; start < ENTRIES; start += 5000) {
        const end = Math.min(ENTRIES, start + 5000);
        await ctx.atomic.run(Array.from({ length: end - start }, (_, j) => appendStatement(ctx.db, { type: 'audit.read', actor: 'filler', data: { n: start + j } }, atOf(start + j))));
      }
    } finally {
      await ctx.close();
    }
    stop = (await serve(home, port)).stop;
    url = `http://127.0.0.1:${port}`;
  }, 300_000);
  afterAll(async () => {
    await stop?.();
    t.cleanup();
  });

  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${dpo}` }) => fetch(`${url}${path}`, { headers });
  const exportsLogged = async (): Promise<number> => {
    const r = await get('/v1/audit/entries?type=audit.export&limit=1000');
    return ((await r.json()) as { entries: unknown[] }).entries.length;
  };

  it('refuses an API export past 100,000 entries with the limit and where to split, and logs nothing', async () => {
    const before = await exportsLogged();
    const r = await get('/v1/audit/export?actor=filler');
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    const splitAt = atOf(100_000).toISOString();
    const p = (await r.json()) as { code: string; detail: string };
    expect(p.code).toBe('invalid_request');
    expect(p.detail).toContain('more than 100,000 entries match, the most one export holds; nothing was exported');
    expect(p.detail).toContain(`to=${splitAt} keeps the first 100,000 at most, and from=${splitAt} continues after them`);
    expect(await exportsLogged()).toBe(before);

    // Split where it says: two exports, every entry once.
    const first = await get(`/v1/audit/export?actor=filler&format=csv&to=${splitAt}`);
    expect(first.status).toBe(200);
    const lines = (await first.text()).trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 100_000);
    const rest = await get(`/v1/audit/export?actor=filler&from=${splitAt}`);
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as { entries: { data: { n: number } }[] }).entries.map((e) => e.data.n)).toEqual([100_000]);
    expect(await exportsLogged()).toBe(before + 2);
  }, 120_000);

  it("refuses a console export past the console's 10,000, on a page that says how to narrow it with the form's days", async () => {
    const login = await fetch(`${url}/console/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { origin: url, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: dpo }),
    });
    expect(login.status).toBe(303);
    const cookie = /cairn_console=[^;]+/.exec(login.headers.get('set-cookie') ?? '')![0];
    const page = async (path: string) => {
      const r = await get(path, { cookie });
      return { status: r.status, type: r.headers.get('content-type') ?? '', text: await r.text() };
    };

    // The log page says what an export holds; its buttons are plain links, so a refusal shows as a page.
    const log = await page('/console/audit/log?actor=filler');
    expect(log.status).toBe(200);
    expect(log.text).toContain('An export holds at most 10,000 entries');
    expect(log.text).not.toMatch(/href="\/console\/audit\/export[^"]*"\s+download/);

    const before = await exportsLogged();
    const refused = await page('/console/audit/export?format=csv&actor=filler');
    expect(refused.status).toBe(400);
    expect(refused.type).toContain('text/html');
    expect(refused.text).toContain('Export refused');
    expect(refused.text).toContain('This export would hold more than 10,000 entries, the most the console exports at once, so nothing was exported.');
    // The 10,001st entry is on March 2nd (10,000 × 10 s after midnight on the 1st).
    expect(refused.text).toContain('set To to 2026-03-01 or earlier for one export, and From to 2026-03-02 for the next.');
    expect(await exportsLogged()).toBe(before);

    const day = await page('/console/audit/export?format=csv&actor=filler&to=2026-03-01');
    expect(day.status).toBe(200);
    expect(day.text.trimEnd().split('\r\n')).toHaveLength(1 + 8640);
    expect(await exportsLogged()).toBe(before + 1);
  }, 120_000);
});
