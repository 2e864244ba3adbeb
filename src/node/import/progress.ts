/**
 * Import progress: a redrawn bar with rate and ETA on a terminal, plain
 * lines every few seconds otherwise (logs, CI, pipes).
 *
 * It counts rows. The total is estimated from the bytes read so far (rows
 * per byte), and the ETA divides the rows left by a smoothed rate (an
 * exponentially weighted moving average), so a slow batch or a burst does
 * not make it jump.
 */
export interface Progress {
  update(bytesDone: number, rows: number): void;
  done(rows: number): void;
  /** The import stopped before the end: end the bar's line so the reason starts on its own. */
  stopped(rows: number): void;
}

/** How often the rate is sampled, and the smoothing time constant, in ms. */
const SAMPLE_MS = 200;
const SMOOTHING_MS = 10_000;
/** Redraw intervals: a terminal, and plain lines (logs, CI, pipes). */
const DRAW_TTY_MS = 200;
const DRAW_LINE_MS = 5000;

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const clock = (s: number) => {
  if (!Number.isFinite(s) || s < 0) return '--:--';
  const m = Math.floor(s / 60);
  return `${m >= 60 ? `${Math.floor(m / 60)}:` : ''}${String(m % 60).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

/** A row-counting progress display over a file of `totalBytes`. */
export function createProgress(totalBytes: number, out: Pick<NodeJS.WriteStream, 'write' | 'isTTY'>, now: () => number = () => performance.now()): Progress {
  const t0 = now();
  const tty = out.isTTY === true;
  let lastDraw = t0;
  let sample = { t: t0, rows: 0 };
  // Bias-corrected EWMA: until about SMOOTHING_MS have passed it is the
  // plain average since the start, then it forgets old samples gradually.
  let ewma = 0;
  let weight = 0;
  let rate: number | undefined;

  const observe = (t: number, rows: number) => {
    const dt = t - sample.t;
    if (dt < SAMPLE_MS) return;
    const instant = ((rows - sample.rows) * 1000) / dt;
    const alpha = 1 - Math.exp(-dt / SMOOTHING_MS);
    ewma += alpha * (instant - ewma);
    weight += alpha * (1 - weight);
    rate = ewma / weight;
    sample = { t, rows };
  };

  return {
    update(bytes, rows) {
      const t = now();
      observe(t, rows);
      if (t - lastDraw < (tty ? DRAW_TTY_MS : DRAW_LINE_MS)) return;
      lastDraw = t;
      // Rows in the whole file, at the rows per byte seen so far.
      const total = bytes > 0 && rows > 0 ? Math.max(rows, Math.round((rows * totalBytes) / bytes)) : undefined;
      const frac = total ? Math.min(1, rows / total) : 0;
      const eta = total !== undefined && rate ? (total - rows) / rate : Infinity;
      const of = total !== undefined ? ` of ~${fmt(total)}` : '';
      if (tty) {
        const width = 30;
        const filled = Math.round(frac * width);
        out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1).padStart(5)}%  ${fmt(rows)}${of} rows  ${fmt(rate ?? 0)} rows/s  ETA ${clock(eta)}  `);
      } else {
        out.write(`progress: ${(frac * 100).toFixed(1)}% ${fmt(rows)}${of} rows ${fmt(rate ?? 0)} rows/s eta ${clock(eta)}\n`);
      }
    },
    done(rows) {
      const s = (now() - t0) / 1000;
      out.write(`${tty ? '\r' : ''}done: ${fmt(rows)} rows in ${clock(s)} (${fmt(rows / Math.max(s, 1e-3))} rows/s)${tty ? ' '.repeat(30) : ''}\n`);
    },
    stopped(rows) {
      out.write(`${tty ? '\r' : ''}stopped after reading ${fmt(rows)} rows${tty ? ' '.repeat(60) : ''}\n`);
    },
  };
}
