/**
 * Embedded SQLite through better-sqlite3 and kysely.
 */
import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import type { Database } from '../core/db/schema.js';

/** Mode of the database and its WAL and shared-memory files: tokens and audit entries are the node's alone. */
export const DATABASE_FILE_MODE = 0o600;

export interface SqliteHandle {
  db: Kysely<Database>;
  raw: BetterSqlite3.Database;
  /** PRAGMA data_version of this connection (Ports.dataVersion). */
  dataVersion: () => number;
  close(): Promise<void>;
}

/** The database file and the files SQLite keeps beside it in WAL mode. */
export const databaseFiles = (file: string): string[] => [file, `${file}-wal`, `${file}-shm`];

/** Bytes of the database file with the files beside it (a missing WAL counts 0). */
export function databaseBytes(file: string): number {
  let bytes = 0;
  for (const f of databaseFiles(file)) {
    try {
      bytes += statSync(f).size;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return bytes;
}

/**
 * Make the database files owner-only. SQLite gives the -wal and -shm files
 * the main file's mode, so a database created 0600 stays so; this also
 * fixes a database created earlier with the umask's 0644.
 */
function restrictModes(file: string): void {
  for (const f of databaseFiles(file)) {
    try {
      chmodSync(f, DATABASE_FILE_MODE);
    } catch (e) {
      // Missing (not created yet) is fine; not ours to chmod is the operator's call.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw e;
    }
  }
}

/** Statements kept per connection: kysely's queries are few texts, plus one per length of an `in (...)` list. */
export const STATEMENT_CACHE_SIZE = 512;

/**
 * The connection as kysely sees it, with prepared statements kept by their
 * SQL text. kysely prepares every query anew, and preparing (parsing and
 * planning the SQL) was a few percent of a search's CPU and of an answer's.
 * The least recently used statement goes when the cache is full. SQLite
 * re-prepares a kept statement itself after a schema change (a migration),
 * and a statement still iterating (a streamed query) is not handed out
 * again: a busy one is prepared afresh.
 */
export function statementCache(raw: BetterSqlite3.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const kept = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(sql: string) {
      let statement = kept.get(sql);
      if (statement !== undefined && !statement.busy) {
        kept.delete(sql); // most recently used goes last
        kept.set(sql, statement);
        return statement;
      }
      statement = raw.prepare(sql);
      if (!kept.has(sql)) {
        if (kept.size >= size) kept.delete(kept.keys().next().value!);
        kept.set(sql, statement);
      }
      return statement;
    },
  };
}

/** How long a statement waits for another connection's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Open (creating if needed, mode 0600) a SQLite file with WAL and foreign
 * keys. `readOnly`: open an existing file without writing a byte of it or
 * changing its mode or journal (a copy kept as evidence stays as it was).
 */
export function openSqlite(file: string, opts: { readOnly?: boolean } = {}): SqliteHandle {
  const readOnly = opts.readOnly === true;
  if (!readOnly && file !== ':memory:' && !existsSync(file)) closeSync(openSync(file, 'a', DATABASE_FILE_MODE));
  const raw = new BetterSqlite3(file, readOnly ? { readonly: true, fileMustExist: true } : {});
  if (!readOnly) {
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
  }
  raw.pragma('foreign_keys = ON');
  raw.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (!readOnly && file !== ':memory:') restrictModes(file);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statementCache(raw) }) });
  const version = raw.prepare('PRAGMA data_version').pluck();
  return {
    db,
    raw,
    dataVersion: () => version.get() as number,
    close: async () => {
      await db.destroy();
    },
  };
}
