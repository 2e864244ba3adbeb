/**
 * The node's HTTP application, built on Web standards only (hono), so the
 * same app serves on Node (@hono/node-server) and on Workers.
 */
import { Hono, type Context } from 'hono';
import { sql } from 'kysely';
import { toHex } from '../core/bytes.js';
import type { Config } from '../core/config.js';
import { HTTP, MEDIA_TYPES, PATHS } from '../core/constants.js';
import type { Db } from '../core/db/schema.js';
import { signDescriptor } from '../core/descriptor.js';
import type { DsseEnvelope } from '../core/dsse.js';
import { CairnError, isCairnError } from '../core/errors.js';
import type { Clock, Logger, Random } from '../core/ports.js';
import type { Ed25519Verify, Signer } from '../core/signing.js';
import type { AtomicWriter } from '../core/atomic.js';
import type { TokenBackend } from '../core/oprf/index.js';
import { deriveFingerprintKey, type ImportDeps } from '../core/records/importer.js';
import { Metrics } from './metrics.js';
import { recordRoutes } from './routes/records.js';
import { federationRoutes } from './routes/federation.js';
import { peerRoutes } from './routes/peers.js';
import { searchRoutes } from './routes/searches.js';
import type { AnswerDeps, IndexOwner, OprfEvaluator } from '../core/federation/answer.js';
import { dbNonceStore } from '../core/federation/nonce-store-db.js';
import { PeerReservations } from '../core/federation/policy.js';
import type { NonceStore } from '../core/federation/replay.js';
import type { SearchDeps } from '../core/federation/search.js';
import type { OprfClient } from '../core/federation/client.js';
import { blindEvaluateBatch } from '../core/oprf/index.js';
import { latestCheckpoint, type LogDeps } from '../core/audit/log.js';
import { witnessCheckpoint, type WitnessDeps } from '../core/federation/witness.js';
import { IndexService } from '../core/federation/index/service.js';
import { auditRoutes } from './routes/audit.js';
import { consoleRoutes } from './console/routes.js';
import { userRoutes } from './routes/users.js';
import { buildOpenApi } from './openapi.js';
import { problemOf, problemResponse } from './problem.js';

/** Everything the app needs from its runtime. */
export interface NodeDeps {
  config: Config;
  signer: Signer;
  /** Ed25519 verification of peers' signatures (default: noble). */
  ed25519Verify?: Ed25519Verify;
  oprfPublicKey: Uint8Array;
  db: Db;
  clock: Clock;
  random: Random;
  logger: Logger;
  metrics: Metrics;
  /** Software version shown in health and OpenAPI. */
  version: string;
  /** Match-key types this node derives and answers for. */
  matchKeyTypes: readonly string[];
  /** The node's RFC 9497 secret key (never logged, never in a response). */
  oprfSecretKey: Uint8Array;
  /** Atomic multi-statement writes (SQLite transaction / D1 batch). */
  atomic: AtomicWriter;
  /** Bulk server-side tokenisation (portable, or the Node fast path). */
  tokenBackend: TokenBackend;
  /** Blind evaluation for peers (default: the portable path). */
  evaluator?: OprfEvaluator;
  /** Blinding and finalization when we search (default: the portable path). */
  oprfClient?: OprfClient;
  /** Outgoing HTTP (default: globalThis.fetch). */
  fetch?: typeof fetch;
  /** Replay protection store (default: the database). */
  nonceStore?: NonceStore;
  /** The token index service (default: built here from the other deps). */
  index?: IndexService;
  /** Runs work a response need not wait for (default: none; such work is awaited). */
  defer?: (task: Promise<void>) => void;
}

/** What route factories get: the deps plus services derived from them once. */
export interface Services extends NodeDeps {
  importer: ImportDeps;
  answer: AnswerDeps;
  search: SearchDeps;
  log: LogDeps;
  /** Token indexes: ours (owner side) and our replicas of peers' (searcher side). */
  index: IndexService;
  nonceStore: NonceStore;
  fetch: typeof fetch;
}

/** The portable evaluator: noble, one batch DLEQ proof. */
export function portableEvaluator(secretKey: Uint8Array, publicKey: Uint8Array): OprfEvaluator {
  return { blindEvaluateBatch: async (blinded) => blindEvaluateBatch(secretKey, publicKey, blinded) };
}

export type Env = { Variables: { requestId: string; log: Logger } };

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Create the node's hono app. */
export function createApp(nodeDeps: NodeDeps): Hono<Env> {
  const fetchFn = nodeDeps.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const logDeps: LogDeps = { db: nodeDeps.db, atomic: nodeDeps.atomic, clock: nodeDeps.clock, signer: nodeDeps.signer, baseUrl: nodeDeps.config.node.url };
  const witnessDeps: WitnessDeps = {
    db: nodeDeps.db,
    atomic: nodeDeps.atomic,
    logger: nodeDeps.logger,
    clock: nodeDeps.clock,
    random: nodeDeps.random,
    signer: nodeDeps.signer,
    fetch: fetchFn,
    timeoutMs: nodeDeps.config.federation.timeoutMs,
    maxResponseBytes: nodeDeps.config.federation.maxResponseBytes,
  };
  const index = nodeDeps.index ?? new IndexService({
    db: nodeDeps.db,
    atomic: nodeDeps.atomic,
    clock: nodeDeps.clock,
    logger: nodeDeps.logger,
    signer: nodeDeps.signer,
    nodeId: nodeDeps.config.node.id,
    client: {
      signer: nodeDeps.signer,
      clock: nodeDeps.clock,
      random: nodeDeps.random,
      fetch: fetchFn,
      timeoutMs: nodeDeps.config.federation.timeoutMs,
      maxResponseBytes: nodeDeps.config.federation.maxResponseBytes,
      ...(nodeDeps.ed25519Verify ? { verify: nodeDeps.ed25519Verify } : {}),
    },
    ...(nodeDeps.defer ? { defer: nodeDeps.defer } : {}),
  });
  /** Our index as the answer needs it: a searcher without a replica of a category gets the head only. */
  const indexOwner: IndexOwner = {
    changesSince: (category, sinceVersion, max) => index.changesSince(category, sinceVersion, max),
    resync: async (category) => ({ category, head: (await index.owner.head(category)).envelope, resync: true }),
  };
  const deps: Services = {
    ...nodeDeps,
    fetch: fetchFn,
    nonceStore: nodeDeps.nonceStore ?? dbNonceStore(nodeDeps.db),
    answer: {
      db: nodeDeps.db,
      atomic: nodeDeps.atomic,
      clock: nodeDeps.clock,
      random: nodeDeps.random,
      logger: nodeDeps.logger,
      signer: nodeDeps.signer,
      evaluator: nodeDeps.evaluator ?? portableEvaluator(nodeDeps.oprfSecretKey, nodeDeps.oprfPublicKey),
      reservations: new PeerReservations({ db: nodeDeps.db, atomic: nodeDeps.atomic, clock: nodeDeps.clock }),
      index: indexOwner,
      self: { nodeId: nodeDeps.config.node.id, country: nodeDeps.config.node.country },
      checkpoint: async () => (await latestCheckpoint(logDeps, nodeDeps.config.audit.checkpointIntervalMs)).note,
    },
    search: {
      db: nodeDeps.db,
      atomic: nodeDeps.atomic,
      logger: nodeDeps.logger,
      signer: nodeDeps.signer,
      clock: nodeDeps.clock,
      random: nodeDeps.random,
      fetch: fetchFn,
      ...(nodeDeps.oprfClient ? { oprf: nodeDeps.oprfClient } : {}),
      ...(nodeDeps.ed25519Verify ? { verify: nodeDeps.ed25519Verify } : {}),
      timeoutMs: nodeDeps.config.federation.timeoutMs,
      maxResponseBytes: nodeDeps.config.federation.maxResponseBytes,
      replicas: index,
      witness: async (peer, note) => {
        await witnessCheckpoint(witnessDeps, peer, note);
      },
      ...(nodeDeps.defer ? { defer: nodeDeps.defer } : {}),
    },
    log: logDeps,
    index,
    importer: {
      db: nodeDeps.db,
      atomic: nodeDeps.atomic,
      backend: nodeDeps.tokenBackend,
      clock: nodeDeps.clock,
      fingerprintKey: deriveFingerprintKey(nodeDeps.oprfSecretKey),
      bucketBits: nodeDeps.config.matching.bucketBits,
    },
  };
  const { config, logger, metrics, clock } = deps;
  const startedAt = clock.now();
  const app = new Hono<Env>();

  // The descriptor is signed once per process: issuedAt is the start time.
  let descriptor: DsseEnvelope | undefined;
  const getDescriptor = () =>
    (descriptor ??= signDescriptor({
      nodeId: config.node.id,
      country: config.node.country,
      name: config.node.name,
      baseUrl: config.node.url,
      signer: deps.signer,
      oprfPublicKey: deps.oprfPublicKey,
      matchKeyTypes: deps.matchKeyTypes,
      bucketBits: config.matching.bucketBits,
      issuedAt: startedAt,
    }));

  app.use('*', async (c, next) => {
    const incoming = c.req.header(HTTP.requestIdHeader);
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : toHex(deps.random.bytes(8));
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

  // Refuse oversized bodies before any handler reads them (the handlers'
  // streaming reader enforces the same limit when no length is declared).
  app.use('*', async (c, next) => {
    const len = c.req.header('content-length');
    if (len !== undefined && Number(len) > config.http.maxBodyBytes) {
      throw new CairnError('body_too_large', `request body of ${len} bytes exceeds the limit of ${config.http.maxBodyBytes} bytes`);
    }
    await next();
  });

  app.get(PATHS.descriptor, (c) => c.json(getDescriptor(), 200, { 'cache-control': 'public, max-age=300' }));

  app.get(PATHS.healthz, async (c) => {
    let dbOk = true;
    try {
      await sql`select 1`.execute(deps.db);
    } catch (e) {
      dbOk = false;
      c.get('log').error({ err: String(e) }, 'health check: database failing');
    }
    const body = {
      status: dbOk ? ('ok' as const) : ('degraded' as const),
      version: deps.version,
      nodeId: config.node.id,
      country: config.node.country,
      uptimeSeconds: Math.round((clock.now().getTime() - startedAt.getTime()) / 1000),
      checks: { database: dbOk ? ('ok' as const) : ('failing' as const) },
    };
    return c.json(body, dbOk ? 200 : 503, { 'cache-control': 'no-store' });
  });

  app.get(PATHS.metrics, (c) => c.text(metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));

  let openapi: string | undefined;
  app.get(PATHS.openapi, (c) => {
    openapi ??= JSON.stringify(buildOpenApi(config.node.url, deps.version));
    return c.body(openapi, 200, { 'content-type': MEDIA_TYPES.json });
  });

  app.route('/', recordRoutes(deps) as unknown as Hono<Env>);
  app.route('/', userRoutes(deps) as unknown as Hono<Env>);
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
