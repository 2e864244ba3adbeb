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

/**
 * A gauge: either read when scraped (`collect` gives its current values) or
 * set by a collector before each scrape (`set`, after `clear`).
 */
export class Gauge {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly collect?: () => readonly { labels: Labels; value: number }[],
  ) {}
  /** Forget every series (a collector starts each scrape from nothing). */
  clear(): void {
    this.values = new Map();
  }
  set(labels: Labels, value: number): void {
    this.values.set(labelKey(labels), value);
  }
  render(): string {
    let s = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} gauge\n`;
    const values = this.collect ? new Map(this.collect().map(({ labels, value }) => [labelKey(labels), value] as const)) : this.values;
    for (const [k, v] of values) s += `${this.name}${k ? `{${k}}` : ''} ${v}\n`;
    return s;
  }
}

/** The registry a node exposes at /metrics. */
export class Metrics {
  readonly httpRequests = new Counter('cairn_http_requests_total', 'HTTP requests by method, route and status.');
  readonly httpDuration = new Histogram('cairn_http_request_duration_seconds', 'HTTP request latency by method, route and status.');
  readonly federationAnswers = new Counter('cairn_federation_answers_total', 'Federation requests from peers by route and problem code (ok when answered).');
  readonly searchOutcomes = new Counter('cairn_search_peer_outcomes_total', 'Per-peer outcomes of our searches by peer (country), outcome (hit, no_hit, error, timeout) and path (api, console, registration).');
  // Read from the database at each scrape (src/http/app.ts collectHealth), so
  // searches from every process count and a restart loses nothing.
  readonly checkpointAge = new Gauge('cairn_audit_checkpoint_age_seconds', 'Seconds since our newest signed audit checkpoint.');
  readonly uncoveredEntries = new Gauge('cairn_audit_uncovered_entries', 'Audit entries after the largest size a signed checkpoint or a peer cosignature vouches for.');
  readonly auditEntries = new Gauge('cairn_audit_entries', 'Entries in the audit log.');
  readonly witnessAlerts = new Gauge('cairn_witness_alerts', 'Witness alerts raised against a peer (log rolled back, forked or rewritten, bad checkpoint signature), one per event, by peer.');
  readonly peerUp = new Gauge('cairn_peer_up', 'By peer: 1 when the peer answered our newest search of it (hit, no-hit, refusal or index syncing), 0 when it could not be reached.');
  readonly peerContactAge = new Gauge('cairn_peer_last_contact_age_seconds', 'Seconds since our newest search of the peer, by peer.');
  readonly replicaReady = new Gauge('cairn_replica_ready', "1 when our replica of the peer's index of a category is ready to search, by peer and category.");
  // Read at each scrape where the runtime sees the disk under the database (Node).
  readonly storageFree = new Gauge('cairn_storage_free_bytes', 'Bytes the node may still write on the file system holding its database.');
  readonly storageSize = new Gauge('cairn_storage_size_bytes', 'Size in bytes of the file system holding the database.');
  readonly databaseSize = new Gauge('cairn_database_bytes', 'Size in bytes of the database with its write-ahead log.');
  readonly storage = [this.storageFree, this.storageSize, this.databaseSize];
  readonly health = [this.checkpointAge, this.uncoveredEntries, this.auditEntries, this.witnessAlerts, this.peerUp, this.peerContactAge, this.replicaReady];
  private readonly extra: (Counter | Histogram | Gauge)[] = [this.federationAnswers, this.searchOutcomes, ...this.health, ...this.storage];
  private readonly collectors: (() => Promise<void>)[] = [];

  /** Register a further metric (domain modules); a second one of the same name replaces the first. */
  register<T extends Counter | Histogram | Gauge>(m: T): T {
    const i = this.extra.findIndex((x) => x.name === m.name);
    if (i >= 0) this.extra[i] = m;
    else this.extra.push(m);
    return m;
  }

  /** Run `collect` before each scrape (it sets gauges from the database); a failing collector leaves its gauges empty. */
  collect(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  /** Sample the gauges, then render everything. */
  async scrape(onError?: (e: unknown) => void): Promise<string> {
    for (const c of this.collectors) {
      try {
        await c();
      } catch (e) {
        onError?.(e);
      }
    }
    return this.render();
  }

  render(): string {
    return [this.httpRequests, this.httpDuration, ...this.extra].map((m) => m.render()).join('');
  }
}
