/**
 * Embedded SQLite through better-sqlite3 and kysely.
 */
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from '../core/db/schema.js';

export interface SqliteHandle {
  db: Kysely<Database>;
  raw: BetterSqlite3.Database;
  close(): Promise<void>;
}

/** Open (creating if needed) a SQLite file with WAL and foreign keys. */
export function openSqlite(file: string): SqliteHandle {
  const raw = new BetterSqlite3(file);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('foreign_keys = ON');
  raw.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    db,
    raw,
    close: async () => {
      await db.destroy();
    },
  };
}
