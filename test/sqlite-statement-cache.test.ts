/**
 * Prepared statements kept by SQL text (src/node/sqlite.ts statementCache)
 * on a real SQLite file: a query's text is prepared once, a schema change
 * does not leave a kept statement stale, a streamed query reuses it, and the
 * least recently used one goes when the cache is full.
 */
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { statementCache } from '../src/node/sqlite.js';
import { tempDir } from './helpers/cli.js';

interface Db {
  t: { id: number; name: string; extra?: string | null };
}

const open: BetterSqlite3.Database[] = [];
const dirs: (() => void)[] = [];
afterEach(() => {
  for (const raw of open.splice(0)) if (raw.open) raw.close();
  for (const cleanup of dirs.splice(0)) cleanup();
});

function setup(size?: number) {
  const { dir, cleanup } = tempDir();
  dirs.push(cleanup);
  const raw = new BetterSqlite3(join(dir, 'cache.sqlite'));
  open.push(raw);
  raw.exec('create table t (id integer primary key, name text not null)');
  const texts: string[] = [];
  const prepare = raw.prepare.bind(raw);
  raw.prepare = ((text: string) => {
    texts.push(text);
    return prepare(text);
  }) as typeof raw.prepare;
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: statementCache(raw, size) }) });
  return { raw, db, texts };
}

describe('statement cache', () => {
  it('prepares a query text once and reuses it with other parameters', async () => {
    const { db, texts } = setup();
    for (let i = 1; i <= 5; i++) await db.insertInto('t').values({ id: i, name: `n${i}` }).execute();
    for (let i = 1; i <= 5; i++) expect(await db.selectFrom('t').select('name').where('id', '=', i).executeTakeFirst()).toEqual({ name: `n${i}` });
    expect(texts.filter((t) => t.startsWith('insert'))).toHaveLength(1);
    expect(texts.filter((t) => t.startsWith('select'))).toHaveLength(1);
  });

  it('sees a schema change through a kept statement', async () => {
    const { raw, db } = setup();
    await db.insertInto('t').values({ id: 1, name: 'a' }).execute();
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ id: 1, name: 'a' }]);
    raw.exec("alter table t add column extra text default 'x'");
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([{ id: 1, name: 'a', extra: 'x' }]);
  });

  it('streams through a kept statement and reuses it afterwards', async () => {
    const { db, texts } = setup();
    for (let i = 1; i <= 3; i++) await db.insertInto('t').values({ id: i, name: `n${i}` }).execute();
    const query = db.selectFrom('t').select('id').orderBy('id');
    expect((await query.execute()).map((r) => r.id)).toEqual([1, 2, 3]);
    const streamed: number[] = [];
    for await (const row of query.stream()) streamed.push(row.id);
    expect(streamed).toEqual([1, 2, 3]);
    expect((await query.execute()).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(texts.filter((t) => t.startsWith('select'))).toHaveLength(1);
  });

  it('drops the least recently used statement when full', async () => {
    const { db, texts } = setup(2);
    const q = (i: number) => sql`select ${sql.lit(i)} as v`.execute(db);
    await q(1);
    await q(2);
    await q(1); // 1 is now the most recent
    await q(3); // evicts 2
    await q(1);
    expect(texts).toHaveLength(3);
    await q(2);
    expect(texts).toHaveLength(4);
  });
});
