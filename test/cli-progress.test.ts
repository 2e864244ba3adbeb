/**
 * The import progress display counts rows (the total estimated from the
 * bytes read) and keeps a steady ETA through uneven batches. Driven with a
 * fake clock: what it draws depends on time only through `now`.
 */
import { describe, expect, it } from 'vitest';
import { createProgress } from '../src/node/import/progress.js';

function drive(chunks: number[], stepMs: number) {
  const lines: string[] = [];
  let t = 0;
  const p = createProgress(1_000_000, { isTTY: false, write: (s: string) => (lines.push(s), true) } as never, () => t);
  let rows = 0;
  // 100 bytes a row: 10,000 rows in the file.
  for (const n of chunks) {
    t += stepMs;
    rows += n;
    p.update(rows * 100, rows);
  }
  p.done(rows);
  return lines;
}

describe('import progress', () => {
  it('counts rows against an estimated total, and says when it is done', () => {
    const lines = drive(Array(40).fill(100), 500);
    expect(lines[0]).toMatch(/^progress: \d+\.\d% [\d,]+ of ~10,000 rows 200 rows\/s eta \d\d:\d\d\n$/);
    expect(lines.at(-1)).toBe('done: 4,000 rows in 00:20 (200 rows/s)\n');
  });

  it('keeps the ETA steady when batches land unevenly', () => {
    // An import that commits a 500-row batch every 2.5 s (200 rows/s on average), sampled every 0.5 s.
    const chunks = Array.from({ length: 90 }, (_, i) => (i % 5 === 4 ? 500 : 0));
    const etas = drive(chunks, 500)
      .filter((l) => l.startsWith('progress:'))
      .map((l) => /eta (\d\d):(\d\d)/.exec(l)!)
      .map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(etas.length).toBeGreaterThan(5);
    // Between two lines 5 s apart the ETA falls by about 5 s: never a jump of half a minute.
    for (let i = 1; i < etas.length; i++) expect(Math.abs(etas[i - 1]! - etas[i]! - 5), `ETAs ${etas.join(', ')}`).toBeLessThan(15);
  });
});
