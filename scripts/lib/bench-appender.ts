/**
 * Append audit entries to a node's log as fast as the real path allows, for
 * a fixed time: `appendStatement` through the node's AtomicWriter (one
 * SQLite transaction per entry, as every audited act has its own), from a
 * process of its own so it contends for the database file and the CPU the
 * way a second writer does, and leaves the benchmark's event loop alone.
 *
 * Usage (bench:audit runs it): node dist/scripts/lib/bench-appender.js HOME SECONDS
 * Prints {"appends":N,"seconds":S} on stdout.
 */
import { pathToFileURL } from 'node:url';
import { appendStatement } from '../../src/core/audit/entry.js';
import { openNodeContext } from '../../src/node/context.js';

/** Append for `seconds`; returns how many entries were appended. */
export async function appendFor(home: string, seconds: number): Promise<{ appends: number; seconds: number }> {
  const ctx = await openNodeContext(home);
  try {
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let appends = 0;
    while (performance.now() < end) {
      await ctx.atomic.run([
        appendStatement(ctx.db, { type: 'records.delete', actor: 'cli', data: { source: 'bench:audit appender', refs: [`BENCH-${appends}`] } }, ctx.clock.now()),
      ]);
      appends++;
    }
    return { appends, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await ctx.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [home, seconds] = process.argv.slice(2);
  if (!home || !(Number(seconds) > 0)) throw new Error('usage: bench-appender.js HOME SECONDS');
  process.stdout.write(`${JSON.stringify(await appendFor(home, Number(seconds)))}\n`);
}
