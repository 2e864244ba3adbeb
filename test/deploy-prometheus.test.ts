/**
 * deploy/prometheus/cairn-alerts.yml: each rule has the fields Prometheus
 * requires, and every cairn_* series it queries is one the node exports
 * (promtool is not installed here; this catches renamed metrics and
 * half-written rules).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/http/metrics.js';
import { ROOT } from './helpers/cli.js';

const text = readFileSync(join(ROOT, 'deploy/prometheus/cairn-alerts.yml'), 'utf8');

/** The rules as { field: value } maps, read from the file's fixed two-level layout. */
function rules(): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    const start = /^ {6}- alert: (\S+)$/.exec(line);
    if (start) {
      cur = { alert: start[1]! };
      out.push(cur);
      continue;
    }
    const field = /^ {8}(expr|for|labels|annotations): ?(.*)$/.exec(line);
    if (field && cur) cur[field[1]!] = field[2]!;
    const sub = /^ {10}(severity|summary|description): (.+)$/.exec(line);
    if (sub && cur) cur[sub[1]!] = sub[2]!;
  }
  return out;
}

describe('deploy/prometheus/cairn-alerts.yml', () => {
  it('has one group of rules, each with an expression, a duration, a severity and a summary', () => {
    expect(text).toMatch(/^groups:\n {2}- name: cairn\n {4}rules:\n/m);
    expect(text).not.toContain('\t');
    const rs = rules();
    expect(rs.length).toBeGreaterThanOrEqual(4);
    for (const r of rs) {
      expect(r.expr, r.alert).toBeTruthy();
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['critical', 'warning', 'info'], r.alert).toContain(r.severity);
      expect(r.summary, r.alert).toMatch(/^".+"$/);
    }
  });

  it('queries only series the node exports', () => {
    const exported = new Set([...new Metrics().render().matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    const used = new Set([...text.matchAll(/\b(cairn_[a-z_]+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(exported, `${name} is not exported by the node`).toContain(name);
  });
});
