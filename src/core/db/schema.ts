/**
 * The database as the core sees it: table types for kysely. The same schema
 * runs on SQLite (better-sqlite3) and on Cloudflare D1.
 */
import type { Kysely } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  meta: MetaTable;
}

export type Db = Kysely<Database>;
