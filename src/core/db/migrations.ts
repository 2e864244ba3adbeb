/**
 * Migrations as a static registry (no file-system scanning), so the same list
 * runs under kysely's Migrator on Node and on Workers. Names sort in the order
 * they apply. Never edit a migration that has shipped: add a new one.
 */
import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { CairnError } from '../errors.js';

export const migrations: Record<string, Migration> = {
  '0001_meta': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
};

/**
 * Apply every pending migration. `transactional` is false on D1, which has
 * no interactive transactions; each migration there is idempotent DDL.
 */
export async function migrateToLatest(db: Kysely<any>, opts: { transactional?: boolean } = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    disableTransactions: opts.transactional === false,
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    throw new CairnError('internal', `database migration ${failed?.migrationName ?? ''} failed`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
