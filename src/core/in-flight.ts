/**
 * Work in flight in this process that later callers join or queue behind:
 * a peer's replica sync, a background merge, the lock on one replica.
 *
 * On Workers the runtime cuts off what a request left running past its
 * limit, and the promise of such work is abandoned, never settled
 * (src/workers/background.ts). A caller that joined it would wait for good,
 * and so would every later one in the isolate. So, given `abandonAfterMs`,
 * work that has not moved for that long counts as abandoned and callers
 * stop waiting for it. Without it (Node, where nothing is cut off) they
 * wait as long as the work takes. Work wrongly taken for abandoned only
 * runs beside its successor, as it may anyway in another isolate: the
 * replica's own checks (versions, chain and root against the signed head)
 * keep that safe.
 */

export interface InFlight<T> {
  readonly done: Promise<T>;
  /** When the work last moved (started, or reported progress), in ms since the epoch. */
  moved: number;
}

/** Work in flight, started now. */
export function inFlight<T>(done: Promise<T>, now = Date.now()): InFlight<T> {
  return { done, moved: now };
}

/** True when `work` has not moved for `abandonAfterMs` (never without a limit). */
export function isAbandoned(work: InFlight<unknown>, abandonAfterMs: number | undefined, now = Date.now()): boolean {
  return abandonAfterMs !== undefined && now - work.moved >= abandonAfterMs;
}

/**
 * Wait for `work` while it keeps moving: its outcome (a rejection rethrown),
 * or `abandoned` once it has not moved for `abandonAfterMs`. Without a limit
 * this is `work.done`.
 */
export async function whileMoving<T>(work: InFlight<T>, abandonAfterMs: number | undefined): Promise<{ value: T } | 'abandoned'> {
  if (abandonAfterMs === undefined) return { value: await work.done };
  const settled = work.done.then((value) => ({ value }));
  for (;;) {
    const left = work.moved + abandonAfterMs - Date.now();
    if (left <= 0) {
      settled.catch(() => undefined); // nobody waits for it any more
      return 'abandoned';
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), left);
    });
    try {
      const out = await Promise.race([settled, late]);
      if (out !== undefined) return out;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }
}
