/**
 * The Worker's background set (src/workers/background.ts): every response's
 * waitUntil waits on `drain()`, so it must not settle while a task, or a
 * task that task deferred, is still running, and one task's failure must
 * not end the wait for the others. On the real runtime, `npm run test:workers`
 * checks that the Worker witnessed its Node peer's checkpoints, which it now
 * does after the search has answered, in the response's waitUntil.
 */
import { describe, expect, it } from 'vitest';
import { createBackground } from '../src/workers/background.js';

function later<T>(value: T, ms = 5): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

describe('Worker background tasks', () => {
  it('drains only when the tasks deferred meanwhile have settled too', async () => {
    const bg = createBackground();
    const done: string[] = [];
    bg.defer(
      later('first').then((v) => {
        done.push(v);
        // A sync that starts a merge once it ends (IndexService.#mergeLater).
        bg.defer(later('second', 10).then((w) => void done.push(w)));
      }),
    );
    expect(bg.pending).toBe(1);
    await bg.drain();
    expect(done).toEqual(['first', 'second']);
    expect(bg.pending).toBe(0);
  });

  it('waits for the other tasks when one fails, and does not reject', async () => {
    const bg = createBackground();
    const done: string[] = [];
    bg.defer(Promise.reject(new Error('peer unreachable')));
    bg.defer(later('sync', 15).then((v) => void done.push(v)));
    await expect(bg.drain()).resolves.toBeUndefined();
    expect(done).toEqual(['sync']);
  });

  it('forgets a task the runtime abandoned (never settles) once it is past the age limit', async () => {
    const bg = createBackground({ maxAgeMs: 40 });
    const done: string[] = [];
    bg.defer(new Promise<void>(() => {})); // cut off by the runtime: neither resolves nor rejects
    bg.defer(later('merge', 5).then((v) => void done.push(v)));
    const t0 = Date.now();
    await bg.drain();
    expect(done).toEqual(['merge']);
    // It was waited for until the limit (timers may fire a millisecond early), then dropped:
    // a later response's drain has nothing to wait for.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(30);
    expect(bg.pending).toBe(0);
  });

  it('settles at once with nothing deferred', async () => {
    const bg = createBackground();
    let settled = false;
    await bg.drain().then(() => (settled = true));
    expect(settled).toBe(true);
  });
});
