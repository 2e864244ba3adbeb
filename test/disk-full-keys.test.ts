/**
 * Key files and a full disk, on a real small file system (a tmpfs: the
 * kernel's ENOSPC, SQLite's SQLITE_FULL). `cairn init` with room for only
 * some of its files (keys, database), `cairn keys rotate signing` and `keys rotate oprf`
 * whose key file fits but whose database step does not: each fails with a
 * clear message and leaves nothing behind (no key, no temporary file, no
 * half-made home), and the same command succeeds once space is freed.
 * A home left half-made by an init killed before this (keys, no
 * configuration) is refused with what happened and what to do.
 *
 * tmpfs counts whole 4 KiB pages: each key file and cairn.json takes one,
 * folders take none.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { isCairnError } from '../src/core/errors.js';
import { writeKeyFile } from '../src/node/keyfile.js';
import { cairn, tempDir } from './helpers/cli.js';
import { smallDisk, smallDiskSupport, type SmallDisk } from '../scripts/lib/small-disk.js';

if (smallDiskSupport !== undefined) console.warn(`disk-full key tests skipped: ${smallDiskSupport}`);

const PAGE = 4096;

const initArgs = (home: string) => ['init', '--home', home, '--country', 'DE', '--name', 'Disk test', '--url', 'https://cairn.example.de'];

function ok(args: string[]): string {
  const r = cairn(args);
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const signingFingerprint = (home: string): string => JSON.parse(ok(['keys', 'show', '--home', home, '--json'])).signing.fingerprint;

describe.skipIf(smallDiskSupport !== undefined)('key files on a full disk', () => {
  let disk: SmallDisk | undefined;
  let held: BetterSqlite3.Database | undefined;
  afterEach(() => {
    held?.close();
    held = undefined;
    disk?.remove();
    disk = undefined;
  });

  /**
   * A home on a fresh small disk, initialised, with a user and its first
   * OPRF epoch written, and its database held open as a serving node holds
   * it: the -wal and -shm files stay, so a command can open the database
   * on the full disk and fails only where it must write. (With no other
   * connection, SQLite cannot even create the -shm on a full disk.)
   */
  function servedHome(): string {
    disk = smallDisk(4 * 1024 * 1024);
    const home = join(disk.dir, 'home');
    ok(initArgs(home));
    ok(['users', 'add', '--home', home, '--role', 'operator', '--name', 'Operator']);
    ok(['keys', 'status', '--home', home]);
    held = new BetterSqlite3(join(home, 'cairn.db'));
    held.prepare('select count(*) from users').get();
    return home;
  }

  it('init with room for only some of its files fails clearly, leaves no file, and succeeds once there is room', () => {
    // 2 MiB: a new database's migrations pass through its WAL before the
    // close folds them into the file, about 1.3 MiB at the peak.
    disk = smallDisk(2 * 1024 * 1024);
    const home = join(disk.dir, 'home');
    const failedAt = (pages: number): string | undefined => {
      disk!.free();
      disk!.fill(pages * PAGE);
      const r = cairn(initArgs(home));
      if (r.status === 0) return undefined;
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).not.toContain('unexpected error');
      expect(r.stderr).toContain(`error [storage_full]: cannot write the`);
      const file = /cannot write the [^/]*(\/\S+): the disk is full \(ENOSPC\), so nothing was written/.exec(r.stderr)?.[1];
      expect(file, r.stderr).toBeDefined();
      // The home folder init made is gone with everything in it: running init again is all it takes.
      expect(existsSync(home), `after failing at ${file} with ${pages} pages free`).toBe(false);
      expect(readdirSync(disk!.dir)).toEqual(['.filler']);
      return file!.slice(home.length + 1);
    };
    // No room at all, room for the signing key only, room for both keys but not the database.
    expect([0, 1, 2].map(failedAt)).toEqual(['keys/signing.key', 'keys/oprf.key', 'cairn.db']);
    // More room: the database's migrations stop half-way, then the database
    // is made but the configuration (last, so that a configuration always
    // has its database) finds no room, then all fits.
    const outcomes: (string | undefined)[] = [];
    for (let pages = 42; outcomes.at(-1) !== undefined || outcomes.length === 0; pages += 40) outcomes.push(failedAt(pages));
    expect(outcomes).toContain('cairn.db');
    expect(outcomes).toContain('cairn.json');
    expect(outcomes.indexOf('cairn.json')).toBeGreaterThan(outcomes.lastIndexOf('cairn.db'));
    expect(signingFingerprint(home)).toMatch(/^([0-9a-f]{4}:){15}[0-9a-f]{4}$/);
    expect(readdirSync(home).sort()).toEqual(['cairn.db', 'cairn.json', 'keys']);
    expect(readdirSync(join(home, 'keys')).sort()).toEqual(['oprf.key', 'signing.key']);
  });

  it('keys rotate signing leaves no new key when the key or the database write finds no room, and rotates once there is room', () => {
    const home = servedHome();
    const keys = join(home, 'keys');
    const before = signingFingerprint(home);
    const current = readFileSync(join(keys, 'signing.key'), 'utf8');

    // No room for the new key file.
    disk!.fill(0);
    const noKey = cairn(['keys', 'rotate', 'signing', '--home', home]);
    expect(noKey.status, noKey.stderr).toBe(1);
    expect(noKey.stderr).toContain(`error [storage_full]: cannot write the signing key file ${join(keys, 'signing.next.key')}: the disk is full`);
    expect(readdirSync(keys).sort()).toEqual(['oprf.key', 'signing.key']);

    // Room for the key file (one page), none for the database's WAL to grow: the key is written, then the unit fails.
    disk!.free();
    disk!.fill(PAGE);
    const noDb = cairn(['keys', 'rotate', 'signing', '--home', home]);
    expect(noDb.status, noDb.stderr).toBe(1);
    expect(noDb.stderr).toMatch(/full|no space/i);
    expect(readdirSync(keys).sort()).toEqual(['oprf.key', 'signing.key']);
    expect(readFileSync(join(keys, 'signing.key'), 'utf8')).toBe(current);
    // Nothing was rotated, and the home still opens on the full disk.
    const status = cairn(['keys', 'status', '--home', home, '--json']);
    expect(status.status, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)[0]).toMatchObject({ key: 'signing', fingerprint: before });
    expect(JSON.parse(status.stdout)[0].retiring).toBeUndefined();

    disk!.free();
    ok(['keys', 'rotate', 'signing', '--home', home]);
    expect(signingFingerprint(home)).not.toBe(before);
    expect(readdirSync(keys).sort()).toEqual(['oprf.key', 'signing.key', 'signing.previous.key']);
  });

  it('keys rotate oprf leaves no pending key when the key or the database write finds no room, and rotates once there is room', () => {
    const home = servedHome();
    const keys = join(home, 'keys');
    const epochs = () => JSON.parse(ok(['keys', 'epochs', '--home', home, '--json'])) as { active: { epoch: number }; pending?: { epoch: number } };

    disk!.fill(0);
    const noKey = cairn(['keys', 'rotate', 'oprf', '--home', home]);
    expect(noKey.status, noKey.stderr).toBe(1);
    expect(noKey.stderr).toContain(`error [storage_full]: cannot write the oprf (pending) key file ${join(keys, 'oprf.key.next')}: the disk is full`);
    expect(readdirSync(keys).sort()).toEqual(['oprf.key', 'signing.key']);

    disk!.free();
    disk!.fill(PAGE);
    const noDb = cairn(['keys', 'rotate', 'oprf', '--home', home]);
    expect(noDb.status, noDb.stderr).toBe(1);
    expect(noDb.stderr).toMatch(/full|no space/i);
    expect(readdirSync(keys).sort()).toEqual(['oprf.key', 'signing.key']);
    expect(epochs()).toMatchObject({ active: { epoch: 1 } });
    expect(epochs().pending).toBeUndefined();

    disk!.free();
    ok(['keys', 'rotate', 'oprf', '--home', home]);
    expect(epochs()).toMatchObject({ active: { epoch: 1 }, pending: { epoch: 2 } });
    expect(readdirSync(keys).sort()).toEqual(['oprf.key', 'oprf.key.next', 'signing.key']);
  });

  it('a command that cannot even open the database on a full disk says so, and works once there is room', () => {
    disk = smallDisk(4 * 1024 * 1024);
    const home = join(disk.dir, 'home');
    ok(initArgs(home));
    ok(['users', 'add', '--home', home, '--role', 'operator', '--name', 'Operator']);
    // Closed cleanly, so no -shm is left: SQLite must create and grow one to open the WAL database.
    expect(readdirSync(home).filter((f) => f.endsWith('-shm'))).toEqual([]);
    disk.fill(0);
    const r = cairn(['records', 'stats', '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cairn: error [storage_full]: no space left on the disk (the home's database)");
    expect(r.stderr).not.toContain('unexpected error');
    disk.free();
    expect(JSON.parse(ok(['records', 'stats', '--home', home]))).toMatchObject({ records: 0 });
  });

  it('writeKeyFile on a full disk throws a clear error and leaves the folder as it was', () => {
    disk = smallDisk(256 * 1024);
    const folder = join(disk.dir, 'keys');
    const path = join(folder, 'test.key');
    const key = new Uint8Array(32).fill(7);
    disk.fill(0);
    let thrown: unknown;
    try {
      writeKeyFile(path, key, 'test');
    } catch (e) {
      thrown = e;
    }
    expect(isCairnError(thrown, 'unavailable'), String(thrown)).toBe(true);
    expect((thrown as Error).message).toBe(`cannot write the test key file ${path}: the disk is full (ENOSPC), so nothing was written. Free some space and run the command again`);
    expect(readdirSync(folder)).toEqual([]);

    disk.free();
    writeKeyFile(path, key, 'test');
    expect(readFileSync(path, 'utf8')).toBe(`${'07'.repeat(32)}\n`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Never overwritten: the second write fails as before, and leaves no temporary file.
    expect(() => writeKeyFile(path, new Uint8Array(32).fill(9), 'test')).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(readFileSync(path, 'utf8')).toBe(`${'07'.repeat(32)}\n`);
    expect(readdirSync(folder)).toEqual(['test.key']);
  });
});

describe('a home left half-made by an interrupted init', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('is refused with what happened and what to do, and its keys are left alone', () => {
    const t = tempDir('cairn-half-init-');
    cleanup = t.cleanup;
    const keys = join(t.dir, 'keys');
    // What an init killed after its keys and before cairn.json left behind.
    mkdirSync(keys, { mode: 0o700 });
    writeFileSync(join(keys, 'signing.key'), `${'11'.repeat(32)}\n`, { mode: 0o600 });
    writeFileSync(join(keys, 'oprf.key'), `${'22'.repeat(32)}\n`, { mode: 0o600 });
    const r = cairn(initArgs(t.dir));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error [home_exists]: ${join(keys, 'signing.key')} already exists but ${join(t.dir, 'cairn.json')} does not`);
    expect(r.stderr).toContain('interrupted `cairn init`');
    expect(r.stderr).toContain(`delete ${keys} and run \`cairn init\` again`);
    expect(readdirSync(t.dir)).toEqual(['keys']);
    expect(readFileSync(join(keys, 'signing.key'), 'utf8')).toBe(`${'11'.repeat(32)}\n`);
    expect(readFileSync(join(keys, 'oprf.key'), 'utf8')).toBe(`${'22'.repeat(32)}\n`);
  });
});

describe('a configuration file left empty', () => {
  it('is refused with what probably happened and how to get it back', () => {
    const t = tempDir('cairn-empty-config-');
    try {
      expect(cairn(initArgs(t.dir)).status).toBe(0);
      writeFileSync(join(t.dir, 'cairn.json'), '');
      const r = cairn(['keys', 'show', '--home', t.dir]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`error [config_invalid]: ${join(t.dir, 'cairn.json')} is empty (a write to it was cut short, by a full disk or a crash?)`);
    } finally {
      t.cleanup();
    }
  });
});
