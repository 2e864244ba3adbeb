/**
 * An upgrade rolled back: the database was migrated by a newer Cairn, and
 * the older program meets migrations it does not know. Every command and
 * `cairn serve` refuse it, saying what happened and what to do, and leave
 * the database as it was.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../src/core/db/migrations.js';
import { cairn, freePort, initNode, tempDir } from './helpers/cli.js';

describe('a database migrated by a newer version', () => {
  const t = tempDir('cairn-newer-db-');
  afterAll(() => t.cleanup());

  it('is refused by commands and by serve, naming the migration and what to do, and left as it was', async () => {
    const home = join(t.dir, 'home');
    expect(initNode(home, 'PL', await freePort()).status).toBe(0);
    expect(cairn(['records', 'stats', '--home', home]).status).toBe(0);
    const file = join(home, 'cairn.db');
    const db = new Database(file);
    db.prepare('insert into kysely_migration (name, timestamp) values (?, ?)').run('0099_from_the_future', '2027-06-01T00:00:00.000Z');
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = digest();
    const newest = Object.keys(migrations).sort().at(-1)!;

    for (const args of [['records', 'stats'], ['serve', '--port', String(await freePort())]]) {
      const r = cairn([...args, '--home', home]);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`cairn: error [database_newer]: the database was migrated by a newer version of Cairn: it has 0099_from_the_future, and this version knows migrations up to ${newest}`);
      expect(r.stderr).toContain('restore the backup taken before the upgrade');
    }
    expect(digest()).toBe(before);
  });
});
