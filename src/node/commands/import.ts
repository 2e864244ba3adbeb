/**
 * `cairn import FILE`.
 */
import type { CommandHelp } from '../cli-help.js';
import { EXIT, args, cliActor, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { CairnError } from '../../core/errors.js';
import { openNodeContext } from '../context.js';
import { servingPid } from '../lock.js';
import { runImport } from '../import/run.js';

export const IMPORT_HELP: CommandHelp[] = [
  {
    command: 'import',
    synopsis: 'FILE [--format csv|ndjson] [--batch N] [--max-rejects N] [--threads N] [--out DIR]',
    about: [
      'import records (CSV as in docs/import.md, or NDJSON); bad rows go to',
      'FILE.rejects.ndjson, totals to FILE.summary.json. Exit 0: all rows stored;',
      '3: done, some rows rejected; 1: every row rejected, or stopped (nothing stored',
      'was lost)',
    ],
  },
];

function intOpt(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

export async function cmdImport(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, {
    format: { type: 'string' },
    batch: { type: 'string' },
    'max-rejects': { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [file] = positionals(pos, ['FILE']);
  const home = homeOf(values);
  // A second writer beside a serving node would starve it through SQLite's write lock.
  const pid = servingPid(home);
  if (pid !== undefined) {
    throw new CairnError('home_locked', `${home} is served by process ${pid}: import through it with \`cairn import ${file} --node URL --token T\` (the node stays the only writer)`, { details: { pid } });
  }
  const ctx = await openNodeContext(home);
  try {
    const batchSize = intOpt(values.batch, 'batch', 1);
    const maxRejects = intOpt(values['max-rejects'], 'max-rejects', 0);
    const threads = intOpt(values.threads, 'threads', 1);
    const s = await runImport(ctx, {
      file: file!,
      format: values.format as 'csv' | 'ndjson' | undefined,
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxRejects !== undefined ? { maxRejects } : {}),
      ...(threads !== undefined ? { threads } : {}),
      outDir: values.out,
      progressOut: process.stderr,
      actor: cliActor(),
    });
    if (values.json) io.out(JSON.stringify(s));
    else {
      io.out(`${s.file}: ${s.rows} rows — imported ${s.imported}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected} (${s.tokens} tokens, ${s.seconds}s)`);
      if (s.rejectsFile) io.out(`rejected rows (row, field, reason): ${s.rejectsFile}`);
      io.out(`summary: ${s.summaryFile}`);
    }
    if (s.stoppedEarly) {
      io.err(`cairn: stopped after more than ${maxRejects ?? 10000} rejected rows: is this the right file? Valid rows before that are stored; run again after fixing the file.`);
      return EXIT.failed;
    }
    if (s.rejected > 0 && s.rejected === s.rows) {
      io.err(`cairn: every row of ${s.file} was rejected; nothing was stored (reasons in ${s.rejectsFile})`);
      return EXIT.failed;
    }
    return s.rejected ? EXIT.partial : EXIT.ok;
  } finally {
    await ctx.close();
  }
}
