/**
 * Where the time of one in-process call goes: the V8 sampling profiler of
 * this process (node:inspector) around the call, summed by function (self
 * time), so a benchmark can say what a slow figure is made of instead of
 * only that it is slow.
 */
import { Session } from 'node:inspector/promises';

/** Self time of one function during the call. */
export interface ProfileEntry {
  readonly fn: string;
  readonly ms: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Short label of a frame: function name and file (the last two path segments). */
function label(n: ProfileNode): string {
  const name = n.callFrame.functionName || '(anonymous)';
  if (name.startsWith('(')) return name; // (garbage collector), (program), (idle)
  // No script: native code, e.g. better-sqlite3's Statement.run and .all (SQLite itself).
  return n.callFrame.url ? `${name} (${n.callFrame.url.split('/').slice(-2).join('/')})` : `${name} (native)`;
}

/** Run `f` under the sampling profiler; its result and the `top` functions by self time. */
export async function profileCall<T>(f: () => Promise<T>, top = 8): Promise<{ result: T; ms: number; top: ProfileEntry[] }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const t0 = performance.now();
    const result = await f();
    const ms = performance.now() - t0;
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] } };
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      if (!n) return;
      const k = label(n);
      self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    });
    // Not the call's: idle time, and the inspector's own native dispatch (stopping the profiler and building its profile).
    const entries = [...self].map(([fn, v]) => ({ fn, ms: v })).filter((e) => e.fn !== '(idle)' && e.fn !== '(program)' && e.fn !== 'dispatch (native)');
    entries.sort((a, b) => b.ms - a.ms);
    return { result, ms, top: entries.slice(0, top) };
  } finally {
    session.disconnect();
  }
}
