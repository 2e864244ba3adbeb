/**
 * deploy/prometheus/cairn-alerts.yml: each rule has the fields Prometheus
 * requires, and every cairn_* series it queries is one the node exports
 * (this catches renamed metrics and half-written rules); then Prometheus's
 * own promtool (Debian's prometheus package, which CI installs) checks the
 * file and runs the alerts on series: each fires when it should, with the
 * labels and annotations an operator gets, and stays quiet otherwise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STORAGE } from '../src/core/constants.js';
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

  it("says 'full' where /healthz does", () => {
    const full = rules().find((r) => r.alert === 'CairnStorageFull')!;
    expect(full.expr).toBe(`cairn_storage_free_bytes{job="cairn"} < ${STORAGE.fullBelowBytes / 2 ** 20} * 1024 * 1024`);
  });

  it('queries only series the node exports', () => {
    const exported = new Set([...new Metrics().render().matchAll(/^# TYPE (\S+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!])));
    const used = new Set([...text.matchAll(/\b(cairn_[a-z_]+)/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(exported, `${name} is not exported by the node`).toContain(name);
  });
});

const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const promtoolMissing = promtool.error !== undefined || promtool.status !== 0;
// CI installs promtool (.ci/run); only a developer machine without it may skip.
const skipPromtool = promtoolMissing && !process.env.CI;

/** One alert's expectation at one time: the labels beyond its own, or none at all when it must stay quiet. */
interface Expect {
  at: string;
  alert: string;
  firing: Record<string, string>[];
}

/**
 * A promtool rule test: the series, and each expectation with the alert's
 * annotations as the rules file writes them, its label templates filled in
 * (promtool compares annotations too).
 */
function ruleTest(series: Record<string, string>, expectations: Expect[]): string {
  const byName = new Map(rules().map((r) => [r.alert!, r]));
  const fill = (template: string, labels: Record<string, string>) => template.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, k: string) => labels[k] ?? '');
  const lines = ['rule_files:', '  - cairn-alerts.yml', 'evaluation_interval: 1m', 'tests:', '  - interval: 1m', '    input_series:'];
  for (const [name, values] of Object.entries(series)) lines.push(`      - series: '${name}'`, `        values: '${values}'`);
  lines.push('    alert_rule_test:');
  for (const e of expectations) {
    const rule = byName.get(e.alert);
    if (!rule) throw new Error(`no rule ${e.alert}`);
    lines.push(`      - eval_time: ${e.at}`, `        alertname: ${e.alert}`, `        exp_alerts:${e.firing.length ? '' : ' []'}`);
    for (const labels of e.firing) {
      lines.push(`          - exp_labels: { ${Object.entries({ severity: rule.severity!, ...labels }).map(([k, v]) => `${k}: "${v}"`).join(', ')} }`);
      lines.push('            exp_annotations:', `              summary: ${fill(rule.summary!, labels)}`, `              description: ${fill(rule.description!, labels)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

describe.skipIf(skipPromtool)('deploy/prometheus/cairn-alerts.yml in promtool', () => {
  function run(args: string[], testYaml?: string) {
    expect(promtoolMissing, 'promtool is missing: apt-get install prometheus').toBe(false);
    const dir = mkdtempSync(join(tmpdir(), 'cairn-promtool-'));
    try {
      writeFileSync(join(dir, 'cairn-alerts.yml'), text);
      if (testYaml !== undefined) writeFileSync(join(dir, 'test.yml'), testYaml);
      return spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('is a valid rules file', () => {
    const r = run(['check', 'rules', 'cairn-alerts.yml']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`SUCCESS: ${rules().length} rules found`);
  });

  it('alerts on a full disk, a low one and one filling up, and not on a disk with room', () => {
    const GiB = 1024 ** 3;
    const test = ruleTest(
      {
        // pl fills up: 1 GiB, then 8 MiB free of 10 GiB.
        'cairn_storage_free_bytes{job="cairn",instance="pl"}': `${GiB} ${8 * 1024 ** 2}x30`,
        'cairn_storage_size_bytes{job="cairn",instance="pl"}': `${10 * GiB}x30`,
        // de has room, and keeps it.
        'cairn_storage_free_bytes{job="cairn",instance="de"}': `${50 * GiB}x30`,
        'cairn_storage_size_bytes{job="cairn",instance="de"}': `${100 * GiB}x30`,
        // fr loses 1 GiB every 10 minutes out of 100: empty in about 16 hours.
        'cairn_storage_free_bytes{job="cairn",instance="fr"}': `${100 * GiB}-${Math.round(GiB / 10)}x120`,
        'cairn_storage_size_bytes{job="cairn",instance="fr"}': `${200 * GiB}x120`,
      },
      [
        { at: '1m', alert: 'CairnStorageFull', firing: [] },
        { at: '3m', alert: 'CairnStorageFull', firing: [{ job: 'cairn', instance: 'pl' }] },
        { at: '10m', alert: 'CairnStorageLow', firing: [] },
        { at: '20m', alert: 'CairnStorageLow', firing: [{ job: 'cairn', instance: 'pl' }] },
        { at: '30m', alert: 'CairnStorageFillingUp', firing: [] },
        // pl too: its fall from 1 GiB is in the six hours it looks back on.
        { at: '90m', alert: 'CairnStorageFillingUp', firing: [{ job: 'cairn', instance: 'fr' }, { job: 'cairn', instance: 'pl' }] },
      ],
    );
    const r = run(['test', 'rules', 'test.yml'], test);
    expect(r.status, `${r.stdout}${r.stderr}\n${test}`).toBe(0);
  });

  it('alerts on server errors, slow answers, refused peer requests, an unsigned audit tail, an unreachable peer and a replica out of sync', () => {
    const pl = 'job="cairn",instance="pl"';
    const test = ruleTest(
      {
        // 12 server errors a minute (0.2/s), and a healthy route beside them.
        [`cairn_http_requests_total{${pl},method="POST",route="/v1/searches",status="500"}`]: '0+12x40',
        [`cairn_http_requests_total{${pl},method="POST",route="/v1/searches",status="201"}`]: '0+100x40',
        // Every match answer between 2.5 and 5 s.
        [`cairn_http_request_duration_seconds_bucket{${pl},route="/federation/v2/match",le="1"}`]: '0x40',
        [`cairn_http_request_duration_seconds_bucket{${pl},route="/federation/v2/match",le="2.5"}`]: '0x40',
        [`cairn_http_request_duration_seconds_bucket{${pl},route="/federation/v2/match",le="5"}`]: '0+10x40',
        [`cairn_http_request_duration_seconds_bucket{${pl},route="/federation/v2/match",le="+Inf"}`]: '0+10x40',
        // A peer refused for its rate, once a second.
        [`cairn_federation_answers_total{${pl},route="/federation/v2/match",code="rate_limited"}`]: '0+60x40',
        [`cairn_federation_answers_total{${pl},route="/federation/v2/match",code="ok"}`]: '0+600x40',
        // Entries waiting for a checkpoint for 700 s and more.
        [`cairn_audit_uncovered_entries{${pl}}`]: '5x40',
        [`cairn_audit_checkpoint_age_seconds{${pl}}`]: '700+60x40',
        [`cairn_peer_up{${pl},peer="XB"}`]: '0x40',
        [`cairn_peer_up{${pl},peer="XC"}`]: '1x40',
        [`cairn_replica_ready{${pl},peer="XB",category="missing_child"}`]: '0x40',
        [`cairn_replica_ready{${pl},peer="XC",category="missing_child"}`]: '1x40',
      },
      [
        { at: '5m', alert: 'CairnServerErrors', firing: [] },
        { at: '20m', alert: 'CairnServerErrors', firing: [{ instance: 'pl' }] },
        { at: '10m', alert: 'CairnSlowAnswers', firing: [] },
        { at: '25m', alert: 'CairnSlowAnswers', firing: [{ instance: 'pl' }] },
        { at: '10m', alert: 'CairnPeersRefused', firing: [] },
        { at: '25m', alert: 'CairnPeersRefused', firing: [{ instance: 'pl', code: 'rate_limited' }] },
        { at: '3m', alert: 'CairnAuditTailUnsigned', firing: [] },
        { at: '10m', alert: 'CairnAuditTailUnsigned', firing: [{ job: 'cairn', instance: 'pl' }] },
        { at: '20m', alert: 'CairnPeerUnreachable', firing: [] },
        { at: '35m', alert: 'CairnPeerUnreachable', firing: [{ job: 'cairn', instance: 'pl', peer: 'XB' }] },
        { at: '35m', alert: 'CairnReplicaNotReady', firing: [{ job: 'cairn', instance: 'pl', peer: 'XB', category: 'missing_child' }] },
      ],
    );
    const r = run(['test', 'rules', 'test.yml'], test);
    expect(r.status, `${r.stdout}${r.stderr}\n${test}`).toBe(0);
  });

  it('alerts on a peer every search fails on, even one that never answered since the node started, and not on one that sometimes answers', () => {
    const pl = 'job="cairn",instance="pl",path="api"';
    const test = ruleTest(
      {
        // XB: errors only; its hit and no-hit counters do not exist (counters appear when first counted).
        [`cairn_search_peer_outcomes_total{${pl},peer="XB",outcome="error"}`]: '0+2x90',
        // XC: errors, and a no-hit now and then.
        [`cairn_search_peer_outcomes_total{${pl},peer="XC",outcome="error"}`]: '0+2x90',
        [`cairn_search_peer_outcomes_total{${pl},peer="XC",outcome="no_hit"}`]: '0+1x90',
      },
      [
        { at: '20m', alert: 'CairnPeerFailing', firing: [] },
        { at: '70m', alert: 'CairnPeerFailing', firing: [{ instance: 'pl', peer: 'XB' }] },
      ],
    );
    const r = run(['test', 'rules', 'test.yml'], test);
    expect(r.status, `${r.stdout}${r.stderr}\n${test}`).toBe(0);
  });

  it('alerts on a witness alert at once and on a node down after two minutes', () => {
    const test = ruleTest(
      {
        'cairn_witness_alerts{job="cairn",instance="pl",peer="XB"}': '0 0 1 1',
        'up{job="cairn",instance="pl"}': '1 0 0 0 0',
      },
      [
        { at: '1m', alert: 'CairnWitnessAlert', firing: [] },
        { at: '2m', alert: 'CairnWitnessAlert', firing: [{ job: 'cairn', instance: 'pl', peer: 'XB' }] },
        { at: '2m', alert: 'CairnNodeDown', firing: [] },
        { at: '4m', alert: 'CairnNodeDown', firing: [{ job: 'cairn', instance: 'pl' }] },
      ],
    );
    const r = run(['test', 'rules', 'test.yml'], test);
    expect(r.status, `${r.stdout}${r.stderr}\n${test}`).toBe(0);
  });
});
