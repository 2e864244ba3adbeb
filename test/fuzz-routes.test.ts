/**
 * No input gets a 5xx. A live node (a real `cairn serve` process) is sent
 * random bytes, headers and path parameters on every route its
 * /openapi.json lists, with fast-check: a fixed seed (printed by fast-check
 * on failure, with the shrunk request) and a bounded number of requests.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFederation, type FedNode } from '../scripts/lib/federation.js';
import { freePort, tempDir } from './helpers/cli.js';

const SEED = 20261201;
const RUNS = 300;

describe('no 5xx from any input', () => {
  const t = tempDir('cairn-fuzz-');
  let xa: FedNode;
  let routes: { method: string; path: string }[] = [];

  beforeAll(async () => {
    [xa] = (await startFederation(t.dir, [{ country: 'XA', name: 'A', port: await freePort() }], {})) as [FedNode];
    const doc = (await (await fetch(`${xa.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
    expect(routes.length).toBeGreaterThan(20);
  }, 300_000);
  afterAll(async () => {
    await xa?.stop();
    t.cleanup();
  });

  async function send(method: string, path: string, headers: Record<string, string>, body: Uint8Array | undefined) {
    const res = await fetch(`${xa.url}${path}`, { method, headers, ...(body && method !== 'GET' && method !== 'HEAD' ? { body: body as Uint8Array<ArrayBuffer> } : {}) });
    const text = await res.text();
    return { status: res.status, text };
  }

  it('answers malformed percent-encodings and invalid UTF-8 with 400 problems', async () => {
    const auth = { authorization: `Bearer ${xa.tokens.analyst}` };
    for (const p of ['/v1/records/%25', '/v1/records/%E0%A4%A', '/v1/records/%ZZ', '/v1/records/a%']) {
      const r = await send('DELETE', p, auth, undefined);
      expect([p, r.status]).toEqual([p, p === '/v1/records/%25' ? 404 : 400]);
    }
    const r = await send('POST', '/v1/records', { ...auth, 'content-type': 'application/json' }, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect([r.status, JSON.parse(r.text).code]).toEqual([400, 'malformed_json']);
    // I-JSON: a member named twice (readers differ on which wins) and an escaped lone surrogate are refused too, with the position.
    for (const [text, position] of [
      ['{"records":[],"records":[{"ref":"x"}]}', 14],
      ['{"records":[{"ref":"R\\ud800"}]}', 21],
    ] as const) {
      const d = await send('POST', '/v1/records', { ...auth, 'content-type': 'application/json' }, new TextEncoder().encode(text));
      expect([d.status, JSON.parse(d.text).code, JSON.parse(d.text).position]).toEqual([400, 'malformed_json', position]);
    }
  });

  it(`${RUNS} random requests to every route in /openapi.json: never a 5xx`, async () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom('%', '%2', '%ZZ', '%E0%A4%A', '%C3%28', '%00', '..', '%2e%2e', 'XA', 'x'.repeat(300)),
      fc.uint8Array({ maxLength: 8 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, '0')}`).join('')),
    );
    const request = fc.record({
      route: fc.constantFrom(...routes),
      params: fc.array(segment, { minLength: 4, maxLength: 4 }),
      query: fc.option(fc.string({ maxLength: 40 }).map((q) => `?${q.replace(/#/g, '')}`), { nil: '' }),
      token: fc.constantFrom<string | undefined>(undefined, 'analyst', 'dpo', 'operator', 'bogus'),
      contentType: fc.constantFrom<string | undefined>(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '\u00e9'),
      body: fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.json({ maxDepth: 3 }).map((j) => new TextEncoder().encode(j)), fc.constant(new Uint8Array([0x22, 0xc3, 0x28, 0x22]))),
      extra: fc.dictionary(fc.constantFrom('cairn-signature', 'cairn-signature-input', 'content-digest', 'x-request-id', 'cookie', 'origin', 'accept'), fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), { maxKeys: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(request, async (q) => {
        let i = 0;
        const path = q.route.path.replace(/\{[^}]+\}/g, () => q.params[i++ % q.params.length]!) + q.query;
        const headers: Record<string, string> = { ...q.extra };
        if (q.token === 'bogus') headers.authorization = 'Bearer cairn_not-a-token';
        else if (q.token) headers.authorization = `Bearer ${xa.tokens[q.token as 'analyst' | 'dpo' | 'operator']}`;
        if (q.contentType !== undefined && /^[\x20-\x7e]*$/.test(q.contentType)) headers['content-type'] = q.contentType;
        const r = await send(q.route.method, path, headers, q.body);
        if (r.status >= 500) throw new Error(`${q.route.method} ${path} -> ${r.status}: ${r.text.slice(0, 300)}`);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // The node is still serving.
    expect((await fetch(`${xa.url}/healthz`)).status).toBe(200);
  }, 300_000);
});
