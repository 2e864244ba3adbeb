/**
 * What the DPO overview shows about federation traffic: the audit entries
 * of searches, match requests, refusals and confirmations turned into a
 * small event list, then counted per day and per peer (charts) and checked
 * against simple rules (flags). Pure functions over parsed entries; the
 * route reads them (and audits that read).
 */
import { FLAG_RULES, type FlagRules } from './constants.js';

/** One federation event, reduced to what charts and flags need. */
export type ActivityEvent =
  | { kind: 'search'; at: string; user: string; peers: string[]; hitPeers: string[] }
  | { kind: 'match'; at: string; peer: string }
  | { kind: 'denied'; at: string; peer: string; code: string }
  | { kind: 'confirm'; at: string; peer: string };

/** The audit entry types the overview reads. */
export const ACTIVITY_TYPES = ['search.outgoing', 'match.incoming', 'match.denied', 'hit.confirm.incoming'] as const;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * One audit entry's data as an event, or undefined (pruned or unexpected).
 * Entry data was written by this node, but a DPO tool reads it defensively.
 */
export function activityOf(type: string, at: string, data: Record<string, unknown> | null): ActivityEvent | undefined {
  if (data === null) return undefined;
  const peer = str(data.peer);
  switch (type) {
    case 'search.outgoing': {
      const peers = Array.isArray(data.peers) ? (data.peers as unknown[]).filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null) : [];
      return {
        kind: 'search',
        at,
        user: str(data.user) ?? 'unknown',
        peers: peers.map((p) => str(p.peer) ?? '?'),
        hitPeers: peers.filter((p) => p.result === 'hit').map((p) => str(p.peer) ?? '?'),
      };
    }
    case 'match.incoming':
      return peer ? { kind: 'match', at, peer } : undefined;
    case 'match.denied':
      return peer ? { kind: 'denied', at, peer, code: str(data.code) ?? 'denied' } : undefined;
    case 'hit.confirm.incoming':
      return peer ? { kind: 'confirm', at, peer } : undefined;
    default:
      return undefined;
  }
}

/** The `n` UTC days ending with `today` (YYYY-MM-DD), oldest first. */
export function lastDays(today: Date, n: number): string[] {
  const out: string[] = [];
  const base = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  for (let i = n - 1; i >= 0; i--) out.push(new Date(base - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

export interface Series {
  name: string;
  values: number[];
}

/** Count events per key per day: one series per key, values aligned with `days`. */
export function perDay<E extends ActivityEvent>(events: readonly E[], days: readonly string[], keysOf: (e: E) => readonly string[]): Series[] {
  const index = new Map(days.map((d, i) => [d, i]));
  const byKey = new Map<string, number[]>();
  for (const e of events) {
    const i = index.get(e.at.slice(0, 10));
    if (i === undefined) continue;
    for (const k of keysOf(e)) {
      let vals = byKey.get(k);
      if (!vals) byKey.set(k, (vals = days.map(() => 0)));
      vals[i]!++;
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, values]) => ({ name, values }));
}

export interface Flag {
  rule: 'user_burst' | 'peer_burst' | 'user_no_hits' | 'peer_no_hits';
  /** A user id or a peer node id. */
  subject: string;
  count: number;
  from: string;
  to: string;
  message: string;
}

/** Most events inside any window of `windowMs` (sorted times), with that window. */
function densestWindow(times: readonly number[], windowMs: number): { count: number; from: number; to: number } {
  let best = { count: 0, from: 0, to: 0 };
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= windowMs) lo++;
    if (hi - lo + 1 > best.count) best = { count: hi - lo + 1, from: times[lo]!, to: times[hi]! };
  }
  return best;
}

function group<T>(items: readonly T[], keyOf: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = keyOf(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

const iso = (t: number) => new Date(t).toISOString();
const minutes = (ms: number) => Math.round(ms / 60_000);

/**
 * Unusual patterns, per FLAG_RULES: bursts of searches by one user or of
 * match requests from one peer, and days with many searches (ours or a
 * peer's) that found nothing. `rules` is a parameter so tests can use
 * small thresholds.
 */
export function findFlags(events: readonly ActivityEvent[], rules: FlagRules = FLAG_RULES): Flag[] {
  const flags: Flag[] = [];
  const searches = events.filter((e): e is Extract<ActivityEvent, { kind: 'search' }> => e.kind === 'search');
  const requests = events.filter((e): e is Extract<ActivityEvent, { kind: 'match' | 'denied' }> => e.kind === 'match' || e.kind === 'denied');
  const confirms = events.filter((e): e is Extract<ActivityEvent, { kind: 'confirm' }> => e.kind === 'confirm');

  for (const [user, list] of group(searches, (s) => s.user)) {
    const w = densestWindow(list.map((s) => Date.parse(s.at)).sort((a, b) => a - b), rules.userBurst.windowMs);
    if (w.count >= rules.userBurst.count) {
      flags.push({ rule: 'user_burst', subject: user, count: w.count, from: iso(w.from), to: iso(w.to), message: `${w.count} searches within ${minutes(rules.userBurst.windowMs)} minutes` });
    }
    for (const [day, onDay] of group(list, (s) => s.at.slice(0, 10))) {
      const empty = onDay.filter((s) => s.hitPeers.length === 0).length;
      if (empty >= rules.userNoHitsPerDay.count) {
        flags.push({ rule: 'user_no_hits', subject: user, count: empty, from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z`, message: `${empty} searches without any hit on ${day}` });
      }
    }
  }
  for (const [peer, list] of group(requests, (r) => r.peer)) {
    const w = densestWindow(list.map((r) => Date.parse(r.at)).sort((a, b) => a - b), rules.peerBurst.windowMs);
    if (w.count >= rules.peerBurst.count) {
      flags.push({ rule: 'peer_burst', subject: peer, count: w.count, from: iso(w.from), to: iso(w.to), message: `${w.count} match requests within ${minutes(rules.peerBurst.windowMs)} minutes` });
    }
    const confirmedDays = new Set(confirms.filter((c) => c.peer === peer).map((c) => c.at.slice(0, 10)));
    for (const [day, onDay] of group(list, (r) => r.at.slice(0, 10))) {
      if (onDay.length >= rules.peerNoHitsPerDay.count && !confirmedDays.has(day)) {
        flags.push({ rule: 'peer_no_hits', subject: peer, count: onDay.length, from: `${day}T00:00:00.000Z`, to: `${day}T23:59:59.999Z`, message: `${onDay.length} match requests and no confirmed hit on ${day}` });
      }
    }
  }
  return flags.sort((a, b) => b.to.localeCompare(a.to));
}
