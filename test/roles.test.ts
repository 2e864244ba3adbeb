/**
 * One role table (schemas/api.ts) feeds /openapi.json's security
 * requirements, and every route's guard agrees with it: for each route the
 * document gives to local users, a token of each role is tried against the
 * app, and exactly the roles the document lists get past the guard.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolesOf, routes, type Role } from '../schemas/api.js';
import { addUser } from '../src/core/users/users.js';
import { systemClock, webRandom } from '../src/core/ports.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { memoryApp } from './helpers/app.js';

const ROLES: Role[] = ['analyst', 'dpo', 'operator'];

describe('the role table', () => {
  let m: Awaited<ReturnType<typeof memoryApp>>;
  const tokens = {} as Record<Role, string>;

  beforeAll(async () => {
    m = await memoryApp();
    const deps = { db: m.sqlite.db, atomic: sqliteAtomicWriter(m.sqlite.raw), clock: systemClock, random: webRandom };
    for (const role of ROLES) tokens[role] = (await addUser(deps, { name: role, role }, 'test')).token;
  });
  afterAll(() => m?.close());

  it("/openapi.json's security requirements are the table's roles", async () => {
    const doc = (await (await m.app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { security?: unknown }>> };
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method];
      const roles = rolesOf(r.access);
      expect([r.method, r.path, op?.security]).toEqual([r.method, r.path, r.access === 'public' ? [] : r.access === 'peer' ? [{ peerSignature: [] }] : [{ apiToken: roles }]]);
    }
    expect(doc.paths['/v1/records/stats']!.get!.security).toEqual([{ apiToken: ['analyst', 'dpo', 'operator'] }]);
  });

  it("every local route's guard admits exactly the roles of the table", async () => {
    const checked: string[] = [];
    for (const r of routes) {
      const roles = rolesOf(r.access);
      if (roles.length === 0) continue;
      // A concrete path; an empty JSON body: guards run before any validation.
      const path = r.path.replace(/\{[^}]+\}/g, 'x');
      for (const role of ROLES) {
        const res = await m.app.request(path, {
          method: r.method.toUpperCase(),
          headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
          ...(r.method === 'get' ? {} : { body: '{}' }),
        });
        const admitted = res.status !== 403 && res.status !== 401;
        expect([r.method, r.path, role, admitted]).toEqual([r.method, r.path, role, roles.includes(role)]);
      }
      checked.push(`${r.method} ${r.path}`);
    }
    expect(checked.length).toBeGreaterThan(15);
  });
});
