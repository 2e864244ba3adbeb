/**
 * A node home's database, with the shipped CLI on real files: `cairn init`
 * creates and migrates it, and no other command ever makes one. A mistyped
 * or moved `storage.database` (in cairn.json or CAIRN_STORAGE_DATABASE) is
 * refused by every command and by `serve`, naming the path and where it came
 * from, and creating nothing; `init --new-database` is the one explicit way
 * to start an initialised node over with an empty database.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/core/db/migrations.js';
import { cairn, freePort, initNode, tempDir } from './helpers/cli.js';

/** The migrations a database has applied. */
function applied(file: string): string[] {
  const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((r) => r.name);
  } finally {
    db.close();
  }
}

describe('the database of a node home', () => {
  const t = tempDir('cairn-home-db-');
  afterAll(() => t.cleanup());

  it('is created and migrated by `cairn init`, which says where', () => {
    const home = join(t.dir, 'fresh');
    const r = initNode(home, 'XA', 9);
    expect(r.stdout).toContain(`database:     ${join(home, 'cairn.db')}`);
    expect(readdirSync(home).sort()).toEqual(['cairn.db', 'cairn.json', 'keys']);
    expect(applied(join(home, 'cairn.db'))).toEqual(Object.keys(migrations).sort());
  });

  it('puts the database where CAIRN_STORAGE_DATABASE says at init, where every later command looks', () => {
    const home = join(t.dir, 'elsewhere');
    const db = join(t.dir, 'elsewhere-db', 'node.db');
    const env = { CAIRN_STORAGE_DATABASE: db };
    const r = cairn(['init', '--home', home, '--country', 'XE', '--name', 'E', '--url', 'http://127.0.0.1:9'], { env });
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(db)).toBe(true);
    expect(existsSync(join(home, 'cairn.db'))).toBe(false);
    expect(cairn(['users', 'add', '--home', home, '--role', 'dpo', '--name', 'D'], { env }).status).toBe(0);
  });

  it('is refused by init when one is there without a configuration, and left alone', () => {
    const home = join(t.dir, 'stray');
    initNode(home, 'XS', 9);
    for (const f of ['cairn.json', 'keys/signing.key', 'keys/oprf.key']) rmSync(join(home, f));
    const before = readFileSync(join(home, 'cairn.db'));
    const r = cairn(['init', '--home', home, '--country', 'XS', '--name', 'S', '--url', 'http://127.0.0.1:9']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error [home_exists]: ${join(home, 'cairn.db')} already exists but ${join(home, 'cairn.json')} does not`);
    expect(readFileSync(join(home, 'cairn.db')).equals(before)).toBe(true);
    expect(existsSync(join(home, 'cairn.json'))).toBe(false);
  });

  it('is never created by another command: a mistyped storage.database in cairn.json is refused with the path and its source', async () => {
    const home = join(t.dir, 'typo');
    initNode(home, 'XT', 9);
    expect(cairn(['users', 'add', '--home', home, '--role', 'dpo', '--name', 'D']).status).toBe(0);
    const config = JSON.parse(readFileSync(join(home, 'cairn.json'), 'utf8'));
    writeFileSync(join(home, 'cairn.json'), JSON.stringify({ ...config, storage: { database: 'data/cairn.db' } }, null, 2));
    const missing = join(home, 'data/cairn.db');
    const before = readdirSync(home).sort();

    const verify = cairn(['audit', 'verify', '--home', home]);
    expect(verify.status, verify.stdout).toBe(1);
    expect(verify.stdout).not.toContain('audit log OK');
    expect(verify.stderr).toContain(`error [home_missing]: the database ${missing} does not exist, but ${home} is an initialised node home`);
    expect(verify.stderr).toContain(`storage.database is "data/cairn.db", from "storage.database" in ${join(home, 'cairn.json')}`);
    expect(verify.stderr).toContain('restore the last backup');
    expect(verify.stderr).toContain(`cairn init --new-database --home ${home}`);
    // Nothing made: no file, no folder.
    expect(existsSync(join(home, 'data'))).toBe(false);
    expect(readdirSync(home).sort()).toEqual(before);

    // `serve` refuses too, before it listens.
    const port = await freePort();
    const served = cairn(['serve', '--home', home, '--port', String(port)]);
    expect(served.status).toBe(1);
    expect(served.stderr).toContain(`the database ${missing} does not exist`);
    expect(existsSync(join(home, 'data'))).toBe(false);

    // `backup` too, before it makes its folder.
    const dest = join(t.dir, 'typo-backup');
    const backup = cairn(['backup', dest, '--home', home]);
    expect(backup.status).toBe(1);
    expect(backup.stderr).toContain(`the database ${missing} does not exist`);
    expect(existsSync(dest)).toBe(false);

    // Put right, the node is as it was (its user is still there).
    writeFileSync(join(home, 'cairn.json'), JSON.stringify(config, null, 2));
    expect(cairn(['users', 'list', '--home', home]).stdout).toContain('D');
  });

  it('names CAIRN_STORAGE_DATABASE when the path came from it', () => {
    const home = join(t.dir, 'env');
    initNode(home, 'XV', 9);
    const wrong = join(t.dir, 'no-such-folder', 'cairn.db');
    const r = cairn(['records', 'stats', '--home', home], { env: { CAIRN_STORAGE_DATABASE: wrong } });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the database ${wrong} does not exist`);
    expect(r.stderr).toContain(`storage.database is ${JSON.stringify(wrong)}, from CAIRN_STORAGE_DATABASE`);
    expect(existsSync(join(t.dir, 'no-such-folder'))).toBe(false);
  });

  it('starts over only on `init --new-database`, which refuses a home whose database exists', () => {
    const home = join(t.dir, 'lost');
    initNode(home, 'XL', 9);
    const keep = cairn(['init', '--new-database', '--home', home]);
    expect(keep.status).toBe(1);
    expect(keep.stderr).toContain('already exists; nothing was changed');
    const mixed = cairn(['init', '--new-database', '--home', home, '--country', 'XL']);
    expect(mixed.status).toBe(2);
    expect(mixed.stderr).toContain('--new-database takes no --country');

    renameSync(join(home, 'cairn.db'), join(t.dir, 'lost.db'));
    expect(cairn(['records', 'stats', '--home', home]).status).toBe(1);
    const r = cairn(['init', '--new-database', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`created a new, empty database for XL node`);
    expect(r.stderr).toContain('audit log starts over empty');
    expect(applied(join(home, 'cairn.db'))).toEqual(Object.keys(migrations).sort());
    const v = cairn(['audit', 'verify', '--home', home]);
    expect(v.status, v.stderr).toBe(0);
  });
});
