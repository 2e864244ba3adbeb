/**
 * An AtomicWriter for units too long for the serving thread: an OPRF
 * activation rewrites every token and every index change, about 100 s for a
 * million records. better-sqlite3 runs a statement on the calling thread,
 * so such a unit on the node's own connection stops everything else the
 * process does for that long: health checks, the console, answers to peers.
 *
 * Here the unit runs on a worker thread with its own connection to the same
 * file (sqlite-unit-worker.ts), one unit at a time. While it holds the write
 * lock, the serving connection does not wait for it: its busy timeout is
 * set to zero, so a write fails at once as busy (503 `unavailable`, "try
 * again shortly") instead of freezing the event loop for the busy timeout,
 * and reads go on from the last committed state (WAL). The timeout is put
 * back when the unit ends, committed or not. Other connections of this
 * process see the commit at their next read, as they see another process's.
 */
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { AtomicWriter } from '../core/atomic.js';
import { CairnError } from '../core/errors.js';
import { resolveWorkerUrl, WORKER_EXEC_ARGV } from './oprf/worker-url.js';
import type { UnitReply, UnitRequest, UnitWorkerInit } from './sqlite-unit-worker.js';

/** How long the unit's connection waits for a write the serving connection has begun. */
const UNIT_BUSY_TIMEOUT_MS = 30_000;

/** An error of the unit's connection, with SQLite's code kept (isDatabaseBusy reads it). */
function unitError(e: { message: string; code?: string }): Error {
  return Object.assign(new Error(e.message), e.code !== undefined ? { code: e.code } : {});
}

/** Run `statements` in one transaction on a fresh worker's connection to `file`. */
function runInWorker(file: string, statements: UnitRequest['statements']): Promise<Record<string, unknown>[][]> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(resolveWorkerUrl(import.meta.url, 'sqlite-unit-worker.js'), {
      workerData: { file, busyTimeoutMs: UNIT_BUSY_TIMEOUT_MS } satisfies UnitWorkerInit,
      execArgv: WORKER_EXEC_ARGV,
    });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      worker.postMessage('close');
    };
    worker.on('message', (m: UnitReply) => settle(() => ('error' in m ? reject(unitError(m.error)) : resolve(m.rows))));
    worker.on('error', (e) => settle(() => reject(new CairnError('internal', `the database worker failed: ${e.message}`, { cause: e }))));
    worker.on('exit', (code) => settle(() => reject(new CairnError('internal', `the database worker stopped (exit ${code}) before its unit ended; nothing of it was committed`))));
    worker.postMessage({ id: 1, statements } satisfies UnitRequest);
  });
}

/**
 * The background writer over the database at `file`, whose serving
 * connection is `raw`. An in-memory database has no second connection: its
 * units run on `raw` itself.
 */
export function backgroundAtomicWriter(file: string, raw: BetterSqlite3.Database, fallback: AtomicWriter): AtomicWriter {
  if (file === ':memory:' || file === '') return fallback;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(statements) {
      const unit = statements.map((q) => ({ sql: q.sql, parameters: q.parameters as unknown[] }));
      const next = queue.then(async () => {
        const waited = raw.pragma('busy_timeout', { simple: true }) as number;
        raw.pragma('busy_timeout = 0');
        try {
          return await runInWorker(file, unit);
        } finally {
          raw.pragma(`busy_timeout = ${waited}`);
        }
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };
}
