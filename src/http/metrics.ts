/**
 * A small Prometheus registry (text exposition format 0.0.4): counters and
 * histograms with labels. Enough for request counts and latencies by route
 * and status, and for the domain counters later modules add.
 */

type Labels = Record<string, string>;

/** Media type of the Prometheus text exposition format. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelKey = (l: Labels) =>
  Object.keys(l)
    .sort()
    .map((k) => `${k}="${escapeLabel(l[k]!)}"`)
    .join(',');

/** A monotonically increasing counter. */
export class Counter {
  private readonly values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  render(): string {
    let s = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    for (const [k, v] of this.values) s += `${this.name}${k ? `{${k}}` : ''} ${v}\n`;
    return s;
  }
}

/** A histogram with fixed upper bounds (seconds for latencies). */
export class Histogram {
  private readonly series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.buckets.forEach((b, i) => {
        out += `${this.name}_bucket{${sep}le="${b}"} ${s.counts[i]}\n`;
      });
      out += `${this.name}_bucket{${sep}le="+Inf"} ${s.count}\n`;
      out += `${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}\n`;
      out += `${this.name}_count${k ? `{${k}}` : ''} ${s.count}\n`;
    }
    return out;
  }
}

/** A gauge read when scraped: `collect` gives its current values. */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect: () => readonly { labels: Labels; value: number }[],
  ) {}
  render(): string {
    let s = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    for (const { labels, value } of this.collect()) {
      const k = labelKey(labels);
      s += `${this.name}${k ? `{${k}}` : ''} ${value}\n`;
    }
    return s;
  }
}

/** The registry a node exposes at /metrics. */
export class Metrics {
  readonly httpRequests = new Counter('cairn_http_requests_total', 'HTTP requests by method, route and status.');
  readonly httpDuration = new Histogram('cairn_http_request_duration_seconds', 'HTTP request latency by method, route and status.');
  readonly federationAnswers = new Counter('cairn_federation_answers_total', 'Federation requests from peers by route and problem code (ok when answered).');
  readonly searchOutcomes = new Counter('cairn_search_peer_outcomes_total', 'Per-peer outcomes of our searches by peer (country), outcome (hit, no_hit, error, timeout) and path (api, console, registration).');
  private readonly extra: (Counter | Histogram | Gauge)[] = [this.federationAnswers, this.searchOutcomes];

  /** Register a further metric (domain modules); a second one of the same name replaces the first. */
  register<T extends Counter | Histogram | Gauge>(m: T): T {
    const i = this.extra.findIndex((x) => x.name === m.name);
    if (i >= 0) this.extra[i] = m;
    else this.extra.push(m);
    return m;
  }

  render(): string {
    return [this.httpRequests, this.httpDuration, ...this.extra].map((m) => m.render()).join('');
  }
}
