/**
 * The OpenAPI document is generated from schemas/api.ts; this keeps it and
 * the app's real routes the same set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryApp } from './helpers/app.js';

describe('OpenAPI 3.1 document', () => {
  let h: Awaited<ReturnType<typeof memoryApp>>;
  beforeAll(async () => {
    h = await memoryApp();
  });
  afterAll(() => h.close());

  it('lists every API route the app serves, and no route it does not', async () => {
    const doc = await (await h.app.request('/openapi.json')).json();
    const served = new Set(
      h.app.routes
        .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/console') && r.path !== '/*')
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)(\{[^}]*\})?/g, '{$1}')}`),
    );
    const documented = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
    expect([...served].filter((r) => !documented.has(r))).toEqual([]);
    expect([...documented].filter((r) => !served.has(r))).toEqual([]);
  });

  it('describes bodies, parameters, security and problems from the zod schemas', async () => {
    const doc = await (await h.app.request('/openapi.json')).json();
    const search = doc.paths['/v1/searches'].post;
    expect(search.security).toEqual([{ apiToken: ['analyst'] }]);
    expect(search.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/SearchRequest');
    expect(doc.components.schemas.SearchRequest.required).toEqual(expect.arrayContaining(['purpose', 'legalBasis', 'caseReference']));
    expect(search.responses['401'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    const entries = doc.paths['/v1/audit/entries'].get;
    expect(entries.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['from', 'to', 'type', 'purpose', 'caseReference', 'cursor', 'limit']));
    expect(doc.paths['/federation/v2/match'].post.security).toEqual([{ peerSignature: [] }]);
    expect(Object.keys(doc.paths['/federation/v2/match'].post.requestBody.content)).toEqual(['application/vnd.cairn.federation.v2+json']);
    expect(doc.paths['/v1/records/{ref}'].delete.parameters[0]).toMatchObject({ name: 'ref', in: 'path', required: true });
  });

  it('answers unknown routes, bad methods and oversized bodies with problems, in-process', async () => {
    const r = await h.app.request('/v1/nope');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    const big = await h.app.request('/v1/records', { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(2 * 1024 * 1024) }, body: 'x' });
    expect(big.status).toBe(413);
  });
});
