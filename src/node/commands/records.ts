/**
 * `cairn records delete|stats|purge`.
 */
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';

export const RECORDS_HELP: CommandHelp[] = [
  { command: 'records delete', synopsis: 'REF [--reason TEXT]', about: ['remove a record and its tokens at once'] },
  { command: 'records stats', about: ['counts per category and match-key type'] },
  { command: 'records purge', about: ['purge records past their retention date now'] },
];

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
      const r = await records.delete(ref!, cliActor(), values.reason);
      io.out(`deleted record ${r.ref} and its ${r.tokens} tokens`);
    } else if (sub === 'stats') {
      positionals(pos, []);
      io.out(JSON.stringify(await records.stats(), null, 2));
    } else {
      positionals(pos, []);
      io.out(`purged ${await records.purgeExpired(cliActor())} records past retention`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
}
