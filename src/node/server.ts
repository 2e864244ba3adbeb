/**
 * Node runtime entry: wires better-sqlite3, pino and @hono/node-server into
 * the pure core, and shuts down cleanly.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../core/config.js';
import { migrateToLatest } from '../core/db/migrations.js';
import { createApp } from '../core/http/app.js';
import { Metrics } from '../core/http/metrics.js';
import { systemClock, webRandom, type Logger } from '../core/ports.js';
import { loadConfig, loadKeys, resolveIn, type NodeKeys } from './home.js';
import { createLogger } from './logger.js';
import { openSqlite, type SqliteHandle } from './sqlite.js';
import { VERSION } from './version.js';

export interface RunningNode {
  config: Config;
  url: string;
  port: number;
  logger: Logger;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Override the configured port (0 = any free port). */
  port?: number;
}

/** Load a home, migrate its database and serve HTTP. */
export async function startNode(home: string, opts: StartOptions = {}): Promise<RunningNode> {
  const env = opts.env ?? process.env;
  const config = loadConfig(home, env);
  const logger = opts.logger ?? createLogger(config.log.level);
  const keys: NodeKeys = loadKeys(home, config);
  const dbPath = resolveIn(home, config.storage.database);
  mkdirSync(dirname(dbPath), { recursive: true });
  const sqlite: SqliteHandle = openSqlite(dbPath);
  try {
    const applied = await migrateToLatest(sqlite.db);
    if (applied.length) logger.info({ migrations: applied }, 'database migrated');
  } catch (e) {
    await sqlite.close();
    throw e;
  }
  const app = createApp({
    config,
    signer: keys.signer,
    oprfPublicKey: keys.oprfPublicKey,
    db: sqlite.db,
    clock: systemClock,
    random: webRandom,
    logger,
    metrics: new Metrics(),
    version: VERSION,
    matchKeyTypes: [],
  });
  const port = opts.port ?? config.http.port;
  const server: ServerType = await new Promise((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: config.http.host }, () => resolveServer(s));
    s.once('error', reject);
  });
  const actual = (server.address() as AddressInfo).port;
  logger.info({ node: config.node.id, country: config.node.country, host: config.http.host, port: actual, signingKeyId: keys.signer.keyId }, 'cairn node listening');
  let closed = false;
  return {
    config,
    url: `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${actual}`,
    port: actual,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      await new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await sqlite.close();
    },
  };
}
