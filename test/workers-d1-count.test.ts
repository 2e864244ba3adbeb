/**
 * The Worker's count of D1 statements (src/workers/d1-count.ts), over a
 * stand-in for D1's API: every statement kysely-d1 runs and every statement
 * of a batch counts, as D1 counts them against an invocation's queries; the budgets made from the
 * count; the CAIRN_D1_QUERIES_PER_INVOCATION var. The real D1 path, with a
 * replica transfer resumed across Cron Trigger invocations, runs in
 * `npm run test:workers`.
 */
import { Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../src/core/errors.js';
import { countingD1, queriesPerInvocation, requestBudget, scheduledBudget } from '../src/workers/d1-count.js';
import { CairnD1Dialect } from '../src/workers/d1-dialect.js';

/** The part of D1's API that kysely-d1 and the atomic writer use, answering every statement with one row. */
function fakeD1() {
  const ran: string[] = [];
  const statement = (query: string) => {
    const s = {
      bind: () => s,
      all: async () => {
        ran.push(query);
        return { results: [{ one: 1 }], success: true, meta: { changes: 0, last_row_id: 0 } };
      },
      run: async () => s.all(),
      query,
    };
    return s;
  };
  const d1 = {
    prepare: statement,
    batch: async (statements: { all(): Promise<unknown> }[]) => Promise.all(statements.map((s) => s.all())),
    exec: async (_query: string) => ({ count: 0, duration: 0 }),
  };
  return { d1, ran };
}

describe("the Worker's count of D1 statements", () => {
  it('counts each query kysely-d1 runs and each statement of a batch', async () => {
    const { d1, ran } = fakeD1();
    const counter = { statements: 0 };
    const counted = countingD1(d1, counter);
    const db = new Kysely<any>({ dialect: new CairnD1Dialect({ database: counted as never }) });
    await sql`select 1 as one`.execute(db);
    expect(counter.statements).toBe(1);
    // A batch (what the atomic writer sends) prepares each of its statements.
    await counted.batch(['select 2', 'select 3', 'select 4'].map((q) => counted.prepare(q)));
    expect(counter.statements).toBe(4);
    expect(ran).toHaveLength(4);
    // Everything else passes through untouched.
    expect(await counted.exec('select 5')).toEqual({ count: 0, duration: 0 });
    expect(counter.statements).toBe(4);
  });

  it('makes budgets from the count: a Cron Trigger may use 90% of the queries, a request 50% with the Cron Trigger\u2019s ceiling', () => {
    const counter = { statements: 7 };
    const scheduled = scheduledBudget(counter, 1000);
    const request = requestBudget(counter, 1000);
    expect(scheduled).toMatchObject({ total: 900, ceiling: 900 });
    expect(request).toMatchObject({ total: 500, ceiling: 900 });
    counter.statements += 450;
    expect(scheduled.left()).toBe(450);
    expect(request.left()).toBe(50);
    counter.statements += 100;
    expect(request.left()).toBe(0);
  });

  it('reads CAIRN_D1_QUERIES_PER_INVOCATION, and names the var for a bad value', () => {
    expect(queriesPerInvocation(undefined)).toBe(1000);
    expect(queriesPerInvocation('')).toBe(1000);
    expect(queriesPerInvocation(' 50 ')).toBe(50);
    for (const bad of ['fifty', '19', '-5', '1e3', 50]) {
      let error: unknown;
      try {
        queriesPerInvocation(bad);
      } catch (e) {
        error = e;
      }
      expect(isCairnError(error, 'config_invalid')).toBe(true);
      expect((error as Error).message).toContain('CAIRN_D1_QUERIES_PER_INVOCATION');
    }
  });
});
