/**
 * Opening a node home for a command: configuration, keys, database
 * (migrated) and the atomic writer; and the Node ports handed to the
 * composition root (core/services.ts). `serve` and every CLI command share it.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AtomicWriter } from '../core/atomic.js';
import type { Config } from '../core/config.js';
import { migrateToLatest } from '../core/db/migrations.js';
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
import { loadConfig, loadKeys, resolveIn, type NodeKeys } from './home.js';
import { openSqlite, type SqliteHandle } from './sqlite.js';
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

export async function openNodeContext(home: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeContext> {
  const config = loadConfig(home, env);
  const loaded = loadKeys(home, config);
  const signingKeys = openSigningKeys(resolveIn(home, config.keys.signing));
  const keys = { ...loaded, signer: signingKeys.signer };
  const dbPath = resolveIn(home, config.storage.database);
  mkdirSync(dirname(dbPath), { recursive: true });
  const sqlite = openSqlite(dbPath);
  let migrated: string[];
  try {
    migrated = await migrateToLatest(sqlite.db);
    await signingKeys.reload(sqlite.db, systemClock.now());
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
