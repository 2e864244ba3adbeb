/**
 * The README's commands work as written on a fresh home: every `npx cairn`
 * line of the "Running a node" blocks is run with the shipped CLI (a temp
 * home stands in for /srv/cairn, a free port for 8700). Commands that need
 * a real peer must fail for that reason, never as a bad command line. And
 * `npm start`'s first start prints a working command to create a user.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cairn, cleanEnv, freePort, ROOT, tempDir } from './helpers/cli.js';

/** Split a shell line into words: double and single quotes, a trailing `# comment` dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '#' && !inWord) break;
    else if (/\s/.test(ch)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

/** The shell lines of the fenced blocks of the README's "Running a node" section. */
function readmeLines(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running a node'), readme.indexOf('### Configuration'));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').filter((l) => l.trim() !== ''));
}

/** Start `cairn serve` (argv as written) and wait for its start-up lines on stderr. */
async function serveOnce(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ stderr: string; code: number | null }> {
  const child = spawn(process.execPath, [BIN, ...argv], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 240_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The serving line comes last, after any hint.
      if (/cairn: serving [^\n]*\n/.test(stderr)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (c) => reject(new Error(`serve exited with ${c}: ${stderr}`)));
  });
  const url = /on (http:\/\/\S+) /.exec(stderr)![1]!;
  expect((await fetch(`${url}/healthz`)).ok).toBe(true);
  child.kill('SIGTERM');
  return { stderr, code: await exited };
}

describe('README commands', () => {
  const t = tempDir('cairn-readme-');
  afterAll(() => t.cleanup());

  it('run as written, in order, on a fresh home', async () => {
    const lines = readmeLines();
    expect(lines.filter((l) => l.startsWith('npx cairn ')).length).toBeGreaterThanOrEqual(7);
    // Every way the README runs the CLI is `npx cairn …`: no bare `cairn` lines.
    for (const l of lines) expect(l, 'one way to run cairn').toMatch(/^(npm |npx cairn |export CAIRN_HOME=)/);
    const env: NodeJS.ProcessEnv = { ...cleanEnv(), CAIRN_HTTP_PORT: String(await freePort()), CAIRN_LOG_LEVEL: 'warn' };
    // The example file of docs/import.md stands in for records.csv.
    writeFileSync(join(t.dir, 'records.csv'), /```csv\n([\s\S]+?)```/.exec(readFileSync(join(ROOT, 'docs/import.md'), 'utf8'))![1]!);
    const seen = new Set<string>();
    for (const line of lines) {
      const w = words(line);
      if (w[0] === 'npm') continue; // npm ci && npm run build: done by the test set-up
      if (w[0] === 'export') {
        env.CAIRN_HOME = join(t.dir, 'home'); // for /srv/cairn
        continue;
      }
      const argv = w.slice(2);
      const label = `README: ${line}`;
      seen.add(argv[0]!);
      if (argv[0] === 'serve') {
        const served = await serveOnce(argv, t.dir, env);
        expect(served.code, label).toBe(0);
        expect(served.stderr, label).not.toContain('no users yet');
        continue;
      }
      const r = cairn(argv, { cwd: t.dir, env });
      if (argv[0] === 'peers' || argv[0] === 'search') {
        // Well formed, but there is no real peer here: refused for that reason, not as a usage error.
        expect(r.status, `${label}\n${r.stderr}`).toBe(1);
        expect(r.stderr, label).toMatch(/could not fetch|no peer "FR"|no active peer/);
      } else {
        expect(r.status, `${label}\n${r.stderr}`).toBe(0);
      }
    }
    expect([...seen].sort()).toEqual(['import', 'init', 'peers', 'search', 'serve', 'users']);
  }, 900_000); // a dozen CLI runs in a row on a shared, loaded machine

  it('npm start on a fresh clone says how to create the first user, and that command works', async () => {
    const cwd = join(t.dir, 'clone');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd);
    const env: NodeJS.ProcessEnv = { ...cleanEnv(), CAIRN_LOG_LEVEL: 'warn' };
    // package.json's start script: node bin/cairn.js serve --dev (after the build), from the clone's root.
    const start = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
    expect(start).toMatch(/node bin\/cairn\.js serve --dev$/);
    const served = await serveOnce(['serve', '--dev', '--port', String(await freePort())], cwd, env);
    expect(served.stderr).toContain('initialised a DEVELOPMENT node');
    const hint = /^\s+(npx cairn users add .*)$/m.exec(served.stderr)?.[1];
    expect(hint, served.stderr).toBe('npx cairn users add --home data --role operator --name "Ops desk"');
    const r = cairn(words(hint!).slice(2), { cwd, env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/API token \(shown only now; store it safely\): \S+/);
  }, 600_000);
});
