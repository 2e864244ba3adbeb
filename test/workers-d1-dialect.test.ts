/**
 * The Workers entry's kysely fittings for D1, exercised on SQLite (what D1
 * is): the introspector skips D1's reserved `_cf_*` tables, and the lease
 * lock lets several clients (isolates) migrate one database at once.
 * The real D1 path runs in `npm run test:workers`.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteDialect, sql } from 'kysely';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, migrations } from '../src/core/db/migrations.js';
import { D1Adapter, D1Introspector } from '../src/workers/d1-dialect.js';
import { tempDir } from './helpers/cli.js';

/** A separate client of the same file, like one Workers isolate of a D1 database. */
function client(file: string, adapter: () => SqliteAdapter): Kysely<any> {
  class Dialect extends SqliteDialect {
    override createAdapter() {
      return adapter();
    }
    override createIntrospector(db: Kysely<any>) {
      return new D1Introspector(db);
    }
  }
  const raw = new BetterSqlite3(file);
  raw.pragma('busy_timeout = 5000');
  return new Kysely<any>({ dialect: new Dialect({ database: raw }) });
}

describe('D1 dialect fittings', () => {
  const dirs: { cleanup(): void }[] = [];
  const dbs: Kysely<any>[] = [];
  const open = (file: string, adapter: () => SqliteAdapter) => {
    const db = client(file, adapter);
    dbs.push(db);
    return db;
  };
  const fresh = () => {
    const t = tempDir('cairn-d1-');
    dirs.push(t);
    return join(t.dir, 'd1.sqlite');
  };
  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.destroy()));
    for (const d of dirs.splice(0)) d.cleanup();
  });

  it('introspects tables and columns without naming reserved _cf_ tables', async () => {
    const db = open(fresh(), () => new D1Adapter());
    await sql`create table _cf_KV (key text primary key, value blob)`.execute(db);
    await sql`create table peers (id integer primary key, name text not null, note text default 'x')`.execute(db);
    await sql`create view peer_names as select name from peers`.execute(db);
    const tables = await new D1Introspector(db).getTables();
    expect(tables.map((t) => t.name)).toEqual(['peer_names', 'peers']);
    const peers = tables.find((t) => t.name === 'peers')!;
    expect(peers.isView).toBe(false);
    expect(peers.columns).toEqual([
      { name: 'id', dataType: 'INTEGER', isNullable: true, isAutoIncrementing: true, hasDefaultValue: false },
      { name: 'name', dataType: 'TEXT', isNullable: false, isAutoIncrementing: false, hasDefaultValue: false },
      { name: 'note', dataType: 'TEXT', isNullable: true, isAutoIncrementing: false, hasDefaultValue: true },
    ]);
    expect(tables.find((t) => t.name === 'peer_names')!.isView).toBe(true);
  });

  it('lets several isolates migrate one database at once: each migration runs once, the lock ends free', async () => {
    const file = fresh();
    const isolates = [0, 1, 2].map(() => open(file, () => new D1Adapter()));
    const applied = await Promise.all(isolates.map((db) => migrateToLatest(db, { transactional: false })));
    expect(applied.flat().sort()).toEqual(Object.keys(migrations).sort());
    const rows = await isolates[0]!.selectFrom('kysely_migration').select('name').execute();
    expect(rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
    const lock = await isolates[0]!.selectFrom('kysely_migration_lock').selectAll().executeTakeFirstOrThrow();
    expect(lock.is_locked).toBe(0);
  });

  it('fails the same race without the lock (what the lease prevents)', async () => {
    const file = fresh();
    const isolates = [0, 1].map(() => open(file, () => new SqliteAdapter()));
    const outcomes = await Promise.allSettled(isolates.map((db) => migrateToLatest(db, { transactional: false })));
    expect(outcomes.some((o) => o.status === 'rejected')).toBe(true);
  });

  it('takes over a lease whose holder died', async () => {
    const file = fresh();
    const db = open(file, () => new D1Adapter());
    await migrateToLatest(db, { transactional: false });
    await db.updateTable('kysely_migration_lock').set({ is_locked: Date.now() - 1 }).execute();
    const late = open(file, () => new D1Adapter());
    await expect(migrateToLatest(late, { transactional: false })).resolves.toEqual([]);
    expect((await db.selectFrom('kysely_migration_lock').select('is_locked').executeTakeFirstOrThrow()).is_locked).toBe(0);
  });
});
