/**
 * AtomicWriter over Cloudflare D1: D1 has no interactive transactions, but a
 * batch runs its statements in one implicit transaction (all or none).
 */
import type { CompiledQuery } from 'kysely';
import type { AtomicWriter } from '../core/atomic.js';

export function d1AtomicWriter(d1: D1Database): AtomicWriter {
  return {
    async run(statements: readonly CompiledQuery[]) {
      if (statements.length === 0) return [];
      const results = await d1.batch<Record<string, unknown>>(statements.map((q) => d1.prepare(q.sql).bind(...(q.parameters as unknown[]))));
      return results.map((r) => r.results ?? []);
    },
  };
}
