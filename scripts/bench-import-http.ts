/**
 * A bulk import over HTTP into a serving node while it answers peers
 * (issue 15): does the node keep answering?
 *
 *   setup:   two `cairn serve` children on loopback, a searcher (SE) and the
 *            answering node (FI), peered, with a few hundred records at FI
 *   before:  signed blind match requests from SE's key to FI from
 *            `concurrency` loops for `seconds` (bench-load.ts): answers/s
 *   during:  the same, while `cairn import FILE --node FI --token T` streams
 *            `n` synthetic records (default 100,000) to FI in chunks
 *   result:  answers/s during vs before (the ratio), the import's rows/s, and
 *            whether the import was still running when the window closed
 *
 * Usage: npm run bench:import-http [-- --n 100000] [--batch 500] [--concurrency 4]
 *          [--seconds 15] [--port 18800] [--keep] [--json]
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BIN, cli, ROOT } from './lib/federation.js';
import { setupBenchFederation } from './lib/bench-federation.js';
import { driveMatches, prepareMatchLoad, type LoadResult } from './lib/bench-load.js';
import { removeOnExit, track } from './lib/bench-proc.js';
import { fmt, parseFlags, stepLogger } from './lib/bench-report.js';
import { syntheticNdjson } from './lib/synthetic-records.js';

export interface ImportHttpBenchOptions {
  n?: number;
  batch?: number;
  concurrency?: number;
  seconds?: number;
  port?: number;
  keep?: boolean;
}

export interface ImportHttpBenchResult {
  readonly n: number;
  readonly batch: number;
  readonly concurrency: number;
  readonly before: LoadResult;
  readonly during: LoadResult;
  /** answers/s during the import ÷ answers/s before it. */
  readonly ratio: number;
  /** Whether the import was still running when the `during` window closed (else the window is partly idle). */
  readonly importRanThroughWindow: boolean;
  readonly importSeconds: number;
  readonly importRowsPerSecond: number;
  readonly importExit: number | null;
  readonly command: string;
}

/** Run the benchmark. */
export async function runImportHttpBenchmark(o: ImportHttpBenchOptions = {}): Promise<ImportHttpBenchResult> {
  const n = o.n ?? 100_000;
  const batch = o.batch ?? 500;
  const concurrency = o.concurrency ?? 4;
  const seconds = o.seconds ?? 15;
  const log = stepLogger('bench:import-http');
  const root = mkdtempSync(join(tmpdir(), 'cairn-bench-import-http-'));
  removeOnExit(root, o.keep);
  log(`work folder ${root}; writing ${fmt(n)} synthetic records`);
  const file = join(root, 'records.ndjson');
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    out.once('error', reject);
    for (const line of syntheticNdjson(n, { prefix: 'HTTP', seed: 15 })) out.write(line);
    out.end(() => resolve());
  });
  const fed = await setupBenchFederation({ root, basePort: o.port ?? 18800, peers: ['FI'], recordsPerPeer: 200, log });
  try {
    const answering = fed.peers[0]!;
    const operator = (JSON.parse(cli(['users', 'add', '--home', answering.home, '--role', 'operator', '--name', 'bench operator', '--json'])) as { token: string }).token;
    // The setup's health polls may have left an idle keep-alive socket that the node
    // has since closed; a few fresh requests clear it before the first signed one.
    for (let i = 0; i < 3; i++) await fetch(`${answering.url}/healthz`).catch(() => undefined);
    const load = await prepareMatchLoad(fed.searcher.home, answering.country, [...fed.hitPersons.slice(0, 16), ...fed.noHitPersons.slice(0, 16)]);
    log(`before: match requests from ${concurrency} loops for ${seconds} s`);
    const before = await driveMatches(load, { concurrency, seconds, nodePid: answering.pid });
    log(`  ${fmt(before.answersPerSecond, 1)} answers/s`);

    log(`during: cairn import --node ${answering.url} (${fmt(n)} records, chunks of ${batch})`);
    const t0 = performance.now();
    const child = track(
      spawn(process.execPath, [BIN, 'import', file, '--node', answering.url, '--batch', String(batch), '--json'], {
        cwd: ROOT,
        env: { ...process.env, CAIRN_TOKEN: operator },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4096)));
    child.stdout!.resume();
    let importSeconds = NaN;
    const exited = new Promise<number | null>((r) =>
      child.once('exit', (code) => {
        importSeconds = (performance.now() - t0) / 1000;
        r(code);
      }),
    );
    const during = await driveMatches(load, { concurrency, seconds, nodePid: answering.pid });
    const importRanThroughWindow = child.exitCode === null;
    log(`  ${fmt(during.answersPerSecond, 1)} answers/s${importRanThroughWindow ? '' : ' (the import ended inside the window: use a larger --n)'}`);
    const importExit = await exited;
    if (importExit !== 0 && importExit !== 3) log(`import exited ${importExit}: ${err}`);
    log(`import: ${fmt(importSeconds, 1)} s, ${fmt(n / importSeconds)} rows/s`);
    return {
      n,
      batch,
      concurrency,
      before,
      during,
      ratio: during.answersPerSecond / before.answersPerSecond,
      importRanThroughWindow,
      importSeconds,
      importRowsPerSecond: n / importSeconds,
      importExit,
      command: `npm run bench:import-http -- --n ${n} --batch ${batch} --concurrency ${concurrency} --seconds ${seconds}`,
    };
  } finally {
    await fed.stop();
  }
}

/** The result as a BENCHMARKS.md section. */
export function formatImportHttpBenchmark(r: ImportHttpBenchResult): string {
  return [
    '## Answers during a bulk import over HTTP (issue 15)',
    '',
    `\`cairn import FILE --node URL\` streams ${fmt(r.n)} synthetic records in chunks of ${r.batch} to a serving node while a peer sends signed blind match requests from ${r.concurrency} loops.`,
    '',
    '| window | answers/s | failed | node CPU s |',
    '|---|---|---|---|',
    `| before the import | ${fmt(r.before.answersPerSecond, 1)} | ${r.before.failed} | ${r.before.nodeCpuSeconds === undefined ? 'n/a' : fmt(r.before.nodeCpuSeconds, 1)} |`,
    `| during the import | ${fmt(r.during.answersPerSecond, 1)} | ${r.during.failed} | ${r.during.nodeCpuSeconds === undefined ? 'n/a' : fmt(r.during.nodeCpuSeconds, 1)} |`,
    '',
    `Ratio during/before: **${fmt(r.ratio, 2)}**${r.importRanThroughWindow ? '' : ' (the import ended inside the window, so part of it was idle)'}. ` +
      `The import took ${fmt(r.importSeconds, 1)} s (${fmt(r.importRowsPerSecond)} rows/s, exit ${r.importExit}).`,
    '',
    `Reproduce: \`${r.command}\``,
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const f = parseFlags(process.argv.slice(2), { n: 'int', batch: 'int', concurrency: 'int', seconds: 'number', port: 'int', keep: 'boolean', json: 'boolean' });
  const result = await runImportHttpBenchmark({
    ...(f.n !== undefined ? { n: f.n as number } : {}),
    ...(f.batch !== undefined ? { batch: f.batch as number } : {}),
    ...(f.concurrency !== undefined ? { concurrency: f.concurrency as number } : {}),
    ...(f.seconds !== undefined ? { seconds: f.seconds as number } : {}),
    ...(f.port !== undefined ? { port: f.port as number } : {}),
    keep: f.keep === true,
  });
  process.stdout.write((f.json ? JSON.stringify(result, null, 2) : formatImportHttpBenchmark(result)) + '\n');
}
