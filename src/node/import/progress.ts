/**
 * Import progress: a redrawn bar with rate and ETA on a terminal, plain
 * lines every few seconds otherwise (logs, CI, pipes).
 */
export interface Progress {
  update(bytesDone: number, rows: number): void;
  done(rows: number): void;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const clock = (s: number) => {
  if (!Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  return `${m >= 60 ? `${Math.floor(m / 60)}:` : ''}${String(m % 60).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
};

export function createProgress(totalBytes: number, out: NodeJS.WriteStream, now: () => number = () => performance.now()): Progress {
  const t0 = now();
  let last = 0;
  const tty = out.isTTY === true;
  const line = (bytes: number, rows: number) => {
    const s = (now() - t0) / 1000;
    const rate = rows / Math.max(s, 1e-3);
    const frac = totalBytes > 0 ? Math.min(1, bytes / totalBytes) : 1;
    const eta = frac > 0 ? (s / frac) * (1 - frac) : Infinity;
    return { s, rate, frac, eta };
  };
  return {
    update(bytes, rows) {
      const t = now();
      if (t - last < (tty ? 200 : 5000)) return;
      last = t;
      const { rate, frac, eta } = line(bytes, rows);
      if (tty) {
        const width = 30;
        const filled = Math.round(frac * width);
        out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(1).padStart(5)}%  ${fmt(rows)} rows  ${fmt(rate)} rows/s  ETA ${clock(eta)}  `);
      } else {
        out.write(`progress: ${(frac * 100).toFixed(1)}% ${fmt(rows)} rows ${fmt(rate)} rows/s eta ${clock(eta)}\n`);
      }
    },
    done(rows) {
      const { s, rate } = line(totalBytes, rows);
      out.write(`${tty ? '\r' : ''}done: ${fmt(rows)} rows in ${clock(s)} (${fmt(rate)} rows/s)${tty ? ' '.repeat(30) : ''}\n`);
    },
  };
}
