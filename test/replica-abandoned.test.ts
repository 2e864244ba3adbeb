/**
 * Replica work the runtime cut off (src/core/in-flight.ts). On Workers a
 * sync or a merge that outlives its invocation is abandoned: its promise
 * never settles. Here the cut is a peer request or a database query that
 * never answers, on real nodes over SQLite. With `abandonAfterMs` (what the
 * Worker passes) a later sync of the peer, or a later writer of the
 * replica, goes on without it and the replica ends ready; without it (Node)
 * they still wait for the work they joined.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../src/core/db/schema.js';
import { inFlight, isAbandoned, whileMoving } from '../src/core/in-flight.js';
import { IndexService } from '../src/core/federation/index/service.js';
import { silentLogger, webRandom } from '../src/core/ports.js';
import { network, person } from './helpers/index-nodes.js';

const ALLOW = { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] };
const ABANDON_AFTER_MS = 300;
const never = <T>() => new Promise<T>(() => undefined);

/**
 * XB's database as D1 serves it: every query on its own, none waiting for
 * another (kysely's SQLite driver holds its one connection until a query's
 * result is read, so one query that never answers would stall the rest).
 * While `cut.db` is set, queries never answer.
 */
function d1Like(raw: BetterSqlite3.Database, cut: { db: boolean }): Kysely<Database> {
  const connection: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      if (cut.db) await never();
      const stmt = raw.prepare(q.sql);
      if (stmt.reader) return { rows: stmt.all(q.parameters) as R[] };
      return { rows: [], numAffectedRows: BigInt(stmt.run(q.parameters).changes) };
    },
    streamQuery: () => {
      throw new Error('not used by the replica code');
    },
  };
  const none = async () => {
    throw new Error('no transactions: the replica code writes through the atomic writer');
  };
  const driver: Driver = {
    init: async () => undefined,
    acquireConnection: async () => connection,
    beginTransaction: none,
    commitTransaction: none,
    rollbackTransaction: none,
    releaseConnection: async () => undefined,
    destroy: async () => undefined,
  };
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => driver,
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}

/** `p`'s outcome, or `pending` if it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

describe('in-flight work', () => {
  it('is waited for while it moves, and given up once it has not moved for the limit', async () => {
    const work = inFlight(never<number>());
    // Moving every 25 ms (a loaded machine may stretch that several times over): still waited for after three times the limit.
    const ticker = setInterval(() => (work.moved = Date.now()), 25);
    expect(await within(whileMoving(work, 200), 600)).toBe('pending');
    clearInterval(ticker);
    // Stopped: waited for until the limit has passed since it last moved, then given up.
    const t0 = Date.now();
    work.moved = t0;
    expect(await whileMoving(work, 200)).toBe('abandoned');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(195);
    expect(isAbandoned(work, 200)).toBe(true);
    // Without a limit (Node) nothing is abandoned.
    expect(isAbandoned(work, undefined)).toBe(false);
    expect(await within(whileMoving(work, undefined), 300)).toBe('pending');
  });

  it('passes on the outcome of work that settles, a rejection included', async () => {
    expect(await whileMoving(inFlight(Promise.resolve(7)), 100)).toEqual({ value: 7 });
    await expect(whileMoving(inFlight(Promise.reject(new Error('peer refused'))), 100)).rejects.toThrow('peer refused');
  });
});

describe('replica work cut off by the runtime', () => {
  let net: ReturnType<typeof network>;
  afterEach(async () => {
    await net?.close();
  });

  /** XA holds records XB may replicate; XB's index service over a fetch and a database that can be made to hang. */
  async function setUp(abandonAfterMs: number | undefined) {
    net = network();
    const { clock, xa, xb } = await net.twoNodes(ALLOW);
    await xa.put(Array.from({ length: 30 }, (_, i) => person(`A-${i}`, 'missing_child', i)));
    const cut = { fetch: false, db: false };
    const fetchCut: typeof fetch = (input, init) => (cut.fetch ? never<Response>() : net.router(input, init));
    const index = new IndexService({
      db: d1Like(xb.sqlite.raw, cut),
      atomic: xb.importer.atomic,
      clock,
      logger: silentLogger,
      signer: xb.signer,
      nodeId: xb.nodeId,
      client: { signer: xb.signer, clock, random: webRandom, fetch: fetchCut, timeoutMs: 10_000, maxResponseBytes: 16 * 1024 * 1024 },
      ...(abandonAfterMs !== undefined ? { abandonAfterMs } : {}),
    });
    return { xa, xb, index, cut, peerA: await net.peerOf(xb, xa) };
  }

  it('starts a sync again once the one it would join has not moved for the limit, and the replica ends ready', async () => {
    const { index, cut, peerA } = await setUp(ABANDON_AFTER_MS);
    cut.fetch = true; // the first sync's request to the peer never answers, as after a cut-off
    let firstSettled = false;
    void index.sync(peerA.id).finally(() => (firstSettled = true));
    await new Promise((r) => setTimeout(r, 20));
    cut.fetch = false;
    const second = await within(index.sync(peerA.id), 10_000);
    expect(second, 'the second sync joined the abandoned one').not.toBe('pending');
    expect(second).toEqual({ missing_child: 'ready', unaccompanied_minor: 'ready' });
    expect(firstSettled).toBe(false);
    expect((await index.states(peerA.id)).map((s) => s.status)).toEqual(['ready', 'ready']);
  });

  it('without a limit (Node) a sync still joins the one in flight', async () => {
    const { index, cut, peerA } = await setUp(undefined);
    cut.fetch = true;
    void index.sync(peerA.id);
    await new Promise((r) => setTimeout(r, 20));
    cut.fetch = false;
    expect(await within(index.sync(peerA.id), 3 * ABANDON_AFTER_MS)).toBe('pending');
  });

  it("writes a replica once the lock's holder has not moved for the limit", async () => {
    const { index, cut, peerA } = await setUp(ABANDON_AFTER_MS);
    expect(await index.sync(peerA.id)).toEqual({ missing_child: 'ready', unaccompanied_minor: 'ready' });
    cut.db = true; // the first merge's first query never answers: it holds the replica's lock for good
    let firstSettled = false;
    void index.replicas.merge(peerA.id, 'missing_child').finally(() => (firstSettled = true));
    await new Promise((r) => setTimeout(r, 20));
    cut.db = false;
    const second = await within(index.replicas.merge(peerA.id, 'missing_child'), 10_000);
    expect(second, 'the second merge queued behind the abandoned one').not.toBe('pending');
    expect(firstSettled).toBe(false);
    expect((await index.states(peerA.id)).find((s) => s.category === 'missing_child')?.status).toBe('ready');
  });

  it('without a limit (Node) a writer still queues behind the holder', async () => {
    const { index, cut, peerA } = await setUp(undefined);
    await index.sync(peerA.id);
    cut.db = true;
    void index.replicas.merge(peerA.id, 'missing_child');
    await new Promise((r) => setTimeout(r, 20));
    cut.db = false;
    expect(await within(index.replicas.merge(peerA.id, 'missing_child'), 3 * ABANDON_AFTER_MS)).toBe('pending');
  });
});
