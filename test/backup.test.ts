/**
 * `cairn backup` and `cairn restore` with real child processes: a backup
 * taken while an import writes is consistent, restores into a fresh home,
 * and its audit log verifies; keys stay out unless asked for.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cairn, cleanEnv, freePort, initNode, ROOT, serveNode, tempDir } from './helpers/cli.js';

const mode = (f: string) => statSync(f).mode & 0o777;

/** A number spelled in letters (names hold no digits). */
const letters = (i: number): string => (i < 26 ? '' : letters(Math.floor(i / 26) - 1)) + String.fromCharCode(97 + (i % 26));

/** Synthetic NDJSON records (fictitious names). */
function writeRecords(file: string, n: number): void {
  const given = ['Ana', 'Boris', 'Chiara', 'Dmytro', 'Elif', 'Farid', 'Greta', 'Hugo'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        ref: `BK-${i}`,
        category: i % 2 ? 'missing_child' : 'suspect',
        owningUnit: 'Unit 7',
        contactPoint: 'desk@unit7.example',
        recordDate: '2026-01-01',
        retentionUntil: '2036-01-01',
        identifiers: { names: [{ given: given[i % given.length]!, family: `Backupova${letters(i)}` }], dateOfBirth: { precision: 'year', date: String(1990 + (i % 20)) } },
      }),
    );
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

function countRecords(db: string): number {
  const h = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
  try {
    return (h.prepare('select count(*) as n from records').get() as { n: number }).n;
  } catch {
    return 0; // not migrated yet
  } finally {
    h.close();
  }
}

describe('cairn backup and restore', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('backs up during a running import, restores into a fresh home, and the audit log verifies', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const home = join(t.dir, 'home');
    initNode(home, 'AT', 9);
    const file = join(t.dir, 'records.ndjson');
    writeRecords(file, 4000);
    const importer = spawn(process.execPath, [BIN, 'import', file, '--home', home, '--batch', '50'], {
      cwd: ROOT,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let importErr = '';
    importer.stderr.on('data', (d: Buffer) => (importErr += d.toString()));
    importer.stdout.resume();
    const importExit = new Promise<number | null>((r) => importer.once('exit', (code) => r(code)));
    cleanups.push(() => {
      if (importer.exitCode === null && importer.signalCode === null) importer.kill('SIGKILL');
    });
    const db = join(home, 'cairn.db');
    for (let i = 0; i < 1200 && !(existsSync(db) && countRecords(db) > 0); i++) await new Promise((r) => setTimeout(r, 50));
    expect(countRecords(db)).toBeGreaterThan(0);

    const dest = join(t.dir, 'backup');
    const b = cairn(['backup', dest, '--home', home, '--include-keys']);
    // The backup is taken while the import is still writing.
    const importRunningDuringBackup = importer.exitCode === null;
    expect(b.status, b.stderr).toBe(0);
    expect(b.stderr).toContain('PRIVATE signing and OPRF keys');
    expect(importRunningDuringBackup, 'the import finished before the backup: make the file larger').toBe(true);
    expect(mode(dest)).toBe(0o700);
    expect(mode(join(dest, 'keys'))).toBe(0o700);
    for (const f of ['cairn.db', 'cairn.json', 'backup.json', 'keys/signing.key', 'keys/oprf.key']) expect(mode(join(dest, f)), f).toBe(0o600);
    // A standalone database: nothing left in a WAL beside it.
    expect(existsSync(join(dest, 'cairn.db-wal'))).toBe(false);

    expect(await importExit, importErr).toBe(0);
    const backedUp = countRecords(join(dest, 'cairn.db'));
    expect(backedUp).toBeGreaterThan(0);
    expect(backedUp).toBeLessThanOrEqual(4000);

    const restored = join(t.dir, 'restored');
    const r = cairn(['restore', dest, '--home', restored]);
    expect(r.status, r.stderr).toBe(0);
    expect(mode(join(restored, 'cairn.db'))).toBe(0o600);
    expect(mode(join(restored, 'keys/oprf.key'))).toBe(0o600);
    expect(countRecords(join(restored, 'cairn.db'))).toBe(backedUp);
    const v = cairn(['audit', 'verify', '--home', restored]);
    expect(v.status, v.stdout + v.stderr).toBe(0);
    // The same keys: the restored node is the same node.
    expect(cairn(['keys', 'show', '--home', restored]).stdout).toBe(cairn(['keys', 'show', '--home', home]).stdout);

    // A non-empty home is not replaced without --force; with it, it is.
    const again = cairn(['restore', dest, '--home', home]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('home_exists');
    expect(again.stderr).toContain('--force');
    expect(countRecords(db)).toBe(4000);
    const forced = cairn(['restore', dest, '--home', home, '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(countRecords(db)).toBe(backedUp);
    expect(cairn(['audit', 'verify', '--home', home]).status).toBe(0);
  }, 300_000);

  it('leaves keys out by default, refuses to restore into a served home, and refuses a damaged backup', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const home = join(t.dir, 'home');
    const port = await freePort();
    initNode(home, 'CZ', port);
    const node = await serveNode(home, { port });
    cleanups.push(node.stop);
    const dest = join(t.dir, 'backup');
    // Online: the node keeps serving.
    const b = cairn(['backup', dest, '--home', home]);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toContain('keys were left out');
    expect(readdirSync(dest).sort()).toEqual(['backup.json', 'cairn.db', 'cairn.json']);
    expect((await fetch(`${node.url}/healthz`)).ok).toBe(true);
    // Into an existing folder with content: refused.
    expect(cairn(['backup', dest, '--home', home]).stderr).toContain('is not empty');

    const served = cairn(['restore', dest, '--home', home, '--force']);
    expect(served.status).toBe(1);
    expect(served.stderr).toContain('home_locked');
    expect(served.stderr).toContain(`process ${node.child.pid}`);

    const fresh = join(t.dir, 'fresh');
    const r = cairn(['restore', dest, '--home', fresh]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('holds no keys');

    const manifest = JSON.parse(readFileSync(join(dest, 'backup.json'), 'utf8'));
    writeFileSync(join(dest, 'cairn.json'), readFileSync(join(dest, 'cairn.json'), 'utf8').replace('CZ', 'SK'));
    const damaged = cairn(['restore', dest, '--home', join(t.dir, 'other')]);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toContain('backup_invalid');
    expect(damaged.stderr).toContain('cairn.json does not match its SHA-256');
    expect(manifest.includesKeys).toBe(false);
  }, 180_000);
});
