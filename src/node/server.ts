/**
 * Node runtime entry: wires better-sqlite3, pino and @hono/node-server into
 * the pure core, and shuts down cleanly.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { serve, type ServerType } from '@hono/node-server';
import type { Config } from '../core/config.js';
import { CairnError, isCairnError } from '../core/errors.js';
import { failureFields, failureLog } from '../core/failure-log.js';
import { INDEX, KEYS } from '../core/constants.js';
import { createApp } from '../http/app.js';
import { Counter, Metrics, METRICS_CONTENT_TYPE } from '../http/metrics.js';
import type { Logger } from '../core/ports.js';
import { runRetention } from '../core/records/manage.js';
import { nodeServices, openNodeContext } from './context.js';
import { loadConfig, resolveIn } from './home.js';
import { finishInterruptedRotation } from './signing-keys.js';
import { InFlight } from './in-flight.js';
import { acquireServeLock } from './lock.js';
import { lazyTokenPool, loadSodiumBuild } from './oprf/index.js';
import { createThreadedEvaluator } from './oprf/evaluator-thread.js';
import { createThreadedOprfClient } from './oprf/finalize-thread.js';
import { createLogger } from './logger.js';
import { VERSION } from './version.js';
import { readIncomingBody } from './request-body.js';

/** Records past retention are purged at start-up and then hourly. */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
const INTEGRATE_INTERVAL_MS = 5_000;
/** Idle keep-alive of server sockets: longer than any client's, so clients close first. */
const KEEP_ALIVE_MS = 65_000;
/** How long close() waits for in-flight requests before cutting connections. */
const DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 25;

/**
 * /metrics on its own HOST:PORT (config metrics.listen), for a monitoring
 * network that peers never reach; every other path is 404 there.
 */
async function serveMetrics(listen: string, metrics: Metrics, cleanups: (() => Promise<void> | void)[]): Promise<string> {
  const cut = listen.lastIndexOf(':');
  const host = listen.slice(0, cut).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(cut + 1));
  const srv = createServer((req, res) => {
    if (req.method === 'GET' && (req.url ?? '').split('?')[0] === '/metrics') {
      void metrics.scrape().then((text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(text));
    } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: only /metrics is served here\n');
  });
  await new Promise<void>((resolve, reject) => {
    srv.once('error', (e: NodeJS.ErrnoException) => reject(listenProblem(e, host, port)));
    srv.listen(port, host, () => resolve());
  });
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  const actual = (srv.address() as AddressInfo).port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${actual}/metrics`;
}

/** Why a listen failed, in the operator's terms. */
function listenProblem(e: NodeJS.ErrnoException, host: string, port: number): CairnError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why =
    e.code === 'EADDRINUSE'
      ? 'the address is already in use (another cairn serve or another program holds the port; choose another with --port or http.port)'
      : e.code === 'EACCES'
        ? 'permission denied (ports below 1024 need privileges: serve on a higher port behind the TLS reverse proxy, see deploy/README.md)'
        : e.code === 'EADDRNOTAVAIL'
          ? `no interface of this machine has the address ${host} (check http.host)`
          : e.message;
  return new CairnError('listen_failed', `cannot listen on ${where}: ${why}`, { cause: e, details: { code: e.code } });
}

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
  // A bad configuration is reported before the home is locked; then one process per home.
  loadConfig(home, env);
  const lock = acquireServeLock(home);
  const cleanups: (() => Promise<void> | void)[] = [() => lock.release()];
  const cleanUp = async () => {
    while (cleanups.length) await cleanups.pop()!();
  };
  try {
    return await startLocked(home, env, opts, cleanups, cleanUp, lock.tookOverFrom);
  } catch (e) {
    await cleanUp();
    throw e;
  }
}

async function startLocked(
  home: string,
  env: NodeJS.ProcessEnv,
  opts: StartOptions,
  cleanups: (() => Promise<void> | void)[],
  cleanUp: () => Promise<void>,
  staleLockOf: number | undefined,
): Promise<RunningNode> {
  const ctx = await openNodeContext(home, env);
  cleanups.push(() => ctx.sqlite.close());
  const { config, keys, sqlite } = ctx;
  const logger = opts.logger ?? createLogger(config.log.level);
  if (staleLockOf !== undefined) logger.warn({ pid: staleLockOf }, 'took over the serve lock of a process that no longer runs');
  if (ctx.migrated.length) logger.info({ migrations: ctx.migrated }, 'database migrated');
  // A signing-key rotation stopped between its record and its files: finish it (or destroy its unused key) before signing anything.
  const interrupted = await finishInterruptedRotation(ctx.db, resolveIn(home, config.keys.signing), ctx.clock.now()).catch((e: unknown) => {
    // A rotation running beside this start: the key reload timer takes its result.
    if (!isCairnError(e, 'home_locked')) throw e;
    logger.warn({ err: e.message }, 'a signing-key rotation is running: its key is taken when it is done');
    return { state: 'none' as const };
  });
  if (interrupted.state !== 'none') {
    await ctx.signingKeys.reload(ctx.db, ctx.clock.now());
    logger.warn(interrupted, interrupted.state === 'finished' ? 'finished an interrupted signing-key rotation: the new key signs from now on' : 'destroyed a signing key left by a rotation that was never recorded');
  }
  // Which libsodium build the OPRF threads run on: the rule every thread
  // applies to the process's CAIRN_SODIUM, applied here first so that a bad
  // value, or a required native build that is missing, stops start-up.
  const sodium = await loadSodiumBuild();
  // Records imported through the API (a bulk import over HTTP runs for
  // minutes): tokens on worker threads, at most half the cores, so the main
  // thread and the evaluate thread keep answering peers meanwhile. On the
  // main thread an import's tokens took most of its time, and a serving
  // node answered a seventh as many match requests during an import.
  // Started by the first import, not at start-up.
  const importThreads = Math.max(1, Math.floor(availableParallelism() / 2));
  const tokenBackend = lazyTokenPool({ secretKey: keys.oprfSecretKey, threads: importThreads });
  cleanups.push(() => tokenBackend.close());
  const metrics = new Metrics();
  // Requests in flight (counted where the HTTP server starts below): close()
  // drains them, and a match query alone at a quiet node is evaluated on the main thread.
  const inFlight = new InFlight();
  const oprfBatches = metrics.register(new Counter('cairn_oprf_batches_total', "Peers' match queries evaluated since start, by thread: main (alone at a quiet node) or worker."));
  const evaluatorOptions = { inlineWhen: () => inFlight.alone(), onBatch: (thread: 'main' | 'worker') => oprfBatches.inc({ thread }) };
  // Peers' blind match queries: libsodium in a worker thread, off the main
  // thread while other requests are in flight; a lone one is evaluated on the
  // main thread, which would only wait for the worker.
  const evaluator = await createThreadedEvaluator(keys.oprfSecretKey, keys.oprfPublicKey, evaluatorOptions);
  cleanups.push(() => evaluator.close());
  // Our searches' answers: those arriving together are checked side by side,
  // on idle worker threads and this one; an answer alone is checked here.
  // Its workers start with the first search, not at start-up.
  const oprfClient = await createThreadedOprfClient();
  cleanups.push(() => oprfClient.close());
  // Work a response need not wait for (witnessing peers' checkpoints); close() lets it finish.
  const deferred = new Set<Promise<void>>();
  const defer = (task: Promise<void>) => {
    deferred.add(task);
    void task.finally(() => deferred.delete(task));
  };
  const services = await nodeServices(ctx, {
    logger,
    tokenBackend,
    evaluator,
    // Another OPRF epoch's key (a rotation): the same fast paths, built when first used.
    evaluatorFor: (sk, pk) => createThreadedEvaluator(sk, pk, evaluatorOptions),
    tokenBackendFor: async (sk) => lazyTokenPool({ secretKey: sk, threads: importThreads }),
    defer,
    searches: true,
    oprfClient,
  });
  cleanups.push(() => services.oprfEngines.close());
  // An OPRF activation interrupted after its commit (`keys activate` killed
  // before its files were moved) left the retired key on disk: finish it now,
  // as running `keys activate` again would.
  if ((await services.oprfEpochs.pending()) === undefined) {
    const healed = await services.oprfEpochs.destroyRetired('system');
    if (healed.destroyed.length > 0) logger.warn({ files: healed.destroyed }, 'finished an interrupted OPRF key activation: the retired key was overwritten and removed');
  }
  const purge = async () => {
    try {
      // The same retention job as the Workers Cron Trigger (src/workers/index.ts).
      const { purged, pruned } = await runRetention({ db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, auditRetentionDays: config.audit.retentionDays, audit: services.audit.log });
      if (purged) logger.info({ purged }, 'records past retention purged');
      await services.index.compactAll();
      if (pruned) logger.info({ pruned }, 'audit entry payloads past retention pruned');
    } catch (e) {
      logger.error(failureFields(e), 'retention purge failed');
    }
  };
  // Fold new audit entries into the Merkle tree in the background, so a
  // checkpoint or proof rarely has much to integrate.
  const integrateFailures = failureLog(logger, 'audit integration', ctx.clock);
  const integrateTimer = setInterval(() => {
    services.audit.log.integrate().then(
      () => integrateFailures.succeeded(),
      (e: unknown) => integrateFailures.failed(e),
    );
  }, INTEGRATE_INTERVAL_MS);
  integrateTimer.unref();
  cleanups.push(() => clearInterval(integrateTimer));
  // A signed checkpoint at most audit.checkpointIntervalMs after any new
  // entry, whether or not anyone asks for one, so the tail of the log is
  // never long unsigned (PROTOCOL.md §40).
  const checkpointTimer = setInterval(() => void services.audit.checkpointer.poke(), Math.max(50, Math.floor(config.audit.checkpointIntervalMs / 2)));
  checkpointTimer.unref();
  cleanups.push(() => clearInterval(checkpointTimer));
  await purge();
  const purgeTimer = setInterval(() => void purge(), PURGE_INTERVAL_MS);
  purgeTimer.unref();
  cleanups.push(() => clearInterval(purgeTimer));
  // Replicas of peers' token indexes: heads and deltas every few minutes, in
  // the background; and, on the same schedule, every peer's descriptor for a
  // signing-key rotation (protocol/32-key-rotation.md).
  const syncTimer = setInterval(() => {
    services.index.scheduleAll().catch((e: unknown) => logger.error({ err: String(e) }, 'replica sync scheduling failed'));
    services.peers.followRotations().catch((e: unknown) => logger.error({ err: String(e) }, 'checking peers for signing-key rotations failed'));
  }, INDEX.syncIntervalMs);
  syncTimer.unref();
  cleanups.push(() => clearInterval(syncTimer));
  // `cairn keys rotate signing` swaps the key files: take the new key within a second.
  let reloading = false;
  // Every second: a lasting failure (a key file made unreadable) is logged once a minute, not every second.
  const reloadFailures = failureLog(logger, 'reloading the signing keys', ctx.clock);
  const keyTimer = setInterval(() => {
    if (reloading) return;
    reloading = true;
    ctx.signingKeys
      .reload(ctx.db, ctx.clock.now())
      .then(async (rotated) => {
        reloadFailures.succeeded();
        if (!rotated) return;
        await services.keys.refresh();
        services.audit.log.resetCheckpointCache();
        logger.info({ signingKeyId: keys.signer.keyId }, 'signing key rotated: new requests, answers and checkpoints are signed with it');
      })
      .catch((e: unknown) => reloadFailures.failed(e))
      .finally(() => (reloading = false));
  }, KEYS.reloadIntervalMs);
  keyTimer.unref();
  cleanups.push(() => clearInterval(keyTimer));
  const app = createApp(services, { logger, clock: ctx.clock, random: ctx.random, metrics, version: VERSION, requestBody: readIncomingBody });
  const port = opts.port ?? config.http.port;
  const server: ServerType = await new Promise((resolveServer, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: config.http.host }, () => resolveServer(s));
    s.once('error', (e: NodeJS.ErrnoException) => reject(listenProblem(e, config.http.host, port)));
  });
  cleanups.push(() => new Promise<void>((r) => (server as unknown as HttpServer).close(() => r())));
  const metricsUrl = config.metrics.listen === undefined ? undefined : await serveMetrics(config.metrics.listen, metrics, cleanups);
  if (metricsUrl) logger.info({ metrics: metricsUrl }, 'metrics on their own listener');
  // In-flight requests, so that close() drains them instead of cutting them off.
  const http = server as unknown as HttpServer;
  let draining = false;
  inFlight.track(http);
  http.on('request', (_req, res) => {
    // While draining, tell keep-alive clients not to send another request on this socket.
    if (draining) res.setHeader('connection', 'close');
  });
  // Outlive clients' idle keep-alive (undici closes idle sockets after ~4 s):
  // a server that closes first races the client's next request on the same
  // socket, which then fails with "other side closed" (seen in the demo).
  http.keepAliveTimeout = KEEP_ALIVE_MS;
  http.headersTimeout = KEEP_ALIVE_MS + 1000;
  const actual = (server.address() as AddressInfo).port;
  logger.info({ node: config.node.id, country: config.node.country, host: config.http.host, port: actual, signingKeyId: keys.signer.keyId, sodium: `${sodium.build} ${sodium.version}` }, 'cairn node listening');
  // Replicas missing since the last run (or peers added by the CLI) start syncing now.
  void services.index.scheduleAll().catch((e: unknown) => logger.error({ err: String(e) }, 'replica sync scheduling failed'));
  let closed = false;
  return {
    config,
    url: `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${actual}`,
    port: actual,
    logger,
    async close() {
      if (closed) return;
      closed = true;
      draining = true;
      // Stop accepting, let in-flight requests finish (up to DRAIN_TIMEOUT_MS),
      // closing keep-alive sockets as they fall idle; then cut what is left.
      const stopped = new Promise<void>((r) => http.close(() => r()));
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      http.closeIdleConnections();
      while (inFlight.open > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
        http.closeIdleConnections();
      }
      if (inFlight.open > 0) logger.warn({ inFlight: inFlight.open }, 'requests still running after the drain timeout were cut off');
      http.closeAllConnections();
      await stopped;
      await Promise.allSettled([...deferred]);
      await cleanUp();
    },
  };
}
