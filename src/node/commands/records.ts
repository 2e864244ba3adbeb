/**
 * `cairn records delete|stats|purge`.
 */
import { args, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';

export const RECORDS_USAGE = `  records delete REF [--reason TEXT]
                       remove a record and its tokens at once
  records stats        counts per category and match-key type
  records purge        purge records past their retention date now`;

export async function cmdRecords(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, { reason: { type: 'string' } });
  if (!['delete', 'stats', 'purge'].includes(sub ?? '')) {
    throw new UsageError(`records: expected delete, stats or purge${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  }
  const ctx = await openNodeContext(homeOf(values));
  try {
    const { records } = await nodeServices(ctx);
    if (sub === 'delete') {
      const [ref] = positionals(pos, ['REF']);
      const r = await records.delete(ref!, 'cli', values.reason);
      io.out(`deleted record ${r.ref} and its ${r.tokens} tokens`);
    } else if (sub === 'stats') {
      positionals(pos, []);
      io.out(JSON.stringify(await records.stats(), null, 2));
    } else {
      positionals(pos, []);
      io.out(`purged ${await records.purgeExpired('cli')} records past retention`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
