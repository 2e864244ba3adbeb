/**
 * Opening a node home for a command: configuration, keys, database
 * (migrated) and the atomic writer; and the Node ports handed to the
 * composition root (core/services.ts). `serve` and every CLI command share it.
 *
 * `cairn init` creates the database; opening a home never does. A missing
 * database file in a home whose keys exist is a mistyped or moved
 * `storage.database`, or a lost file: starting an empty one would bring the
 * node up under its old identity with an empty audit log, which its peers
 * could only read as a rewritten history.
 */
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AtomicWriter } from '../core/atomic.js';
import { envNameOf, type Config } from '../core/config.js';
import { CairnError } from '../core/errors.js';
import { migrateToLatest, requireMigrated } from '../core/db/migrations.js';
import type { Db } from '../core/db/schema.js';
import type { OprfEvaluator } from '../core/federation/answer.js';
import type { TokenBackend } from '../core/oprf/index.js';
import { createServices, type Services } from '../core/services.js';
import { silentLogger, systemClock, type Clock, type Logger, type Random } from '../core/ports.js';
import { createNodeFetch } from './peer-fetch.js';
import { nodeRandom } from './random.js';
import { sqliteAtomicWriter } from './atomic.js';
import { backgroundAtomicWriter } from './sqlite-unit.js';
import { createSodiumOprfClient } from './oprf/sodium-client.js';
import type { OprfClient } from '../core/federation/client.js';
import { nodeEd25519Verify } from './ed25519.js';
import { nodeSha256 } from './sha256.js';
import { CONFIG_FILE, createDatabase, loadConfig, loadKeys, resolveIn, type NodeKeys } from './home.js';
import { databaseFiles, openSqlite, type SqliteHandle } from './sqlite.js';
import { fileStorage } from './storage.js';
import { fileOprfKeyStore } from './oprf-keys.js';
import type { ClosableEvaluator } from '../core/keys/oprf-engines.js';
import { openSigningKeys, type NodeSigningKeys } from './signing-keys.js';

export interface NodeContext {
  home: string;
  config: Config;
  /** The keys; `keys.signer` is live: it follows `cairn keys rotate signing` (signingKeys.reload). */
  keys: NodeKeys;
  signingKeys: NodeSigningKeys;
  sqlite: SqliteHandle;
  db: Db;
  atomic: AtomicWriter;
  /** Units that rewrite whole tables, off the serving thread (sqlite-unit.ts). */
  bulkAtomic: AtomicWriter;
  clock: Clock;
  random: Random;
  /** Migrations applied by this open, if any. */
  migrated: string[];
  close(): Promise<void>;
}

/** Node fast paths and hooks a caller may wire in place of the portable defaults. */
export interface NodeServiceOptions {
  logger?: Logger;
  /** Import tokenisation (default: the portable path on this thread). */
  tokenBackend?: TokenBackend;
  /** Answers' blind evaluation (default: the portable path). */
  evaluator?: OprfEvaluator;
  /** The evaluator of another OPRF epoch's key (default: the portable path). */
  evaluatorFor?: (secretKey: Uint8Array, publicKey: Uint8Array) => Promise<ClosableEvaluator>;
  /** The import tokeniser of another OPRF epoch's key (default: the portable path). */
  tokenBackendFor?: (secretKey: Uint8Array) => Promise<TokenBackend>;
  /** Work a response need not wait for (default: awaited in line). */
  defer?: (task: Promise<void>) => void;
  /**
   * Blind our searches with libsodium (loading it costs about a second of
   * start-up, so only commands that search ask for it; otherwise noble).
   */
  searches?: boolean;
  /** Our searches' blinding and answer checks (default with `searches`: libsodium on this thread). */
  oprfClient?: OprfClient;
  /** Outgoing HTTP to peers (default: node:http with kept-alive sockets, src/node/peer-fetch.ts). */
  fetch?: typeof fetch;
}

/**
 * The node's services over this context, with the Node ports: SQLite,
 * Ed25519 verification on OpenSSL, libsodium blinding when asked for,
 * outgoing HTTP on node:http.
 */
export async function nodeServices(ctx: NodeContext, opts: NodeServiceOptions = {}): Promise<Services> {
  return createServices(
    {
      db: ctx.db,
      atomic: ctx.atomic,
      bulkAtomic: ctx.bulkAtomic,
      clock: ctx.clock,
      random: ctx.random,
      logger: opts.logger ?? silentLogger,
      signer: ctx.keys.signer,
      retiringKeys: (now) => ctx.signingKeys.retiring(now),
      keyCreatedAt: () => ({ signing: ctx.signingKeys.currentCreatedAt(), oprf: statSync(resolveIn(ctx.home, ctx.config.keys.oprf)).mtime }),
      oprfSecretKey: ctx.keys.oprfSecretKey,
      oprfKeys: fileOprfKeyStore(resolveIn(ctx.home, ctx.config.keys.oprf)),
      ...(opts.evaluatorFor ? { evaluatorFor: opts.evaluatorFor } : {}),
      ...(opts.tokenBackendFor ? { tokenBackendFor: opts.tokenBackendFor } : {}),
      ...(opts.oprfClient ? { oprfClient: opts.oprfClient } : opts.searches ? { oprfClient: await createSodiumOprfClient() } : {}),
      ed25519Verify: nodeEd25519Verify,
      sha256: nodeSha256,
      fetch: opts.fetch ?? createNodeFetch(),
      dataVersion: ctx.sqlite.dataVersion,
      storage: fileStorage(resolveIn(ctx.home, ctx.config.storage.database)),
      ...(opts.tokenBackend ? { tokenBackend: opts.tokenBackend } : {}),
      ...(opts.evaluator ? { evaluator: opts.evaluator } : {}),
      ...(opts.defer ? { defer: opts.defer } : {}),
    },
    ctx.config,
  );
}

/** The environment variable that overrides `storage.database`. */
const DATABASE_ENV = envNameOf(['storage', 'database']);

/** Where a home's `storage.database` comes from, for a message: the variable, the configuration file, or the default. */
export function databaseSource(home: string, env: NodeJS.ProcessEnv): string {
  if (env[DATABASE_ENV]) return DATABASE_ENV;
  const configPath = join(home, CONFIG_FILE);
  try {
    const file = JSON.parse(readFileSync(configPath, 'utf8')) as { storage?: { database?: unknown } };
    if (file.storage?.database !== undefined) return `"storage.database" in ${configPath}`;
  } catch {
    // loadConfig has read it already; a file changed since still says nothing about the key.
  }
  return `the default (${configPath} sets no storage.database, and ${DATABASE_ENV} is unset)`;
}

/**
 * The database file of an initialised home, which must exist: refused with
 * the configured path, where it came from and what to do otherwise.
 */
export function requireDatabase(home: string, config: Config, env: NodeJS.ProcessEnv): string {
  const dbPath = resolveIn(home, config.storage.database);
  if (existsSync(dbPath)) return dbPath;
  throw new CairnError(
    'home_missing',
    `the database ${dbPath} does not exist, but ${home} is an initialised node home (its keys are in ${dirname(resolveIn(home, config.keys.signing))}); nothing was created or changed.\n` +
      `  storage.database is ${JSON.stringify(config.storage.database)}, from ${databaseSource(home, env)}.\n` +
      `  If the path is mistyped, or the database was moved: set storage.database (or ${DATABASE_ENV}) to where the file is.\n` +
      `  If the file is lost: restore the last backup (\`cairn restore BACKUP --home ${home} --force\`).\n` +
      `  Only to start this node over with an empty database and audit log (its peers will raise a rollback alert): \`cairn init --new-database --home ${home}\``,
    { location: { field: 'storage.database' } },
  );
}

/**
 * `cairn init --new-database`: create and migrate the missing database of an
 * initialised home, at its configured path, in a folder that exists.
 */
export async function createMissingDatabase(home: string, env: NodeJS.ProcessEnv = process.env): Promise<{ config: Config; path: string; source: string }> {
  const config = loadConfig(home, env);
  loadKeys(home, config);
  const path = resolveIn(home, config.storage.database);
  const source = databaseSource(home, env);
  if (existsSync(path)) throw new CairnError('home_exists', `the database ${path} (storage.database, from ${source}) already exists; nothing was changed`);
  if (!existsSync(dirname(path))) {
    throw new CairnError('home_missing', `the folder ${dirname(path)} of storage.database ${JSON.stringify(config.storage.database)} (from ${source}) does not exist: check the path, and create the folder if it is right (nothing was created)`);
  }
  try {
    await createDatabase(path);
  } catch (e) {
    // Leave no half-made database for the next command to take as the node's.
    for (const f of databaseFiles(path)) rmQuietly(f);
    throw e;
  }
  return { config, path, source };
}

/** Remove a file if it is there, never throwing. */
function rmQuietly(f: string): void {
  try {
    rmSync(f, { force: true });
  } catch {
    // The error that brought us here says more.
  }
}

export async function openNodeContext(home: string, env: NodeJS.ProcessEnv = process.env, opts: { readOnly?: boolean } = {}): Promise<NodeContext> {
  const config = loadConfig(home, env);
  const loaded = loadKeys(home, config);
  const signingKeys = openSigningKeys(resolveIn(home, config.keys.signing));
  const keys = { ...loaded, signer: signingKeys.signer };
  const dbPath = requireDatabase(home, config, env);
  const sqlite = openSqlite(dbPath, opts);
  let migrated: string[] = [];
  try {
    // Read-only (audit verify): nothing migrated, no key recorded; a database behind this program's migrations is refused.
    if (opts.readOnly) await requireMigrated(sqlite.db);
    else {
      migrated = await migrateToLatest(sqlite.db);
      await signingKeys.reload(sqlite.db, systemClock.now());
    }
  } catch (e) {
    await sqlite.close();
    throw e;
  }
  const atomic = sqliteAtomicWriter(sqlite.raw);
  return {
    home,
    config,
    keys,
    signingKeys,
    sqlite,
    db: sqlite.db,
    atomic,
    bulkAtomic: backgroundAtomicWriter(dbPath, sqlite.raw, atomic),
    clock: systemClock,
    random: nodeRandom,
    migrated,
    close: () => sqlite.close(),
  };
}
