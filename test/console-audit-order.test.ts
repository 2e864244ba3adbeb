/**
 * The console's audit log reads newest first, and its pages continue with
 * older entries; exports and the API keep the oldest-first order. On a real
 * SQLite file.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendStatement } from '../src/core/audit/entry.js';
import { listEntries } from '../src/core/audit/query.js';
import { openNodeContext } from '../src/node/context.js';
import { initHome } from '../src/node/home.js';
import { cleanEnv, tempDir } from './helpers/cli.js';

describe('audit log order', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('pages newest first for the console, oldest first otherwise', async () => {
    const home = join(t.dir, 'node');
    await initHome(home, { country: 'XO', name: 'Order test', url: 'http://127.0.0.1:9', port: 9 });
    const ctx = await openNodeContext(home, cleanEnv());
    try {
      const base = Number((await ctx.db.selectFrom('audit_entries').select((eb) => eb.fn.max('idx').as('m')).executeTakeFirst())?.m ?? -1) + 1;
      for (let i = 0; i < 5; i++) await ctx.atomic.run([appendStatement(ctx.db, { type: 'audit.read', actor: 'test', data: { n: i } }, new Date())]);
      const filter = { type: 'audit.read' as const, limit: 2 };
      const p1 = await listEntries(ctx.db, filter, 'newest');
      expect(p1.entries.map((e) => e.idx)).toEqual([base + 4, base + 3]);
      const p2 = await listEntries(ctx.db, { ...filter, cursor: p1.next! }, 'newest');
      expect(p2.entries.map((e) => e.idx)).toEqual([base + 2, base + 1]);
      const p3 = await listEntries(ctx.db, { ...filter, cursor: p2.next! }, 'newest');
      expect(p3).toMatchObject({ entries: [{ idx: base }], next: null });
      expect((await listEntries(ctx.db, filter)).entries.map((e) => e.idx)).toEqual([base, base + 1]);
    } finally {
      await ctx.close();
    }
  });
});
