/**
 * Bulk import over HTTP: `cairn import FILE --node URL` against a real
 * serving node (child process). Chunks are idempotent, an import resumes
 * where it stopped, CSV is converted on the client, and only operators may
 * import this way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cairn, freePort, initNode, serveNode, tempDir } from './helpers/cli.js';

const letters = (i: number): string => (i < 26 ? '' : letters(Math.floor(i / 26) - 1)) + String.fromCharCode(97 + (i % 26));

function recordLine(i: number): string {
  return JSON.stringify({
    ref: `HT-${i}`,
    category: 'missing_child',
    owningUnit: 'Unit 3',
    contactPoint: 'desk@unit3.example',
    recordDate: '2026-01-01',
    retentionUntil: '2036-01-01',
    identifiers: { names: [{ given: 'Mira', family: `Importova${letters(i)}` }], dateOfBirth: { precision: 'day', date: '2014-05-06' } },
  });
}

describe('cairn import --node (bulk import over HTTP)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('imports through a serving node in idempotent chunks, resumes where it stopped, and keeps answering', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'HU', port);
    const node = await serveNode(t.dir, { port });
    cleanups.push(node.stop);
    const operator = JSON.parse(cairn(['users', 'add', '--home', t.dir, '--role', 'operator', '--name', 'Ops', '--json']).stdout).token as string;
    const analyst = JSON.parse(cairn(['users', 'add', '--home', t.dir, '--role', 'analyst', '--name', 'An', '--json']).stdout).token as string;
    const api = (method: string, path: string, token: string, body?: string) =>
      fetch(`${node.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/x-ndjson' } : {}) }, ...(body !== undefined ? { body } : {}) });

    // 600 good rows and two bad ones: a row that is not JSON (refused by the client), a record
    // with a bad category (refused by the node): 601 records in chunks of 200, 200, 200, 1.
    const good = Array.from({ length: 600 }, (_, i) => recordLine(i));
    const file = join(t.dir, 'records.ndjson');
    const bad = JSON.stringify({ ...JSON.parse(good[0]!), ref: 'HT-bad', category: 'unknown_kind' });
    writeFileSync(file, `${good.slice(0, 300).join('\n')}\n{not json\n${bad}\n${good.slice(300).join('\n')}\n`);

    // An earlier, interrupted run applied chunk 0 (the client's first 200 records, exactly as it sends them).
    const importId = 'resume-test-0001';
    const chunk0 = `${good.slice(0, 200).join('\n')}\n`;
    const first = await api('PUT', `/v1/imports/${importId}/chunks/0`, operator, chunk0);
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({ seq: 0, rows: 200, imported: 200, replayed: false });
    // Resent: acknowledged, not applied twice.
    expect(await (await api('PUT', `/v1/imports/${importId}/chunks/0`, operator, chunk0)).json()).toMatchObject({ imported: 200, replayed: true });
    // The same seq with other content is a conflict.
    const conflict = await api('PUT', `/v1/imports/${importId}/chunks/0`, operator, `${good.slice(1, 201).join('\n')}\n`);
    expect(conflict.status).toBe(409);
    expect((await conflict.json()).code).toBe('import_conflict');
    expect(await (await api('GET', `/v1/imports/${importId}`, operator)).json()).toMatchObject({ chunks: 1, nextSeq: 1, imported: 200, completed: false });
    // Analysts may not bulk-import; a chunk must be NDJSON.
    expect((await api('PUT', `/v1/imports/${importId}/chunks/1`, analyst, chunk0)).status).toBe(403);
    const wrongType = await fetch(`${node.url}/v1/imports/${importId}/chunks/1`, { method: 'PUT', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: '{}' });
    expect(wrongType.status).toBe(415);

    // The CLI resumes at chunk 1 while the node keeps answering.
    const health = (async () => {
      let ok = 0;
      for (let i = 0; i < 10; i++) if ((await fetch(`${node.url}/healthz`)).ok) ok++;
      return ok;
    })();
    const r = cairn(['import', file, '--node', node.url, '--batch', '200', '--import-id', importId, '--json'], { env: { CAIRN_TOKEN: operator } });
    expect(await health).toBe(10);
    expect(r.status, r.stderr).toBe(3);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ importId, rows: 602, imported: 600, rejected: 2, chunksSkipped: 1, chunksSent: 3 });
    const rejects = readFileSync(s.rejectsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // Rows are the file's lines, not the chunk's.
    expect(rejects.map((e: { row: number }) => e.row).sort()).toEqual([301, 302]);
    expect(JSON.stringify(rejects)).not.toContain('Importova');
    expect(await (await api('GET', `/v1/imports/${importId}`, operator)).json()).toMatchObject({ nextSeq: 4, imported: 600, rejected: 1, completed: true });
    const stats = await (await api('GET', '/v1/records/stats', analyst)).json();
    expect(stats.records).toBe(600);
    // A completed import takes no new chunk.
    expect((await api('PUT', `/v1/imports/${importId}/chunks/7`, operator, chunk0)).status).toBe(409);

    // Without a token: a usage error that says where the token comes from.
    const noToken = cairn(['import', file, '--node', node.url]);
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain('CAIRN_TOKEN');
  }, 240_000);

  it('converts CSV on the client, and a second run of the same command stores nothing again', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'SI', port);
    const node = await serveNode(t.dir, { port });
    cleanups.push(node.stop);
    const operator = JSON.parse(cairn(['users', 'add', '--home', t.dir, '--role', 'operator', '--name', 'Ops', '--json']).stdout).token as string;
    const file = join(t.dir, 'records.csv');
    writeFileSync(
      file,
      'ref,category,owning_unit,contact_point,record_date,retention_until,given_name,family_name,date_of_birth\n' +
        'SI-1,missing_child,Unit 1,desk@si.example,2026-01-01,2036-01-01,Olena,Shevchenko,2013-04-12\n' +
        'SI-2,suspect,Unit 1,desk@si.example,2026-01-01,2036-01-01,Marko,"Novak",1980\n' +
        'SI-3,suspect,Unit 1,desk@si.example,2026-01-01,2036-01-01,Ana,Kovač,not-a-date\n',
    );
    const r = cairn(['import', file, '--node', node.url, '--token', operator, '--json']);
    expect(r.status, r.stderr).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ rows: 3, imported: 2, rejected: 1 });
    const again = cairn(['import', file, '--node', node.url, '--token', operator, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ chunksSent: 0, chunksSkipped: 1, imported: 2 });
  }, 180_000);
});
