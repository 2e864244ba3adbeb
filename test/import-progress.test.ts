/**
 * Import progress: a redrawn bar with rate and ETA on a terminal (a real
 * pseudo-terminal from util-linux `script`), plain lines otherwise.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticNdjson } from '../scripts/lib/synthetic-records.js';
import { BIN, cairn, initNode, ROOT, tempDir } from './helpers/cli.js';

describe('import progress', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('draws a bar with rate and ETA on a terminal, and plain lines in a pipe', () => {
    const home = join(t.dir, 'node');
    initNode(home, 'XP', 9);
    const file = join(t.dir, 'r.ndjson');
    writeFileSync(file, [...syntheticNdjson(400, { seed: 3, prefix: 'XP' })].join(''));
    const tty = spawnSync('script', ['-qec', `${process.execPath} ${BIN} import ${file} --home ${home} --threads 1 --batch 50`, '/dev/null'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(tty.status, tty.stdout).toBe(0);
    expect(tty.stdout).toMatch(/\r\[#*-*\] +\d+\.\d% +[\d,]+ of ~[\d,]+ rows +[\d,]+ rows\/s +ETA \d\d:\d\d/);
    expect(tty.stdout).toMatch(/done: 400 rows in \d\d:\d\d/);
    // Second run: everything unchanged; stderr is a pipe, so no bar.
    const piped = cairn(['import', file, '--home', home, '--threads', '1']);
    expect(piped.stderr).not.toContain('\r[');
    expect(piped.stderr).toMatch(/^done: 400 rows/m);
    expect(piped.stdout).toContain('unchanged 400');
  });
});
