/**
 * kysely-d1's dialect, fitted for kysely's Migrator on D1.
 *
 * Introspection: kysely's SqliteIntrospector runs `pragma_table_info` over every table in
 * sqlite_master. D1 keeps internal tables there (`_cf_KV`, …) and refuses any
 * statement that names them ("SQL identifier matches reserved _cf_ prefix",
 * SQLITE_AUTH), so kysely's Migrator, which introspects to find its own
 * tables, fails on D1. This introspector answers the same question for every
 * table except those.
 *
 * Migration lock: kysely's SqliteAdapter takes no lock (one SQLite
 * connection is exclusive), but every Workers isolate is a separate client
 * of the same D1 database, and a fresh deployment starts several at once.
 * The lock here is a lease in kysely's own lock row: `is_locked` holds the
 * lease's expiry (ms since the epoch; 0 when free), taken by one conditional
 * UPDATE, so an isolate that dies while migrating blocks the others for at
 * most LEASE_MS.
 */
import { SqliteAdapter, sql, type DatabaseIntrospector, type MigrationLockOptions, type DatabaseMetadata, type DatabaseMetadataOptions, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';
import { D1Dialect } from 'kysely-d1';

const KYSELY_TABLES = ['kysely_migration', 'kysely_migration_lock'];

interface ColumnRow {
  table: string;
  type: string;
  cid: number | null;
  name: string | null;
  coltype: string | null;
  notnull: number | null;
  dflt_value: unknown;
  pk: number | null;
}

/** Tables and columns of a D1 database, without D1's reserved `_cf_*` tables. */
export class D1Introspector implements DatabaseIntrospector {
  constructor(private readonly db: Kysely<unknown>) {}

  async getSchemas(): Promise<SchemaMetadata[]> {
    return []; // SQLite has no schemas
  }

  async getTables(options: DatabaseMetadataOptions = { withInternalKyselyTables: false }): Promise<TableMetadata[]> {
    // GLOB, not LIKE: `_` is a wildcard in LIKE.
    const { rows } = await sql<ColumnRow>`
      select m.name as "table", m.type as type, p.cid as cid, p.name as name, p.type as coltype, p."notnull" as "notnull", p.dflt_value as dflt_value, p.pk as pk
      from sqlite_master m left join pragma_table_info(m.name) p
      where m.type in ('table', 'view') and m.name not glob 'sqlite_*' and m.name not glob '_cf_*'
      order by m.name, p.cid`.execute(this.db);
    const tables = new Map<string, TableMetadata & { columns: TableMetadata['columns'][number][] }>();
    for (const r of rows) {
      if (!options.withInternalKyselyTables && KYSELY_TABLES.includes(r.table)) continue;
      let t = tables.get(r.table);
      if (!t) tables.set(r.table, (t = { name: r.table, isView: r.type === 'view', columns: [] }));
      if (r.name === null) continue;
      const integerPk = r.pk === 1 && r.coltype?.toLowerCase() === 'integer';
      t.columns.push({ name: r.name, dataType: r.coltype ?? '', isNullable: !r.notnull, isAutoIncrementing: integerPk, hasDefaultValue: r.dflt_value != null });
    }
    return [...tables.values()];
  }

  async getMetadata(options?: DatabaseMetadataOptions): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

/** How long a migration lease lasts, and how long an isolate waits for one. */
const LEASE_MS = 60_000;
const WAIT_MS = 90_000;

/** SqliteAdapter with a migration lock that holds across isolates. */
export class D1Adapter extends SqliteAdapter {
  #lease = 0;

  override async acquireMigrationLock(db: Kysely<any>, opt: MigrationLockOptions): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const now = Date.now();
      const lease = now + LEASE_MS;
      const r = await sql`update ${sql.table(opt.lockTable)} set is_locked = ${lease} where id = ${opt.lockRowId} and is_locked < ${now}`.execute(db);
      if (Number(r.numAffectedRows ?? 0n) === 1) {
        this.#lease = lease;
        return;
      }
      if (now > deadline) throw new Error(`the D1 migration lock is still held after ${WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  override async releaseMigrationLock(db: Kysely<any>, opt: MigrationLockOptions): Promise<void> {
    // Only our own lease: if it ran out and another isolate took the lock, leave theirs.
    await sql`update ${sql.table(opt.lockTable)} set is_locked = 0 where id = ${opt.lockRowId} and is_locked = ${this.#lease}`.execute(db);
  }
}

/** D1Dialect whose introspector and migration lock work on D1 (see above). */
export class CairnD1Dialect extends D1Dialect {
  override createAdapter(): D1Adapter {
    return new D1Adapter();
  }

  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new D1Introspector(db);
  }
}
