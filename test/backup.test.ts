/**
 * `cairn backup` and `cairn restore` with real child processes: a backup
 * taken while an import writes is consistent, restores into a fresh home,
 * and its audit log verifies; keys stay out unless asked for.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
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

  /** The entries of a database's audit log. */
  const auditEntries = (db: string): number => {
    const h = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
    try {
      return (h.prepare('select count(*) as n from audit_entries').get() as { n: number }).n;
    } finally {
      h.close();
    }
  };
  const keysOf = (home: string) => JSON.parse(cairn(['keys', 'show', '--home', home, '--json']).stdout) as { signing: { keyId: string }; oprf: { keyId: string } };
  const ok = (argv: string[]) => {
    const r = cairn(argv);
    expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  it("refuses another node's backup, naming both nodes and their keys, unless --other-node; never one whose keys the home lacks", () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const [a, b] = [join(t.dir, 'A'), join(t.dir, 'B')];
    for (const [home, cc] of [[a, 'XA'], [b, 'XB']] as const) {
      initNode(home, cc, 9);
      ok(['users', 'add', '--home', home, '--role', 'dpo', '--name', `DPO ${cc}`]);
      ok(['keys', 'status', '--home', home]); // the first OPRF epoch, recorded as a node records it
    }
    const [ka, kb] = [keysOf(a), keysOf(b)];
    const config = (home: string) => JSON.parse(readFileSync(join(home, 'cairn.json'), 'utf8')) as { node: { id: string } };
    const [idA, idB] = [config(a).node.id, config(b).node.id];
    const withKeys = join(t.dir, 'b-keys');
    const noKeys = join(t.dir, 'b-nokeys');
    ok(['backup', withKeys, '--home', b, '--include-keys']);
    ok(['backup', noKeys, '--home', b]);
    const untouched = () => {
      expect(digest(join(a, 'cairn.db'))).toBe(aDb);
      expect(config(a).node.id).toBe(idA);
      expect(keysOf(a).signing.keyId).toBe(ka.signing.keyId);
      expect(readdirSync(a).filter((f) => f.includes('.replaced-'))).toEqual([]);
    };
    const aDb = digest(join(a, 'cairn.db'));

    // B's backup into A's home, --force or not: refused, naming both.
    for (const backup of [withKeys, noKeys]) {
      const r = cairn(['restore', backup, '--home', a, '--force']);
      expect(r.status, r.stdout).toBe(1);
      expect(r.stderr).toContain('error [home_exists]');
      expect(r.stderr).toContain(`is a backup of another node, so nothing was changed`);
      expect(r.stderr).toContain(`this home ${a} is node XA "Test node XA" (node id ${idA}; signing key id ${ka.signing.keyId}; OPRF key id ${ka.oprf.keyId})`);
      expect(r.stderr).toMatch(new RegExp(`the backup \\(of [^)]+\\) is node XB "Test node XB" \\(node id ${idB}; signing key id ${kb.signing.keyId}; OPRF key id ${kb.oprf.keyId}\\)`));
      expect(r.stderr).toContain('pass --other-node');
      untouched();
    }

    // Moving B here without B's keys: A's keys would stay, and B's database answers with B's OPRF key.
    const lacking = cairn(['restore', noKeys, '--home', a, '--force', '--other-node']);
    expect(lacking.status).toBe(1);
    expect(lacking.stderr).toContain(`error [key_invalid]: the backup's database answers with the OPRF key of epoch 1 (key id ${kb.oprf.keyId})`);
    expect(lacking.stderr).toContain(`(${join(a, 'keys/oprf.key')}) holds key id ${ka.oprf.keyId}`);
    expect(lacking.stderr).toContain('`cairn serve` would refuse to start');
    untouched();

    // With B's keys and --other-node: A's home becomes B, and everything of A is kept beside.
    const moved = ok(['restore', withKeys, '--home', a, '--force', '--other-node']);
    expect(moved.stdout).toContain(`it replaced node XA "Test node XA" (node id ${idA}`);
    const kept = moved.stdout.match(/kept (\S+) \(replaced\) as (\S+)/g)!.map((l) => /as (\S+)$/.exec(l)![1]!);
    expect(kept.map((f) => f.replace(/\.replaced-\d{8}T\d{6}Z$/, '')).sort()).toEqual([join(a, 'cairn.db'), join(a, 'cairn.json'), join(a, 'keys/oprf.key'), join(a, 'keys/signing.key')]);
    expect(digest(kept.find((f) => f.startsWith(join(a, 'cairn.db')))!)).toBe(aDb);
    expect(mode(kept.find((f) => f.startsWith(join(a, 'keys/signing.key')))!)).toBe(0o600);
    expect(keysOf(a)).toMatchObject({ signing: { keyId: kb.signing.keyId }, oprf: { keyId: kb.oprf.keyId } });
    expect(config(a).node.id).toBe(idB);
    ok(['keys', 'status', '--home', a]);
    ok(['audit', 'verify', '--home', a]);
  }, 180_000);

  it('says what restoring an older backup does to the audit log before it does it, and keeps the replaced database', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const home = join(t.dir, 'home');
    initNode(home, 'XR', 9);
    ok(['users', 'add', '--home', home, '--role', 'dpo', '--name', 'First']);
    const old = join(t.dir, 'old');
    ok(['backup', old, '--home', home]);
    const m = auditEntries(join(old, 'cairn.db'));
    for (const name of ['Second', 'Third', 'Fourth']) ok(['users', 'add', '--home', home, '--role', 'analyst', '--name', name]);
    const checkpoint = /\n(\d+)\n/.exec(ok(['audit', 'checkpoint', '--home', home]).stdout)![1]!;
    const n = auditEntries(join(home, 'cairn.db'));
    expect(n).toBeGreaterThan(m);
    const db = join(home, 'cairn.db');
    const before = digest(db);

    // Without --force: refused, with what it would replace.
    const ask = cairn(['restore', old, '--home', home]);
    expect(ask.status).toBe(1);
    expect(ask.stderr).toContain('error [home_exists]');
    expect(ask.stderr).toContain(`it would replace: the database ${db}, with ${n} audit entries`);
    expect(ask.stderr).toContain(`latest signed checkpoint at size ${checkpoint}`);
    expect(ask.stderr).toMatch(new RegExp(`with the backup's \\(of [^)]+\\): ${m} audit ${m === 1 ? 'entry' : 'entries'}`));
    expect(ask.stderr).toContain(`so the audit log goes back ${n - m} entries, from ${n} to ${m}`);
    expect(ask.stderr).toContain(`A checkpoint at size ${checkpoint} was signed: peers that witnessed it will raise a witness alert (a rollback) at their next check`);
    expect(digest(db)).toBe(before);

    // With --force: done, said again, and the replaced database kept whole beside it.
    const done = ok(['restore', old, '--home', home, '--force']);
    expect(done.stdout).toContain(`audit log: ${n} entries before, ${m} now`);
    expect(done.stderr).toContain(`warning: the audit log goes back ${n - m} entries`);
    const keptAs = new RegExp(`kept ${db} \\(replaced\\) as (\\S+)`).exec(done.stdout)![1]!;
    expect(keptAs).toMatch(/cairn\.db\.replaced-\d{8}T\d{6}Z$/);
    expect(auditEntries(keptAs)).toBe(n);
    expect(auditEntries(db)).toBe(m);
    ok(['audit', 'verify', '--home', home]);
  }, 180_000);
});
