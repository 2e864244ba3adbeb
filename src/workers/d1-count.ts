/**
 * D1 counts every statement against its invocation's query limit (1,000 on
 * Workers Paid, 50 on Free), the statements of a batch included. This
 * wrapper counts the statements the isolate prepares (kysely-d1 prepares
 * each query once, a batch prepares each of its statements), so replica
 * work can stop before the limit (core/federation/index/budget.ts).
 */
import { CairnError } from '../core/errors.js';
import { statementBudget, type StatementBudget } from '../core/federation/index/budget.js';

/** The limit of Workers Paid (developers.cloudflare.com/d1/platform/limits). */
export const D1_QUERIES_PER_INVOCATION = 1000;

/**
 * Share of an invocation's queries that a Cron Trigger may use, counted from
 * its start (booting the isolate and every job included); the rest is a
 * margin for what the count cannot see.
 */
const SCHEDULED_SHARE = 0.9;
/** Share a request's own replica work may use (a search's catch-up, a merge after a delta): the request needs the rest. */
const REQUEST_SHARE = 0.5;

/** `d1` (a D1Database) with every prepared statement counted in `counter.statements`. */
export function countingD1<D extends { prepare(query: string): unknown }>(d1: D, counter: { statements: number }): D {
  return new Proxy(d1, {
    get(target, property) {
      if (property === 'prepare') {
        return (query: string) => {
          counter.statements++;
          return target.prepare(query);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** D1 queries per invocation from the CAIRN_D1_QUERIES_PER_INVOCATION var (default: Workers Paid's 1,000). */
export function queriesPerInvocation(value: unknown): number {
  if (value === undefined || value === '') return D1_QUERIES_PER_INVOCATION;
  const n = typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 20) {
    throw new CairnError('config_invalid', `CAIRN_D1_QUERIES_PER_INVOCATION must be a whole number of at least 20 (D1 allows 1000 on Workers Paid, 50 on Free), got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The budget of a Cron Trigger invocation starting now, over an isolate's `counter`. */
export function scheduledBudget(counter: { statements: number }, perInvocation: number): StatementBudget {
  return statementBudget(Math.floor(perInvocation * SCHEDULED_SHARE), () => counter.statements);
}

/** The budget of a request's replica work starting now; a unit too large for it may still fit a Cron Trigger's. */
export function requestBudget(counter: { statements: number }, perInvocation: number): StatementBudget {
  return statementBudget(Math.floor(perInvocation * REQUEST_SHARE), () => counter.statements, Math.floor(perInvocation * SCHEDULED_SHARE));
}
