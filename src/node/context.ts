/**
 * Opening a node home for a command: configuration, keys, database
 * (migrated) and the atomic writer. `serve` and the admin commands share it.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AtomicWriter } from '../core/atomic.js';
import type { Config } from '../core/config.js';
import { migrateToLatest } from '../core/db/migrations.js';
import type { Db } from '../core/db/schema.js';
import { ReplicaStore } from '../core/federation/index/replica.js';
import type { SearchDeps } from '../core/federation/search.js';
import { silentLogger, systemClock, webRandom, type Clock, type Logger, type Random } from '../core/ports.js';
import { sqliteAtomicWriter } from './atomic.js';
import { createSodiumOprfClient } from './oprf/sodium-client.js';
import { nodeEd25519Verify } from './ed25519.js';
import { loadConfig, loadKeys, resolveIn, type NodeKeys } from './home.js';
import { openSqlite, type SqliteHandle } from './sqlite.js';

export interface NodeContext {
  home: string;
  config: Config;
  keys: NodeKeys;
  sqlite: SqliteHandle;
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  random: Random;
  /** Migrations applied by this open, if any. */
  migrated: string[];
  close(): Promise<void>;
}

/**
 * Search dependencies for commands that search peers in-process. The
 * command applies the deltas of the answers to the replicas in the shared
 * database; full syncs stay with the serving node.
 */
export async function searchDepsOf(ctx: NodeContext, logger: Logger = silentLogger): Promise<SearchDeps> {
  return {
    replicas: new ReplicaStore({ db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, logger }),
    oprf: await createSodiumOprfClient(),
    db: ctx.db,
    atomic: ctx.atomic,
    logger,
    signer: ctx.keys.signer,
    verify: nodeEd25519Verify,
    clock: ctx.clock,
    random: ctx.random,
    fetch,
    timeoutMs: ctx.config.federation.timeoutMs,
    maxResponseBytes: ctx.config.federation.maxResponseBytes,
  };
}

export async function openNodeContext(home: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeContext> {
  const config = loadConfig(home, env);
  const keys = loadKeys(home, config);
  const dbPath = resolveIn(home, config.storage.database);
  mkdirSync(dirname(dbPath), { recursive: true });
  const sqlite = openSqlite(dbPath);
  let migrated: string[];
  try {
    migrated = await migrateToLatest(sqlite.db);
  } catch (e) {
    await sqlite.close();
    throw e;
  }
  return {
    home,
    config,
    keys,
    sqlite,
    db: sqlite.db,
    atomic: sqliteAtomicWriter(sqlite.raw),
    clock: systemClock,
    random: webRandom,
    migrated,
    close: () => sqlite.close(),
  };
}
