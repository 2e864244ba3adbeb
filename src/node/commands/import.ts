/**
 * `cairn import FILE`.
 */
import { setFlagsFromString } from 'node:v8';
import type { CommandHelp } from '../cli-help.js';
import { EXIT, args, cliActor, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { CairnError } from '../../core/errors.js';
import { openNodeContext } from '../context.js';
import { servingPid } from '../lock.js';
import { ImportStopped, runImport } from '../import/run.js';
import { runRemoteImport } from '../import/remote.js';
import { IMPORT_CHUNK_MAX_ROWS } from '../../core/records/bulk-import.js';
import { nodeServices } from '../context.js';
import type { EpochProgress } from '../../core/keys/oprf-epochs.js';
import { progressLines } from './keys-oprf.js';

/** The serving node's epochs after an import into the pending one: counts per category against the active epoch. */
async function remoteProgress(node: string, token: string): Promise<string[]> {
  try {
    const res = await fetch(`${node.replace(/\/+$/, '')}/v1/keys/oprf`, { headers: { authorization: `Bearer ${token}` } });
    return res.ok ? progressLines((await res.json()) as EpochProgress) : [];
  } catch {
    return [];
  }
}

export const IMPORT_HELP: CommandHelp[] = [
  {
    command: 'import',
    synopsis: 'FILE [--format csv|ndjson] [--batch N] [--max-rejects N] [--threads N] [--out DIR] [--epoch next]',
    about: [
      'import records (CSV as in docs/import.md, or NDJSON); bad rows go to',
      'FILE.rejects.ndjson, totals to FILE.summary.json. Exit 0: all rows stored;',
      '3: done, some rows rejected; 1: every row rejected, or stopped (nothing stored',
      'was lost). --epoch next: into the pending OPRF epoch (`cairn keys rotate oprf`),',
      'beside the served records, with counts per category against the active epoch',
    ],
  },
  {
    command: 'import',
    synopsis: 'FILE --node URL [--token T] [--batch N] [--import-id ID] [--epoch next]',
    about: [
      'the same through a serving node (operator token, or $CAIRN_TOKEN): chunks of',
      '--batch records; running the same command again resumes where it stopped',
    ],
  },
];

function intOpt(v: string | undefined, flag: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return n;
}

async function importThroughNode(
  file: string,
  values: { node?: string | undefined; token?: string | undefined; format?: string | undefined; batch?: string | undefined; 'import-id'?: string | undefined; out?: string | undefined; json?: boolean | undefined; epoch?: string | undefined },
  io: Out,
): Promise<number> {
  const token = values.token ?? process.env.CAIRN_TOKEN;
  if (!token) throw new UsageError('--node needs an operator token: --token T or $CAIRN_TOKEN');
  let node: URL;
  try {
    node = new URL(values.node!);
    if (node.protocol !== 'https:' && node.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new UsageError(`--node: ${JSON.stringify(values.node)} is not an http(s) URL`);
  }
  const chunkRows = intOpt(values.batch, 'batch', 1);
  if (chunkRows !== undefined && chunkRows > IMPORT_CHUNK_MAX_ROWS) throw new UsageError(`--batch: at most ${IMPORT_CHUNK_MAX_ROWS} records per chunk`);
  const s = await runRemoteImport({
    file,
    node: node.toString(),
    token,
    format: values.format as 'csv' | 'ndjson' | undefined,
    ...(chunkRows !== undefined ? { chunkRows } : {}),
    ...(values['import-id'] !== undefined ? { importId: values['import-id'] } : {}),
    outDir: values.out,
    progressOut: process.stderr,
    ...(values.epoch === 'next' ? { epoch: 'next' as const } : {}),
  });
  if (values.json) io.out(JSON.stringify(s));
  else {
    io.out(`${s.file} -> ${s.node} (import ${s.importId}): ${s.rows} rows — imported ${s.imported}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected} (${s.chunksSent} chunks sent${s.chunksSkipped ? `, ${s.chunksSkipped} applied before` : ''}, ${s.seconds}s)`);
    if (values.epoch === 'next') for (const l of await remoteProgress(values.node!, token)) io.out(l);
    if (s.rejectsFile) io.out(`rejected rows (row, field, reason): ${s.rejectsFile}`);
    io.out(`summary: ${s.summaryFile}`);
  }
  return s.rejected ? 3 : 0;
}

/**
 * A local import is a batch job with a memory budget (issue 4: a million
 * records within 512 MiB resident). It keeps about 30 MiB live on the main
 * thread, but V8, tuned for throughput, lets the heap grow to several times
 * that between full collections: 100–160 MiB of garbage at the peak.
 * Growing it by at most a fifth after each full collection lowers an
 * import's peak by about 90 MiB, and the extra collections cost no time
 * this machine could measure (49–51 s for 100,000 records either way).
 * Node takes the flag only on its command line, which the `cairn` command
 * does not control; V8 reads it at every full collection, so setting it
 * here, before the import starts, is enough. Only this process's heap
 * policy changes; nothing else about the import does.
 */
function leanHeapForImport(): void {
  setFlagsFromString('--heap-growing-percent=20');
}

/** An import that stopped on a failure to store: what was stored, why it stopped, and how to finish it. */
function reportStop(stop: ImportStopped, json: boolean, io: Out): void {
  const s = stop.summary;
  if (json) io.out(JSON.stringify(s));
  const fix =
    s.failed?.code === 'storage_full'
      ? 'Free space on that disk, then run the same command again'
      : s.failed?.code === 'unavailable'
        ? 'When the other writer is done, run the same command again'
        : 'Once the cause is fixed, run the same command again';
  io.err(
    [
      `cairn: import stopped: ${s.failed?.message ?? String(stop.reason)}`,
      `  stored before the stop: imported ${s.imported}, updated ${s.updated}, unchanged ${s.unchanged} (${s.tokens} tokens); ${s.rows} rows read, ${s.rejected} rejected`,
      `  Nothing stored was lost. ${fix}: the stored records are skipped as unchanged and the rest are stored.`,
      stop.summaryWritten ? `  summary: ${s.summaryFile}` : `  the summary could not be written to ${s.summaryFile} either`,
    ].join('\n'),
  );
}

export async function cmdImport(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, {
    format: { type: 'string' },
    batch: { type: 'string' },
    'max-rejects': { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    node: { type: 'string' },
    token: { type: 'string' },
    'import-id': { type: 'string' },
    epoch: { type: 'string' },
  });
  if (values.epoch !== undefined && values.epoch !== 'next' && values.epoch !== 'current') throw new UsageError(`--epoch: expected next (or current), got ${JSON.stringify(values.epoch)}`);
  const [file] = positionals(pos, ['FILE']);
  if (values.node !== undefined) return importThroughNode(file!, values, io);
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
    leanHeapForImport();
    const s = await runImport(ctx, {
      file: file!,
      format: values.format as 'csv' | 'ndjson' | undefined,
      ...(batchSize !== undefined ? { batchSize } : {}),
      ...(maxRejects !== undefined ? { maxRejects } : {}),
      ...(threads !== undefined ? { threads } : {}),
      outDir: values.out,
      progressOut: process.stderr,
      actor: cliActor(),
      ...(values.epoch === 'next' ? { epoch: 'next' as const } : {}),
    }).catch((e: unknown) => {
      if (!(e instanceof ImportStopped)) throw e;
      return e;
    });
    if (s instanceof ImportStopped) {
      reportStop(s, values.json === true, io);
      return EXIT.failed;
    }
    if (values.json) io.out(JSON.stringify(s));
    else {
      io.out(`${s.file}: ${s.rows} rows — ${values.epoch === 'next' ? 'into the pending OPRF epoch: ' : ''}imported ${s.imported}, updated ${s.updated}, unchanged ${s.unchanged}, rejected ${s.rejected} (${s.tokens} tokens, ${s.seconds}s)`);
      if (values.epoch === 'next') for (const l of progressLines(await (await nodeServices(ctx)).oprfEpochs.progress())) io.out(l);
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
