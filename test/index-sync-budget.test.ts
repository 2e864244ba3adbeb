/**
 * Replica sync within a statement budget (budget.ts; a Worker invocation's
 * D1 queries): every statement the searcher's database is given is counted
 * as D1 counts them (reads, and each statement of a batch), each run stays
 * within its budget, a full transfer stops between pages and the next run
 * resumes it where it stopped, a delta or a merge that no run could hold
 * turns into a paged full transfer, and the replica ends verified (root and
 * chain against the signed head) and complete.
 */
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { AtomicWriter } from '../src/core/atomic.js';
import type { Database } from '../src/core/db/schema.js';
import { statementBudget } from '../src/core/federation/index/budget.js';
import { IndexService } from '../src/core/federation/index/service.js';
import { shardsWithin } from '../src/core/federation/index/sync.js';
import { silentLogger, webRandom } from '../src/core/ports.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { network, person, testClock, type TestNode } from './helpers/index-nodes.js';

const ALLOW = { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] };
/** D1 on Workers Free allows 50 queries an invocation. */
const TOTAL = 50;

/** XB's index service over the same database, with every statement counted. */
function countedIndex(net: ReturnType<typeof network>, xb: TestNode, clock: ReturnType<typeof testClock>) {
  const counter = { statements: 0 };
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: xb.sqlite.raw }),
    log: () => {
      counter.statements++;
    },
  });
  const inner = sqliteAtomicWriter(xb.sqlite.raw);
  const atomic: AtomicWriter = {
    run(statements) {
      counter.statements += statements.length;
      return inner.run(statements);
    },
  };
  const index = new IndexService({
    db,
    atomic,
    clock,
    logger: silentLogger,
    signer: xb.signer,
    nodeId: xb.nodeId,
    client: { signer: xb.signer, clock, random: webRandom, fetch: net.router, timeoutMs: 10_000, maxResponseBytes: 16 * 1024 * 1024 },
  });
  /** One run (a Cron Trigger invocation): syncAll within a fresh budget; returns the statements it issued. */
  const run = async (what: 'sync' | 'compact' = 'sync') => {
    const before = counter.statements;
    const budget = statementBudget(TOTAL, () => counter.statements);
    if (what === 'sync') await index.syncAll(budget);
    else await index.compactAll(budget);
    return counter.statements - before;
  };
  return { index, run, close: () => db.destroy() };
}

const fingerprints = (n: TestNode, category: string) =>
  (n.sqlite.raw.prepare('select fingerprint from tokens where category = ?').all(category) as { fingerprint: Buffer }[]).map((t) => new Uint8Array(t.fingerprint));

describe('replica sync within a statement budget', () => {
  let net: ReturnType<typeof network>;
  afterEach(async () => {
    await net?.close();
  });

  /** XA with `records` records, which lets XB fetch two categories; XB's counted index service. */
  async function twoNodes(records: number) {
    net = network();
    const { clock, xa, xb } = await net.twoNodes(ALLOW);
    await xa.put(Array.from({ length: records }, (_, i) => person(`A-${i}`, 'missing_child', i)));
    return { xa, xb, peerA: await net.peerOf(xb, xa), counted: countedIndex(net, xb, clock) };
  }

  /** Runs until both replicas are ready, each within the budget; returns how many it took. */
  async function untilReady(counted: ReturnType<typeof countedIndex>, peerId: string): Promise<number> {
    for (let i = 0; i < 40; i++) {
      expect(await counted.run()).toBeLessThanOrEqual(TOTAL);
      const s = await counted.index.states(peerId);
      if (s.length === 2 && s.every((x) => x.status === 'ready')) return i + 1;
    }
    throw new Error('the replica never got ready');
  }

  it('stops between pages, resumes run after run where it stopped, and ends verified and complete', async () => {
    const { xa, xb, peerA, counted } = await twoNodes(200);
    try {
      const progress: number[] = [];
      let runs = 0;
      let most = 0;
      for (; runs < 40; ) {
        const used = await counted.run();
        runs++;
        most = Math.max(most, used);
        const states = await counted.index.states(peerA.id);
        const mc = states.find((s) => s.category === 'missing_child');
        if (mc) progress.push(mc.shardsDone);
        if (states.length === 2 && states.every((s) => s.status === 'ready')) break;
        // Between runs a search finds the replica syncing, never a no-hit.
        if (mc?.status === 'syncing') expect((await counted.index.lookup(peerA.id, ['missing_child'], fingerprints(xa, 'missing_child'))).status.missing_child).toBe('syncing');
      }
      expect(most).toBeLessThanOrEqual(TOTAL);
      // Several runs, each going on from where the last stopped.
      expect(runs).toBeGreaterThanOrEqual(3);
      expect(progress.length).toBeGreaterThanOrEqual(3);
      for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
      expect(new Set(progress.filter((p) => p > 0 && p < 65536)).size).toBeGreaterThanOrEqual(2);

      const states = await counted.index.states(peerA.id);
      expect(states.map((s) => [s.category, s.status])).toEqual([
        ['missing_child', 'ready'],
        ['unaccompanied_minor', 'ready'],
      ]);
      const fps = fingerprints(xa, 'missing_child');
      expect(states[0]!.count).toBe(fps.length);
      const found = await counted.index.lookup(peerA.id, ['missing_child'], fps);
      expect(found.hits).toHaveLength(fps.length);
      // One transfer, never restarted: one sync entry per category in XB's audit log.
      expect(xb.sqlite.raw.prepare("select count(*) as n from audit_entries where type = 'index.sync'").get()).toEqual({ n: 2 });
    } finally {
      await counted.close();
    }
  });

  it('finishes the version it began while the owner moves on, then catches up with deltas', async () => {
    const { xa, xb, peerA, counted } = await twoNodes(200);
    try {
      await counted.run();
      const first = (await counted.index.states(peerA.id)).find((s) => s.category === 'missing_child')!;
      expect(first.status).toBe('syncing');
      expect(first.shardsDone).toBeGreaterThan(0);
      // XA changes meanwhile: a new record and a deletion.
      await xa.put([person('A-new', 'missing_child', 500)]);
      await xa.remove('A-3');
      await untilReady(counted, peerA.id);
      const mc = (await counted.index.states(peerA.id)).find((s) => s.category === 'missing_child')!;
      expect(mc.status).toBe('ready');
      const latest = (await xa.index.owner.head('missing_child')).head.version;
      expect(mc.version).toBe(latest);
      // The transfer finished the version it began (one index.sync entry, of that version); deltas did the rest.
      const syncs = (xb.sqlite.raw.prepare("select entry from audit_entries where type = 'index.sync'").all() as { entry: string }[]).map((e) => JSON.parse(e.entry).data).filter((d) => d.category === 'missing_child');
      expect(syncs).toHaveLength(1);
      expect(syncs[0].version).toBeLessThan(latest);
      const now = fingerprints(xa, 'missing_child');
      expect(mc.count).toBe(now.length);
      expect((await counted.index.lookup(peerA.id, ['missing_child'], now)).hits).toHaveLength(now.length);
    } finally {
      await counted.close();
    }
  });

  it('turns a delta or a merge that no run could hold into a paged full transfer', async () => {
    const { xa, xb, peerA, counted } = await twoNodes(20);
    try {
      await untilReady(counted, peerA.id);
      // About 1,300 changes: more than a run of 50 statements can insert.
      await xa.put(Array.from({ length: 100 }, (_, i) => person(`B-${i}`, 'missing_child', 1000 + i)));
      await counted.run();
      const after = (await counted.index.states(peerA.id)).find((s) => s.category === 'missing_child')!;
      expect(['stale', 'syncing']).toContain(after.status);
      expect(await untilReady(counted, peerA.id)).toBeGreaterThanOrEqual(1);
      let fps = fingerprints(xa, 'missing_child');
      expect((await counted.index.states(peerA.id))[0]!.count).toBe(fps.length);

      // A delta applied outside any budget (an answer's, on Node) leaves more unmerged changes than a run can merge.
      const v0 = (await counted.index.replicaVersions(peerA.id)).missing_child!;
      await xa.put(Array.from({ length: 100 }, (_, i) => person(`C-${i}`, 'missing_child', 2000 + i)));
      const delta = await xa.index.changesSince('missing_child', v0);
      expect(await counted.index.applyDelta(peerA, delta)).toBe('ready');
      await counted.run('compact');
      expect((await counted.index.states(peerA.id))[0]).toMatchObject({ category: 'missing_child', status: 'stale' });
      await untilReady(counted, peerA.id);
      fps = fingerprints(xa, 'missing_child');
      expect((await counted.index.states(peerA.id))[0]!.count).toBe(fps.length);
      expect((await counted.index.lookup(peerA.id, ['missing_child'], fps)).hits).toHaveLength(fps.length);
      expect(xb.sqlite.raw.prepare('select count(*) as n from replica_changes').get()).toEqual({ n: 0 });
    } finally {
      await counted.close();
    }
  });

  it('cuts a page before the first shard that would not fit', () => {
    const fp = (shard: number, low: number) => [shard >> 8, shard & 0xff, low, 0, 0, 0, 0, 0];
    const packed = new Uint8Array([...fp(10, 1), ...fp(10, 2), ...fp(12, 0), ...fp(40, 0), ...fp(40, 9)]);
    expect(shardsWithin(packed, 4096, 3)).toEqual({ toShard: 4096, packed });
    const two = shardsWithin(packed, 4096, 2);
    expect(two.toShard).toBe(40);
    expect([...two.packed]).toEqual([...packed.subarray(0, 24)]);
    expect(shardsWithin(packed, 4096, 1).toShard).toBe(12);
    expect(shardsWithin(new Uint8Array(0), 4096, 1)).toEqual({ toShard: 4096, packed: new Uint8Array(0) });
  });
});
