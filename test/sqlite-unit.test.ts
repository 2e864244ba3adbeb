/**
 * The background writer (src/node/sqlite-unit.ts) on a real SQLite file: a
 * unit runs on a worker thread's own connection in one transaction, returns
 * its RETURNING rows, rolls back whole on an error that keeps SQLite's code,
 * and while it holds the write lock the serving connection reads the state
 * before it and has its writes refused at once as busy.
 */
import { join } from 'node:path';
import { CompiledQuery } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { isDatabaseBusy } from '../src/core/errors.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { BUSY_TIMEOUT_MS, openSqlite } from '../src/node/sqlite.js';
import { backgroundAtomicWriter } from '../src/node/sqlite-unit.js';
import { tempDir } from './helpers/cli.js';

const q = (sql: string, ...parameters: unknown[]) => CompiledQuery.raw(sql, parameters);

describe('the background writer', () => {
  const t = tempDir('cairn-sqlite-unit-');
  afterAll(() => t.cleanup());

  function open(name: string) {
    const file = join(t.dir, name);
    const sqlite = openSqlite(file);
    sqlite.raw.exec('create table t (id integer primary key, v text unique, b blob)');
    return { sqlite, writer: backgroundAtomicWriter(file, sqlite.raw, sqliteAtomicWriter(sqlite.raw)) };
  }

  it('commits a unit on its own connection and returns its RETURNING rows', async () => {
    const { sqlite, writer } = open('ok.db');
    try {
      const rows = await writer.run([q('insert into t (v, b) values (?, ?)', 'a', new Uint8Array([1, 2, 3])), q('insert into t (v) values (?) returning id, v', 'b')]);
      expect(rows).toEqual([[], [{ id: 2, v: 'b' }]]);
      expect(sqlite.raw.prepare('select v, b from t order by id').all()).toEqual([
        { v: 'a', b: Buffer.from([1, 2, 3]) },
        { v: 'b', b: null },
      ]);
    } finally {
      await sqlite.close();
    }
  });

  it("rolls a failed unit back whole, keeps SQLite's error code, and gives the serving connection its busy timeout back", async () => {
    const { sqlite, writer } = open('fail.db');
    try {
      sqlite.raw.prepare("insert into t (v) values ('taken')").run();
      const failed = await writer.run([q("insert into t (v) values ('new')"), q("insert into t (v) values ('taken')")]).catch((e: unknown) => e);
      expect(failed).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE', message: expect.stringContaining('UNIQUE constraint failed: t.v') });
      expect(sqlite.raw.prepare('select v from t').all()).toEqual([{ v: 'taken' }]);
      expect(sqlite.raw.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    } finally {
      await sqlite.close();
    }
  });

  it('lets the serving connection read the state before the unit, and refuses its writes at once while the unit holds the lock', async () => {
    const { sqlite, writer } = open('busy.db');
    try {
      sqlite.raw.prepare("insert into t (v) values ('before')").run();
      // Millions of rows: long enough to be caught holding the lock.
      const unit = writer.run([q('with recursive c(x) as (select 1 union all select x + 1 from c limit 3000000) insert into t (v) select printf(\'r%d\', x) from c')]);
      let refused: unknown;
      let readDuring: unknown;
      let settled = false;
      void unit.finally(() => (settled = true));
      while (!settled && refused === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        try {
          sqlite.raw.prepare("insert into t (v) values ('during')").run();
          sqlite.raw.prepare("delete from t where v = 'during'").run(); // taken before the unit began: undo, and look again
        } catch (e) {
          refused = e;
          readDuring = sqlite.raw.prepare('select count(*) n from t').get();
        }
      }
      await unit;
      expect(isDatabaseBusy(refused)).toBe(true);
      expect(readDuring).toEqual({ n: 1 });
      expect(sqlite.raw.prepare('select count(*) n from t').get()).toEqual({ n: 3_000_001 });
      expect(sqlite.raw.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
    } finally {
      await sqlite.close();
    }
  }, 60_000);
});
