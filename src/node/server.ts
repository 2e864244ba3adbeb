/**
 * Node runtime entry: wires better-sqlite3, pino and @hono/node-server into
 * the pure core, and shuts down cleanly.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../core/config.js';
import { createApp } from '../http/app.js';
import { Metrics } from '../http/metrics.js';
import { systemClock, webRandom, type Logger } from '../core/ports.js';
import { MATCH_KEY_TYPE_NAMES } from '../core/identity/index.js';
import { purgeExpired } from '../core/records/manage.js';
import { Checkpointer, integrate, pruneEntries } from '../core/audit/log.js';
import { openNodeContext } from './context.js';
import { createSodiumTokenBackend } from './oprf/index.js';
import { nodeEd25519Verify } from './ed25519.js';
import { createThreadedEvaluator } from './oprf/evaluator-thread.js';
import { createSodiumOprfClient } from './oprf/sodium-client.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';

/** Records past retention are purged at start-up and then hourly. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const INTEGRATE_INTERVAL_MS = 5_000;
/** Idle keep-alive of server sockets: longer than any client's, so clients close first. */
const KEEP_ALIVE_MS = 65_000;

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
  const ctx = await openNodeContext(home, env);
  const { config, keys, sqlite } = ctx;
  const logger = opts.logger ?? createLogger(config.log.level);
  if (ctx.migrated.length) logger.info({ migrations: ctx.migrated }, 'database migrated');
  const tokenBackend = await createSodiumTokenBackend(keys.oprfSecretKey);
  // Peers' blind match queries: libsodium in a worker thread, off the main thread.
  const evaluator = await createThreadedEvaluator(keys.oprfSecretKey, keys.oprfPublicKey);
  // Our own searches: blinding and proof verification on libsodium too.
  const oprfClient = await createSodiumOprfClient();
  const atomic = ctx.atomic;
  const manage = { db: sqlite.db, atomic, clock: systemClock };
  const purge = async () => {
    try {
      const n = await purgeExpired(manage);
      if (n) logger.info({ purged: n }, 'records past retention purged');
      const before = new Date(Date.now() - config.audit.retentionDays * 86_400_000);
      const pruned = await pruneEntries(manage, before);
      if (pruned) logger.info({ pruned }, 'audit entry payloads past retention pruned');
    } catch (e) {
      logger.error({ err: String(e) }, 'retention purge failed');
    }
  };
  // Fold new audit entries into the Merkle tree in the background, so a
  // checkpoint or proof rarely has much to integrate.
  const integrateTimer = setInterval(() => {
    integrate(manage).catch((e: unknown) => logger.error({ err: String(e) }, 'audit integration failed'));
  }, INTEGRATE_INTERVAL_MS);
  integrateTimer.unref();
  // A signed checkpoint at most audit.checkpointIntervalMs after any new
  // entry, whether or not anyone asks for one, so the tail of the log is
  // never long unsigned (PROTOCOL.md §40).
  const checkpointer = new Checkpointer(
    { ...manage, signer: keys.signer, baseUrl: config.node.url },
    { intervalMs: config.audit.checkpointIntervalMs, sleep: async () => {}, onError: (e) => logger.error({ err: String(e) }, 'background checkpoint failed') },
  );
  const checkpointTimer = setInterval(() => void checkpointer.poke(), Math.max(50, Math.floor(config.audit.checkpointIntervalMs / 2)));
  checkpointTimer.unref();
  await purge();
  const purgeTimer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  purgeTimer.unref();
  // Work a response need not wait for (witnessing peers' checkpoints); close() lets it finish.
  const deferred = new Set<Promise<void>>();
  const defer = (task: Promise<void>) => {
    deferred.add(task);
    void task.finally(() => deferred.delete(task));
  };
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
    matchKeyTypes: MATCH_KEY_TYPE_NAMES,
    oprfSecretKey: keys.oprfSecretKey,
    atomic,
    tokenBackend,
    evaluator,
    oprfClient,
    ed25519Verify: nodeEd25519Verify,
    defer,
  });
  const port = opts.port ?? config.http.port;
  const server: ServerType = await new Promise((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: config.http.host }, () => resolveServer(s));
    s.once('error', reject);
  });
  // Outlive clients' idle keep-alive (undici closes idle sockets after ~4 s):
  // a server that closes first races the client's next request on the same
  // socket, which then fails with "other side closed" (seen in the demo).
  const http = server as unknown as { keepAliveTimeout: number; headersTimeout: number };
  http.keepAliveTimeout = KEEP_ALIVE_MS;
  http.headersTimeout = KEEP_ALIVE_MS + 1000;
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
      clearInterval(purgeTimer);
      clearInterval(integrateTimer);
      clearInterval(checkpointTimer);
      await new Promise<void>((r) => {
        server.close(() => r());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
      await Promise.allSettled([...deferred]);
      await evaluator.close();
      await tokenBackend.close();
      await sqlite.close();
    },
  };
}
