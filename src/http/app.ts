/**
 * The node's HTTP application, built on Web standards only (hono), so the
 * same app serves on Node (@hono/node-server) and on Workers.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { toHex } from '../core/bytes.js';
import { HTTP, MEDIA_TYPES, PATHS } from '../core/constants.js';
import { CairnError, isCairnError, isDatabaseBusy, isStorageFull } from '../core/errors.js';
import { failureFields } from '../core/failure-log.js';
import { storageState } from '../core/services-node.js';
import type { Services } from '../core/services.js';
import type { Clock } from '../core/ports.js';
import type { AppContext, AppOptions, Env } from './context.js';
import { Gauge, METRICS_CONTENT_TYPE, type Metrics } from './metrics.js';
import { requireRole } from './auth.js';
import { recordRoutes } from './routes/records.js';
import { federationRoutes } from './routes/federation.js';
import { peerRoutes } from './routes/peers.js';
import { searchRoutes } from './routes/searches.js';
import { auditRoutes } from './routes/audit.js';
import { consoleRoutes } from './console/routes.js';
import { userRoutes } from './routes/users.js';
import { importRoutes } from './routes/imports.js';
import { oprfKeyRoutes } from './routes/keys-oprf.js';
import { buildOpenApi } from './openapi.js';
import { checkPathEncoding } from '../core/decode/path.js';
import { problemOf, problemResponse } from './problem.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Create the node's hono app over its services. */
export function createApp(services: Services, opts: AppOptions): Hono<Env> {
  const deps: AppContext = { ...opts, services };
  const { config } = services;
  const { logger, metrics, clock } = opts;
  // Per-peer search outcomes, whichever path ran the search (api, console, registration).
  services.searches.onPeerOutcome((o, path) => metrics.searchOutcomes.inc({ peer: o.peer.country, outcome: o.status, path }));
  collectHealth(metrics, services, clock);
  // Key age per key (signing, oprf), so an alert can fire before keys.rotateEveryDays passes.
  metrics.register(
    new Gauge('cairn_key_age_seconds', 'Age of each of the node\'s current keys in seconds, by key (signing, oprf) and key id.', () =>
      services.keys.ages().map((a) => ({ labels: { key: a.key, key_id: a.keyId }, value: a.ageSeconds })),
    ),
  );
  // Room on the disk under the database (Node), so an alert fires before writes are refused.
  metrics.collect(async () => {
    for (const g of metrics.storage) g.clear();
    const u = await services.node.storage();
    if (u === undefined) return;
    metrics.storageFree.set({}, u.freeBytes);
    metrics.storageSize.set({}, u.sizeBytes);
    metrics.databaseSize.set({}, u.databaseBytes);
  });
  void services.keys.refresh().catch((e: unknown) => logger.warn({ err: String(e) }, 'could not read the keys\' creation times'));
  const startedAt = clock.now();
  const app = new Hono<Env>();

  // The descriptor is signed once per process: issuedAt is the start time.
  const getDescriptor = () => services.node.currentDescriptor(startedAt);

  app.use('*', async (c, next) => {
    const incoming = c.req.header(HTTP.requestIdHeader);
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : toHex(opts.random.bytes(8));
    const log = logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    const t0 = performance.now();
    await next();
    c.res.headers.set(HTTP.requestIdHeader, requestId);
    const seconds = (performance.now() - t0) / 1000;
    // routePath is the matched template ("/v1/records/:ref"), never the raw path with identifiers.
    const route = c.res.status === 404 && c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, seconds);
    log.info({ ...labels, ms: Math.round(seconds * 1000 * 10) / 10 }, 'request');
  });

  // A malformed percent-encoding anywhere in the path is a 400, before routing decodes parameters.
  app.use('*', async (c, next) => {
    checkPathEncoding(new URL(c.req.url).pathname);
    await next();
  });

  // Refuse oversized bodies before any handler reads them (the handlers'
  // streaming reader enforces the same limit when no length is declared).
  app.use('*', async (c, next) => {
    const len = c.req.header('content-length');
    if (len !== undefined && Number(len) > config.http.maxBodyBytes) {
      throw new CairnError('body_too_large', `request body of ${len} bytes exceeds the limit of ${config.http.maxBodyBytes} bytes`);
    }
    await next();
  });

  app.get(PATHS.descriptor, async (c) => c.json(await getDescriptor(), 200, { 'cache-control': 'public, max-age=300' }));

  app.get(PATHS.healthz, async (c) => {
    const dbOk = await services.node.databaseOk((e) => c.get('log').error({ err: String(e) }, 'health check: database failing'));
    // Where the runtime sees the disk (Node): `full` means the next write may be refused.
    let storage: 'ok' | 'low' | 'full' | undefined;
    try {
      const u = await services.node.storage();
      if (u !== undefined) storage = storageState(u);
    } catch (e) {
      c.get('log').warn({ err: String(e) }, 'health check: could not read the free space under the database');
    }
    const ok = dbOk && storage !== 'full';
    const body = {
      status: ok ? ('ok' as const) : ('degraded' as const),
      version: deps.version,
      nodeId: config.node.id,
      country: config.node.country,
      uptimeSeconds: Math.round((clock.now().getTime() - startedAt.getTime()) / 1000),
      checks: { database: dbOk ? ('ok' as const) : ('failing' as const), ...(storage !== undefined ? { storage } : {}) },
    };
    return c.json(body, ok ? 200 : 503, { 'cache-control': 'no-store' });
  });

  // /metrics: on the main port unless metrics.listen moves it to its own (src/node/server.ts);
  // behind an operator token when metrics.requireToken.
  if (config.metrics.listen === undefined) {
    const render = async (c: Context<Env>) => c.text(await metrics.scrape((e) => logger.error({ err: String(e) }, 'metrics collection failed')), 200, { 'content-type': METRICS_CONTENT_TYPE, 'cache-control': 'no-store' });
    if (config.metrics.requireToken) app.get(PATHS.metrics, requireRole(services.users, 'operator') as unknown as MiddlewareHandler<Env>, render);
    else app.get(PATHS.metrics, render);
  }

  let openapi: string | undefined;
  app.get(PATHS.openapi, (c) => {
    openapi ??= JSON.stringify(buildOpenApi(config.node.url, deps.version));
    return c.body(openapi, 200, { 'content-type': MEDIA_TYPES.json });
  });

  app.route('/', recordRoutes(deps) as unknown as Hono<Env>);
  app.route('/', userRoutes(deps) as unknown as Hono<Env>);
  app.route('/', importRoutes(deps) as unknown as Hono<Env>);
  app.route('/', oprfKeyRoutes(deps) as unknown as Hono<Env>);
  app.route('/', peerRoutes(deps) as unknown as Hono<Env>);
  app.route('/', searchRoutes(deps) as unknown as Hono<Env>);
  app.route('/', federationRoutes(deps));
  app.route('/', auditRoutes(deps) as unknown as Hono<Env>);
  app.route('/', consoleRoutes(deps) as unknown as Hono<Env>);

  app.notFound((c) => problemResponse(problemOf(new CairnError('not_found', `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), c.get('requestId'))));

  app.onError((err, c) => handleError(err, c));

  return app;
}

/** Map any thrown error to a problem response; log the cause, never return it. */
export function handleError(err: unknown, c: Context<Env>): Response {
  const requestId = c.get('requestId');
  const log = c.get('log') ?? { error() {}, warn() {} };
  if (isCairnError(err)) {
    if (err.code === 'internal') log.error({ code: err.code, cause: describeCause(err.cause) }, err.message);
    else log.warn({ code: err.code }, 'request refused');
  } else if (isDatabaseBusy(err)) {
    log.warn({ code: 'unavailable' }, 'database busy: request refused');
  } else if (isStorageFull(err)) {
    log.error(failureFields(err), 'storage full: request refused, nothing of it stored');
  } else {
    log.error({ err: describeCause(err) }, 'unhandled error');
  }
  // RFC 6750 §3: a 401 on a local route names the scheme; with error="invalid_token" when a token was sent.
  const headers: Record<string, string> = isCairnError(err, 'unauthenticated')
    ? { 'www-authenticate': `Bearer realm="cairn"${c.req.header('authorization') === undefined ? '' : ', error="invalid_token"'}` }
    : {};
  return problemResponse(problemOf(err, requestId), headers);
}

function describeCause(e: unknown): string | undefined {
  if (e === undefined) return undefined;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Gauges read from the database at each scrape: the audit tail (age of the
 * newest checkpoint, entries no checkpoint covers), witness alerts per
 * peer, whether each peer answered our newest search of it, and replica
 * readiness. See deploy/prometheus-alerts.yml for the alerts built on them.
 */
function collectHealth(metrics: Metrics, services: Services, clock: Clock): void {
  metrics.collect(async () => {
    for (const g of metrics.health) g.clear();
    const h = await services.node.health(clock.now());
    metrics.auditEntries.set({}, h.auditSize);
    metrics.uncoveredEntries.set({}, h.uncoveredEntries);
    if (h.checkpointAgeSeconds !== undefined) metrics.checkpointAge.set({}, h.checkpointAgeSeconds);
    for (const p of h.peers) {
      if (p.status === 'revoked') continue;
      metrics.witnessAlerts.set({ peer: p.country }, p.witnessAlerts);
      if (p.answered !== undefined) metrics.peerUp.set({ peer: p.country }, p.answered ? 1 : 0);
      if (p.lastContactAgeSeconds !== undefined) metrics.peerContactAge.set({ peer: p.country }, p.lastContactAgeSeconds);
      for (const [category, r] of Object.entries(p.replicasReady)) metrics.replicaReady.set({ peer: p.country, category }, r);
    }
  });
}
