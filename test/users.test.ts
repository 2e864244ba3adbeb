/**
 * Local users and role checks, through the CLI and over real HTTP.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cairn, freePort, initNode, serveNode, tempDir, type ServedNode } from './helpers/cli.js';

function addUser(home: string, role: string, name: string): { id: string; token: string } {
  const r = cairn(['users', 'add', '--home', home, '--role', role, '--name', name, '--json']);
  if (r.status !== 0) throw new Error(r.stderr);
  const j = JSON.parse(r.stdout);
  return { id: j.user.id, token: j.token };
}

describe('users and roles', () => {
  let home: string;
  let node: ServedNode;
  let cleanup: () => void;
  let analyst: { id: string; token: string };
  let dpo: { id: string; token: string };
  let operator: { id: string; token: string };

  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    home = t.dir;
    const port = await freePort();
    initNode(home, 'AT', port);
    analyst = addUser(home, 'analyst', 'Ana Lyst');
    dpo = addUser(home, 'dpo', 'Dee Peo');
    operator = addUser(home, 'operator', 'Op Erator');
    node = await serveNode(home, { port });
  });
  afterAll(async () => {
    await node?.stop();
    cleanup?.();
  });

  it('prints a token once and stores only its hash', () => {
    expect(analyst.token).toMatch(/^cairn_[A-Za-z0-9_-]{43}$/);
    const db = new Database(join(home, 'cairn.db'), { readonly: true });
    const rows = db.prepare('select * from users').all() as { token_hash: Buffer }[];
    db.close();
    expect(rows).toHaveLength(3);
    for (const r of rows) expect(r.token_hash).toHaveLength(32);
    const text = cairn(['users', 'list', '--home', home]).stdout;
    expect(text).toContain('analyst');
    expect(text).not.toContain(analyst.token);
  });

  it('answers a missing or unknown token with 401 and a wrong role with 403', async () => {
    const none = await fetch(`${node.url}/v1/records/stats`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ code: 'unauthenticated', status: 401 });
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="cairn"');
    const bogus = await fetch(`${node.url}/v1/records/stats`, { headers: { authorization: 'Bearer cairn_nope' } });
    expect(bogus.status).toBe(401);
    expect(bogus.headers.get('www-authenticate')).toBe('Bearer realm="cairn", error="invalid_token"');
    const wrong = await fetch(`${node.url}/v1/users`, { headers: { authorization: `Bearer ${analyst.token}` } });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('needs operator') });
    const ok = await fetch(`${node.url}/v1/users`, { headers: { authorization: `Bearer ${operator.token}` } });
    expect(ok.status).toBe(200);
    expect((await ok.json()).users.map((u: { role: string }) => u.role).sort()).toEqual(['analyst', 'dpo', 'operator']);
    const imp = await fetch(`${node.url}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dpo.token}`, 'content-type': 'application/json' },
      body: '{"records":[]}',
    });
    expect(imp.status).toBe(403);
  });

  it('revokes a token so that it no longer authenticates', async () => {
    const temp = addUser(home, 'analyst', 'Temporary');
    const before = await fetch(`${node.url}/v1/records/stats`, { headers: { authorization: `Bearer ${temp.token}` } });
    expect(before.status).toBe(200);
    const r = cairn(['users', 'revoke', temp.id, '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    const after = await fetch(`${node.url}/v1/records/stats`, { headers: { authorization: `Bearer ${temp.token}` } });
    expect(after.status).toBe(401);
    expect(cairn(['users', 'revoke', temp.id, '--home', home]).stderr).toContain('already revoked');
    expect(cairn(['users', 'add', '--home', home, '--role', 'admin', '--name', 'x']).status).toBe(2);
  });

  it('reports malformed JSON with its position, and field errors by name', async () => {
    const h = { authorization: `Bearer ${analyst.token}`, 'content-type': 'application/json' };
    const bad = await fetch(`${node.url}/v1/records`, { method: 'POST', headers: h, body: '{"records": [1,]}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'malformed_json', position: 15, line: 1, column: 16 });
    const field = await fetch(`${node.url}/v1/records`, { method: 'POST', headers: h, body: '{"records": "x"}' });
    expect(field.status).toBe(400);
    expect(await field.json()).toMatchObject({ code: 'invalid_request', field: 'records' });
    const ct = await fetch(`${node.url}/v1/records`, { method: 'POST', headers: { authorization: h.authorization, 'content-type': 'text/plain' }, body: '{}' });
    expect(ct.status).toBe(415);
  });
});
