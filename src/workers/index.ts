/**
 * Cloudflare Workers entry: the same core app over D1 (kysely-d1), with keys
 * from Workers secrets and configuration from CAIRN_* variables. Migrations
 * run once per isolate before the first request is served. Cron Triggers
 * run the scheduled jobs (SCHEDULED_JOBS: retention, …). D1 allows each
 * invocation a fixed number of queries, so replica work runs within a
 * statement budget and resumes in the next invocation (d1-count.ts).
 */
import { Kysely } from 'kysely';
import { fromHex } from '../core/bytes.js';
import { resolveConfig } from '../core/config.js';
import type { Database } from '../core/db/schema.js';
import { migrateToLatest } from '../core/db/migrations.js';
import { createApp } from '../http/app.js';
import { originOf, type Checkpointer } from '../core/audit/log.js';
import { Metrics } from '../http/metrics.js';
import { systemClock, webRandom, type Logger } from '../core/ports.js';
import { ed25519Signer, type Signer } from '../core/signing.js';
import { recordConfiguredRotation, recordCurrentKey } from '../core/keys/history.js';
import type { PeerService } from '../core/services-federation.js';
import { CairnError, isCairnError } from '../core/errors.js';
import { fixedKeyStore } from '../core/keys/oprf-epochs.js';
import { problemOf, problemResponse } from '../http/problem.js';
import { validateOprfSecretKey } from '../core/oprf/index.js';
import { runRetention, type RetentionDeps } from '../core/records/manage.js';
import { createServices } from '../core/services.js';
import type { IndexService } from '../core/federation/index/service.js';
import type { StatementBudget } from '../core/federation/index/budget.js';
import { d1AtomicWriter } from './d1-atomic.js';
import { abandonAfterMs, createBackground } from './background.js';
import { countingD1, queriesPerInvocation, requestBudget, scheduledBudget } from './d1-count.js';
import { CairnD1Dialect } from './d1-dialect.js';

export interface WorkerEnv {
  DB: D1Database;
  /** Secrets (wrangler secret put): 32-byte keys as hex. */
  CAIRN_SIGNING_KEY: string;
  CAIRN_OPRF_KEY: string;
  /**
   * A signing-key rotation (protocol/32-key-rotation.md): the previous key
   * (secret) and the end of its overlap (RFC 3339 var). The descriptor lists
   * both keys, signed by both, until then.
   */
  CAIRN_SIGNING_KEY_PREVIOUS?: string;
  CAIRN_SIGNING_KEY_PREVIOUS_UNTIL?: string;
  [name: string]: unknown;
}

const VERSION = '0.1.0';

/** JSON lines on the Workers console; same shape as the Node logger. */
function consoleLogger(bindings: Record<string, unknown> = {}): Logger {
  const emit = (level: string) => (obj: Record<string, unknown>, msg?: string) =>
    console.log(JSON.stringify({ level, time: new Date().toISOString(), service: 'cairn', ...bindings, ...obj, msg }));
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error'), child: (b) => consoleLogger({ ...bindings, ...b }) };
}

function describe(e: unknown): string | undefined {
  if (e === undefined) return undefined;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function secretKey(env: WorkerEnv, name: 'CAIRN_SIGNING_KEY' | 'CAIRN_OPRF_KEY' | 'CAIRN_OPRF_KEY_NEXT' | 'CAIRN_SIGNING_KEY_PREVIOUS'): Uint8Array {
  const v = env[name];
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v.trim())) {
    throw new CairnError('key_invalid', `Workers secret ${name} must be set to 32 bytes as 64 hex digits`);
  }
  const key = fromHex(v.trim(), name);
  // Signing keys are Ed25519 seeds (any 32 bytes); OPRF keys must be scalars.
  if (name === 'CAIRN_OPRF_KEY' || name === 'CAIRN_OPRF_KEY_NEXT') {
    try {
      validateOprfSecretKey(key, name);
    } catch (cause) {
      throw new CairnError('key_invalid', `Workers secret ${name} is not a canonical nonzero ristretto255 scalar: generate keys with \`node dist/scripts/workers-setup.js keys --out FILE\``, { cause });
    }
  }
  return key;
}

/** The previous signing key of a rotation and its overlap's end, when both are set. */
function previousSigningKey(env: WorkerEnv): { signer: Signer; overlapUntil: Date } | undefined {
  const until = env.CAIRN_SIGNING_KEY_PREVIOUS_UNTIL;
  if (env.CAIRN_SIGNING_KEY_PREVIOUS === undefined || env.CAIRN_SIGNING_KEY_PREVIOUS === '') return undefined;
  const t = typeof until === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(until) ? Date.parse(until) : Number.NaN;
  if (Number.isNaN(t)) {
    throw new CairnError('config_invalid', 'CAIRN_SIGNING_KEY_PREVIOUS is set: set CAIRN_SIGNING_KEY_PREVIOUS_UNTIL to the end of the overlap as an RFC 3339 time (2026-12-15T12:00:00Z)');
  }
  return { signer: ed25519Signer(secretKey(env, 'CAIRN_SIGNING_KEY_PREVIOUS')), overlapUntil: new Date(t) };
}

type App = ReturnType<typeof createApp>;

/** What an isolate builds once: the app, and what the scheduled jobs need. */
interface Node {
  app: App;
  jobs: ScheduledDeps;
  /** Signs a checkpoint within audit.checkpointIntervalMs of a request that may have appended (PROTOCOL.md §40). */
  checkpointer: Checkpointer;
}

/** The dependencies of the scheduled jobs. */
export interface ScheduledDeps {
  retention: RetentionDeps;
  /** Our replicas of peers' indexes and our change log (Workers have no timers: the cron keeps them current). */
  index: Pick<IndexService, 'syncAll' | 'compactAll'>;
  /** The invocation's budget of D1 statements for replica work (d1-count.ts); none: unbounded. */
  budget?: StatementBudget;
  /** Peers' descriptors, for signing-key rotations. */
  peers: Pick<PeerService, 'followRotations'>;
  logger: Logger;
}

/** Our own index's change log is compacted about hourly (each category at most every 55 minutes), not at every five-minute cron. */
const COMPACTION_INTERVAL_MS = 55 * 60 * 1000;

/**
 * The jobs every Cron Trigger runs, in order (wrangler.toml `[triggers]`).
 * One failing job is logged and does not stop the others.
 */
export const SCHEDULED_JOBS: readonly { name: string; run: (deps: ScheduledDeps) => Promise<Record<string, number>> }[] = [
  // Records past retention purged, audit payloads past audit.retentionDays pruned: the Node job's twin.
  { name: 'retention', run: (deps) => runRetention(deps.retention) },
  // Every peer's descriptor looked at for a signing-key rotation (protocol/32-key-rotation.md).
  { name: 'peer-keys', run: (deps) => deps.peers.followRotations() },
  // Our index change log compacted to its window (hourly, like serve's job), and
  // replicas' changes merged: before the sync, which may spend the rest of the
  // budget on a transfer.
  { name: 'index-compaction', run: async (deps) => (await deps.index.compactAll(deps.budget, { minIntervalMs: COMPACTION_INTERVAL_MS }), {}) },
  // Every peer's replicas brought up to date (heads, then deltas or snapshots),
  // resuming where the previous invocation's budget ran out.
  { name: 'replica-sync', run: async (deps) => (await deps.index.syncAll(deps.budget), deps.budget ? { statementsLeft: deps.budget.left() } : {}) },
];

let ready: Promise<Node> | undefined;
/** Statements this isolate gave D1 (d1-count.ts). */
const d1Statements = { statements: 0 };
/** Background work of this isolate's requests and jobs (background.ts). */
const background = createBackground();

async function boot(env: WorkerEnv): Promise<Node> {
  const strings: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') strings[k] = v;
  const config = resolveConfig({ node: {} }, strings, 'Workers vars');
  // Every statement counted: replica work stops before D1's queries per invocation run out.
  const d1 = countingD1(env.DB, d1Statements);
  const perInvocation = queriesPerInvocation(env.CAIRN_D1_QUERIES_PER_INVOCATION);
  const db = new Kysely<Database>({ dialect: new CairnD1Dialect({ database: d1 }) });
  await migrateToLatest(db, { transactional: false });
  const logger = consoleLogger();
  const atomic = d1AtomicWriter(d1);
  const signer = ed25519Signer(secretKey(env, 'CAIRN_SIGNING_KEY'));
  const previous = previousSigningKey(env);
  // The key history: the current key, and a rotation made through the secrets.
  const now = systemClock.now();
  if (previous && previous.signer.keyId !== signer.keyId) {
    if (await recordConfiguredRotation(db, atomic, { previous: previous.signer.publicKey, next: signer, origin: originOf(config.node.url), overlapUntil: previous.overlapUntil, at: now, actor: 'system' })) {
      logger.info({ signingKeyId: signer.keyId, previousKeyId: previous.signer.keyId, overlapUntil: previous.overlapUntil.toISOString() }, 'signing key rotated (from the secrets)');
    }
  } else await recordCurrentKey(db, signer.publicKey, now);
  // Workers run the portable paths only (no runtime WASM compilation there):
  // createServices' defaults for tokens, evaluation and blinding.
  const services = createServices(
    {
      db,
      atomic,
      clock: systemClock,
      random: webRandom,
      logger,
      signer,
      retiringKeys: (at) => (previous && previous.signer.keyId !== signer.keyId && previous.overlapUntil.getTime() > at.getTime() ? [previous] : []),
      oprfSecretKey: secretKey(env, 'CAIRN_OPRF_KEY'),
      // OPRF key epochs (PROTOCOL.md §38): the node picks each epoch's key by its public key among the secrets at hand.
      oprfKeys: fixedKeyStore(
        typeof env.CAIRN_OPRF_KEY_NEXT === 'string' && env.CAIRN_OPRF_KEY_NEXT.trim() !== ''
          ? [secretKey(env, 'CAIRN_OPRF_KEY'), secretKey(env, 'CAIRN_OPRF_KEY_NEXT')]
          : [secretKey(env, 'CAIRN_OPRF_KEY')],
        'a Worker cannot delete its own secrets: put the active key into CAIRN_OPRF_KEY and delete CAIRN_OPRF_KEY_NEXT (wrangler secret put / delete); the old key is no longer used',
      ),
      // The background checkpointer waits in waitUntil: no timer outlives a request here.
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      // A search's catch-up or a merge after a delta shares the request's invocation.
      replicaBudget: () => requestBudget(d1Statements, perInvocation),
      // Kept alive by the response's waitUntil (fetch below), not left floating.
      defer: background.defer,
      // Work the runtime cut off never settles; a live sync moves at least once a request timeout.
      abandonAfterMs: abandonAfterMs(config.federation.timeoutMs),
    },
    config,
  );
  const app = createApp(services, { logger, clock: systemClock, random: webRandom, metrics: new Metrics(), version: VERSION });
  return {
    app,
    jobs: { retention: { db, atomic, clock: systemClock, auditRetentionDays: config.audit.retentionDays, audit: services.audit.log }, index: services.index, peers: services.peers, logger },
    checkpointer: services.audit.checkpointer,
  };
}

/** The isolate's node, booted once (a failed boot is retried on the next event). */
function node(env: WorkerEnv): Promise<Node> {
  ready ??= boot(env).catch((e: unknown) => {
    ready = undefined; // retry on the next event rather than caching a failure
    throw e;
  });
  return ready;
}

/** Run every scheduled job; returns false when one failed (each failure is logged). */
export async function runScheduledJobs(deps: ScheduledDeps, cron: string): Promise<boolean> {
  let ok = true;
  for (const job of SCHEDULED_JOBS) {
    const left = deps.budget?.left();
    try {
      const result = await job.run(deps);
      // What the job cost of the invocation's D1 queries, as counted (at most what was left).
      const statements = left === undefined ? {} : { statements: left - deps.budget!.left() };
      deps.logger.info({ job: job.name, cron, ...result, ...statements }, 'scheduled job done');
    } catch (e) {
      ok = false;
      deps.logger.error({ job: job.name, cron, code: isCairnError(e) ? e.code : 'internal', err: describe(e) }, 'scheduled job failed');
    }
  }
  return ok;
}

export default {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let n: Node;
    try {
      n = await node(env);
    } catch (e) {
      // A missing secret or a failed migration: say so in the log (where the
      // operator looks), and give clients a problem, not the runtime's error page.
      consoleLogger().error({ code: isCairnError(e) ? e.code : 'internal', err: describe(e), cause: isCairnError(e) ? describe(e.cause) : undefined }, 'the node could not start');
      return problemResponse(problemOf(new CairnError('internal', 'the node could not start', { cause: e })));
    }
    const response = await n.app.fetch(request, env, ctx);
    ctx.waitUntil(Promise.all([n.checkpointer.poke(), background.drain()]));
    return response;
  },

  /** Cron Triggers: the scheduled jobs (retention first). A failure makes the invocation fail, so the dashboard shows it. */
  async scheduled(controller: ScheduledController, env: WorkerEnv): Promise<void> {
    // Counted from the start: booting the isolate spends the invocation's queries too.
    const budget = scheduledBudget(d1Statements, queriesPerInvocation(env.CAIRN_D1_QUERIES_PER_INVOCATION));
    const { jobs } = await node(env);
    const ok = await runScheduledJobs({ ...jobs, budget }, controller.cron);
    // What the jobs started in the background (a merge after a sync's delta) ends within this invocation.
    await background.drain();
    if (!ok) throw new CairnError('internal', `a scheduled job failed (cron ${controller.cron}); see the log`);
  },
} satisfies ExportedHandler<WorkerEnv>;
