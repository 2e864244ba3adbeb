/**
 * A bound on the database statements one run of replica work may issue.
 * Cloudflare D1 allows a Worker invocation a fixed number of queries (1,000
 * on Workers Paid, 50 on Free), and a full sync of a large peer needs
 * thousands: with a budget, a sync stops at a page boundary while the next
 * unit would not fit, keeps what it stored, and the next run resumes there
 * (protocol/37-token-index.md, "Sync"). Node has no such bound and passes
 * none.
 */

/** Statements still allowed to the current run. */
export interface StatementBudget {
  /** Statements the run may still issue (never negative). */
  left(): number;
  /** The most this run could issue. */
  readonly total: number;
  /**
   * The most any run of the node could issue (default `total`): a unit
   * costing more never fits, and is replaced by one that pages (a full
   * transfer). A request's small budget does not decide that for the
   * Cron Trigger's larger one.
   */
  readonly ceiling?: number;
}

/** The most any run of the node could issue (see StatementBudget.ceiling). */
export const ceilingOf = (budget: StatementBudget): number => budget.ceiling ?? budget.total;

/**
 * A budget of `total` statements over a counter of statements issued (e.g.
 * every statement D1 was given since the isolate started): what was issued
 * since the budget was made counts against it, including statements of
 * other work sharing the counter, so it errs on the side of stopping early.
 */
export function statementBudget(total: number, issued: () => number, ceiling = total): StatementBudget {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`statement budget: expected an integer >= 1, got ${total}`);
  const start = issued();
  return { total, ceiling: Math.max(total, ceiling), left: () => Math.max(0, total - (issued() - start)) };
}

/** True when a unit of `cost` statements fits what is left; always true without a budget. */
export const fits = (budget: StatementBudget | undefined, cost: number): boolean => budget === undefined || cost <= budget.left();

/** `budget` less `statements` kept back for bookkeeping that follows the units it admits. */
export function reserve(budget: StatementBudget, statements: number): StatementBudget {
  return { total: Math.max(0, budget.total - statements), ceiling: Math.max(0, ceilingOf(budget) - statements), left: () => Math.max(0, budget.left() - statements) };
}
