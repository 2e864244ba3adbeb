/**
 * Work a response need not wait for, on Workers: the replica sync that
 * `peers add` or a policy change starts, the rest of a search's catch-up
 * once its wait is over, a merge after a large delta, the witnessing of a
 * peer's checkpoint. The runtime may cancel a promise still pending after
 * the response unless it was handed to the invocation's `waitUntil`, and
 * the isolate's services are shared by its requests, so each task goes into
 * one set and every response's `waitUntil` waits for the set to empty.
 * A task cut off anyway (the runtime's limit after the response) leaves a
 * replica transfer that the next search or Cron Trigger resumes
 * (protocol/37 "Sync (the searcher)").
 */

export interface Background {
  /** Keep `task` running past the response (a rejection is the task's own to log). */
  defer(task: Promise<void>): void;
  /** Settles once every task deferred so far, and every task they deferred meanwhile, has settled. */
  drain(): Promise<void>;
  /** Tasks not yet settled. */
  readonly pending: number;
}

export function createBackground(): Background {
  const tasks = new Set<Promise<void>>();
  return {
    defer(task) {
      const tracked = task.then(
        () => undefined,
        () => undefined,
      );
      tasks.add(tracked);
      void tracked.finally(() => tasks.delete(tracked));
    },
    async drain() {
      while (tasks.size > 0) await Promise.all([...tasks]);
    },
    get pending() {
      return tasks.size;
    },
  };
}
