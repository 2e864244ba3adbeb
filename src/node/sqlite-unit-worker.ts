/**
 * Worker thread of sqlite-unit.ts: runs one atomic unit of compiled
 * statements on its own connection to the node's database file, in one
 * immediate transaction, and answers with the rows of each statement's
 * RETURNING clause (the same contract as the main thread's AtomicWriter).
 *
 * Messages: { id, statements: [{ sql, parameters }] } in; { id, rows } or
 * { id, error: { message, code } } out. `code` is SQLite's (SQLITE_BUSY…),
 * so the caller maps it as it maps its own connection's errors.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';

export interface UnitWorkerInit {
  readonly file: string;
  /** How long this connection waits for the serving connection's write lock. */
  readonly busyTimeoutMs: number;
}

export interface UnitRequest {
  readonly id: number;
  readonly statements: readonly { sql: string; parameters: readonly unknown[] }[];
}

export type UnitReply = { id: number; rows: Record<string, unknown>[][] } | { id: number; error: { message: string; code?: string } };

const init = workerData as UnitWorkerInit;
const db = new BetterSqlite3(init.file);
db.pragma('foreign_keys = ON');
db.pragma(`busy_timeout = ${init.busyTimeoutMs}`);

const runAll = db.transaction((statements: UnitRequest['statements']) =>
  statements.map((q) => {
    const s = db.prepare(q.sql);
    if (s.reader) return s.all(...q.parameters) as Record<string, unknown>[];
    s.run(...q.parameters);
    return [];
  }),
);

parentPort!.on('message', (m: UnitRequest | 'close') => {
  if (m === 'close') {
    db.close();
    parentPort!.close();
    return;
  }
  let reply: UnitReply;
  try {
    reply = { id: m.id, rows: runAll.immediate(m.statements) };
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    reply = { id: m.id, error: { message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) } };
  }
  parentPort!.postMessage(reply);
});
