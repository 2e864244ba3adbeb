/**
 * AtomicWriter over better-sqlite3: one synchronous transaction, with
 * prepared statements cached by their SQL text (the core's statements have
 * fixed text and vary only in parameters).
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import type { AtomicWriter } from '../core/atomic.js';

const CACHE_LIMIT = 256;

export function sqliteAtomicWriter(raw: BetterSqlite3.Database): AtomicWriter {
  const cache = new Map<string, BetterSqlite3.Statement>();
  const prepare = (text: string) => {
    let s = cache.get(text);
    if (!s) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      s = raw.prepare(text);
      cache.set(text, s);
    }
    return s;
  };
  const runAll = raw.transaction((statements: readonly CompiledQuery[]) =>
    statements.map((q) => {
      const s = prepare(q.sql);
      const params = q.parameters as unknown[];
      if (s.reader) return s.all(...params) as Record<string, unknown>[];
      s.run(...params);
      return [];
    }),
  );
  return {
    async run(statements) {
      return runAll(statements);
    },
  };
}
