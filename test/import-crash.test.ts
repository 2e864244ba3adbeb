/**
 * Crash safety: a real `cairn import` child process killed with SIGKILL in
 * the middle leaves no half-written record, and the same command completes
 * the import afterwards.
 */
import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticNdjson } from '../scripts/lib/synthetic-records.js';
import { BIN, cairn, cleanEnv, initNode, ROOT, tempDir } from './helpers/cli.js';

const N = 3000;

function counts(dbFile: string) {
  const d = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const tables = d.prepare("select name from sqlite_master where type='table' and name='records'").get();
    if (!tables) return { records: 0, bare: 0, imported: 0 };
    const records = (d.prepare('select count(*) n from records').get() as { n: number }).n;
    // A record without tokens would be a half-written one (every synthetic record has names and a DOB).
    const bare = (d.prepare('select count(*) n from records where id not in (select record_id from tokens)').get() as { n: number }).n;
    const audited = d.prepare("select entry from audit_entries where type = 'records.import'").all() as { entry: string }[];
    const imported = audited.reduce((s, e) => s + (JSON.parse(e.entry).data.importedRefs as string[]).length, 0);
    return { records, bare, imported };
  } finally {
    d.close();
  }
}

describe('import crash safety', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('survives SIGKILL mid-import and completes on the next run', async () => {
    const home = join(t.dir, 'node');
    initNode(home, 'GR', 9);
    const file = join(t.dir, 'records.ndjson');
    writeFileSync(file, [...syntheticNdjson(N, { seed: 7, prefix: 'GR' })].join(''));
    const dbFile = join(home, 'cairn.db');

    const child = spawn(process.execPath, [BIN, 'import', file, '--home', home, '--batch', '50', '--threads', '1'], { cwd: ROOT, env: cleanEnv(), stdio: 'ignore' });
    let seen = 0;
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        seen = counts(dbFile).records;
      } catch {
        continue; // not created yet
      }
      if (seen >= 200) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    const after = counts(dbFile);
    expect(after.records).toBeGreaterThanOrEqual(200);
    expect(after.records).toBeLessThan(N);
    expect(after.bare).toBe(0);
    // Every stored record is accounted for by a committed audit entry, and no entry claims more.
    expect(after.imported).toBe(after.records);

    const r = cairn(['import', file, '--home', home, '--threads', '1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.unchanged).toBe(after.records);
    expect(summary.imported).toBe(N - after.records);
    const done = counts(dbFile);
    expect(done).toEqual({ records: N, bare: 0, imported: N });
  });
});
