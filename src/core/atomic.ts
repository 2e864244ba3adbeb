/**
 * The storage port for writes that must land together: an act and its audit
 * entry, a record and its tokens. The core compiles the statements with
 * kysely; the runtime runs them as one SQLite transaction (Node) or one D1
 * batch (Workers). Statements in a unit are blind writes (no reads between
 * them), which is what makes a D1 batch sufficient.
 */
import type { CompiledQuery } from 'kysely';

export interface AtomicWriter {
  /**
   * Run all statements atomically, in order: all land or none. Returns, per
   * statement, the rows of its RETURNING clause (empty for the others).
   */
  run(statements: readonly CompiledQuery[]): Promise<Record<string, unknown>[][]>;
}
