/**
 * Work a response need not wait for, on Workers: the replica sync that
 * `peers add` or a policy change starts, the rest of a search's catch-up
 * once its wait is over, a merge after a large delta, the witnessing of a
 * peer's checkpoint. The runtime may cancel a promise still pending after
 * the response unless it was handed to the invocation's `waitUntil`, and
 * the isolate's services are shared by its requests, so each task goes into
 * one set and every response's `waitUntil` waits for the set to empty.
 *
 * A task the runtime cuts off anyway (past its limit after the response)
 * never settles: its promise is abandoned, not rejected. So a task is
 * waited for only until `maxAgeMs` after it was deferred, and then
 * forgotten; otherwise one such task would hold every later invocation of
 * the isolate until the runtime ended it too. The replica transfer it was
 * part of resumes at the next Cron Trigger (protocol/37 "Sync (the
 * searcher)").
 */

/** About the runtime's own limit on `waitUntil` work after a response. */
export const BACKGROUND_MAX_AGE_MS = 30_000;

/**
 * How long replica work (a sync, a merge, a replica's lock) may go without
 * moving before the isolate's later requests stop waiting for it
 * (src/core/in-flight.ts): twice the runtime's limit, or twice the
 * federation request timeout if that is longer, since a live sync moves at
 * every page and delta and each page's request ends within the timeout.
 */
export const abandonAfterMs = (federationTimeoutMs: number): number => 2 * Math.max(BACKGROUND_MAX_AGE_MS, federationTimeoutMs);

export interface Background {
  /** Keep `task` running past the response (a rejection is the task's own to log). */
  defer(task: Promise<void>): void;
  /**
   * Settles once every task deferred so far, and every task they deferred
   * meanwhile, has settled or is older than the age limit.
   */
  drain(): Promise<void>;
  /** Tasks neither settled nor forgotten. */
  readonly pending: number;
}

interface Task {
  readonly settled: Promise<void>;
  readonly at: number;
}

export function createBackground(opts: { maxAgeMs?: number; now?: () => number } = {}): Background {
  const maxAgeMs = opts.maxAgeMs ?? BACKGROUND_MAX_AGE_MS;
  const now = opts.now ?? Date.now;
  const tasks = new Set<Task>();
  /** Drop the tasks past the age limit; the time until the youngest of the rest reaches it. */
  const prune = (): number => {
    let wait = 0;
    for (const t of tasks) {
      const left = t.at + maxAgeMs - now();
      if (left <= 0) tasks.delete(t);
      else wait = Math.max(wait, left);
    }
    return wait;
  };
  return {
    defer(task) {
      const t: Task = {
        settled: task.then(
          () => undefined,
          () => undefined,
        ),
        at: now(),
      };
      tasks.add(t);
      void t.settled.then(() => tasks.delete(t));
    },
    async drain() {
      for (let wait = prune(); tasks.size > 0; wait = prune()) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)));
        try {
          await Promise.race([Promise.all([...tasks].map((t) => t.settled)), late]);
        } finally {
          if (timer !== undefined) clearTimeout(timer);
        }
      }
    },
    get pending() {
      prune();
      return tasks.size;
    },
  };
}
