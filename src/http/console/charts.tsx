/**
 * Charts as server-rendered SVG: no script, no external files, readable
 * without colour (a legend, a title and description, and the numbers in a
 * table under each chart). Presentation attributes only, so the strict
 * Content-Security-Policy needs no allowance for them.
 */
import type { FC } from 'hono/jsx';
import type { Series } from './activity.js';

/** Distinct colours, each at least 3:1 against white (WCAG 1.4.11). */
export const PALETTE = ['#0b4fb3', '#c2410c', '#1e7b34', '#7c3aed', '#a15c00', '#0e7490', '#be185d', '#4d5b11'] as const;

/** A round upper bound for an axis: 1, 2, 5 × 10^k. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const W = 600;
const H = 260;
const M = { top: 12, right: 12, bottom: 46, left: 40 };

export interface BarChartProps {
  id: string;
  title: string;
  /** One sentence saying what the chart shows, for screen readers. */
  description: string;
  days: readonly string[];
  series: readonly Series[];
  /** Labels for series names (e.g. peer id → "XB · Borduria"). */
  labelOf?: (name: string) => string;
  unit: string;
}

/** Grouped bars: one group per day, one bar per series. */
export const BarChart: FC<BarChartProps> = ({ id, title, description, days, series, labelOf = (n) => n, unit }) => {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const groupW = plotW / Math.max(1, days.length);
  const barW = Math.max(1, (groupW - 4) / Math.max(1, series.length));
  const y = (v: number) => M.top + plotH - (v / max) * plotH;
  const total = series.reduce((a, s) => a + s.values.reduce((x, y2) => x + y2, 0), 0);
  return (
    <figure>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      {series.length === 0 ? (
        <p class="muted">Nothing in this period.</p>
      ) : (
        <>
          <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby={`${id}-title ${id}-desc`} font-family="system-ui, sans-serif" font-size="13">
            <desc id={`${id}-desc`}>{`${description} ${total} ${unit} in ${days.length} days.`}</desc>
            {(Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max]).map((t) => (
              <g>
                <line x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} stroke="#c8c8c8" stroke-width="1" />
                <text x={M.left - 6} y={y(t) + 4} text-anchor="end" fill="#333">
                  {String(t)}
                </text>
              </g>
            ))}
            {days.map((d, i) => (
              <g>
                {series.map((s, j) => {
                  const v = s.values[i] ?? 0;
                  return v > 0 ? (
                    <rect x={M.left + i * groupW + 2 + j * barW} y={y(v)} width={barW} height={y(0) - y(v)} fill={PALETTE[j % PALETTE.length]}>
                      <title>{`${labelOf(s.name)}, ${d}: ${v} ${unit}`}</title>
                    </rect>
                  ) : null;
                })}
                {(days.length <= 7 || i % 2 === (days.length - 1) % 2) && (
                  <text x={M.left + i * groupW + groupW / 2} y={H - M.bottom + 14} text-anchor="middle" fill="#333">
                    {d.slice(5)}
                  </text>
                )}
              </g>
            ))}
            <line x1={M.left} x2={W - M.right} y1={y(0)} y2={y(0)} stroke="#333" stroke-width="1" />
            {series.map((s, j) => (
              <g>
                <rect x={M.left + j * 180} y={H - 16} width="12" height="12" fill={PALETTE[j % PALETTE.length]} />
                <text x={M.left + j * 180 + 16} y={H - 6} fill="#1b1b1b">
                  {labelOf(s.name).slice(0, 28)}
                </text>
              </g>
            ))}
          </svg>
          <details>
            <summary>The numbers</summary>
            <table>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  {series.map((s) => (
                    <th scope="col" class="num">
                      {labelOf(s.name)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {days.map((d, i) => (
                  <tr>
                    <th scope="row">{d}</th>
                    {series.map((s) => (
                      <td class="num">{s.values[i] ?? 0}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      )}
    </figure>
  );
};

export interface BudgetRow {
  label: string;
  used: number;
  budget: number;
}

/** Horizontal bars: share of each peer's daily element budget used. */
export const BudgetChart: FC<{ id: string; title: string; rows: readonly BudgetRow[] }> = ({ id, title, rows }) => {
  const rowH = 30;
  const h = 16 + rows.length * rowH;
  const labelW = 230;
  const barMax = W - labelW - 140;
  return (
    <figure>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      {rows.length === 0 ? (
        <p class="muted">No peers.</p>
      ) : (
        <svg viewBox={`0 0 ${W} ${h}`} width={W} height={h} role="img" aria-labelledby={`${id}-title ${id}-desc`} font-family="system-ui, sans-serif" font-size="14">
          <desc id={`${id}-desc`}>{rows.map((r) => `${r.label}: ${r.used} of ${r.budget} elements`).join('; ')}</desc>
          {rows.map((r, i) => {
            const share = r.budget > 0 ? r.used / r.budget : r.used > 0 ? 1 : 0;
            const colour = share >= 1 ? '#b3261e' : share >= 0.8 ? '#a15c00' : '#1e7b34';
            const yy = 8 + i * rowH;
            return (
              <g>
                <text x={0} y={yy + 15} fill="#1b1b1b">
                  {r.label.slice(0, 28)}
                </text>
                <rect x={labelW} y={yy} width={barMax} height={20} fill="#eef0f3" stroke="#8a8a8a" />
                <rect x={labelW} y={yy} width={Math.max(share > 0 ? 2 : 0, Math.min(1, share) * barMax)} height={20} fill={colour} />
                <text x={labelW + barMax + 8} y={yy + 15} fill="#1b1b1b">
                  {`${Math.round(share * 100)}% (${r.used}/${r.budget})`}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
};
