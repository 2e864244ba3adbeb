/**
 * One worker-thread pool for the OPRF work of a Node node: the token pool
 * (bulk tokenisation, token-pool.ts) and the threaded evaluator (answering
 * match requests, evaluator-thread.ts) both run on it. It owns start-up,
 * the ready handshake, dispatch, crash handling and shutdown; its users own
 * what a request and a result are (worker-protocol.ts).
 *
 * - Start-up: every worker starts at once; the pool is ready when all are.
 *   A worker that fails to start (its set-up threw, or it died) fails the
 *   start-up with that error, and the workers already started are stopped.
 * - Dispatch: each request goes to the live worker with the least work in
 *   flight, counted in items (`weight`).
 * - Restart policy: a worker that dies fails its requests in flight with
 *   `internal` and is restarted; a slot whose restart fails is skipped from
 *   then on, and with no live slot left every request fails with `internal`.
 * - Idle workers do not keep the process alive; `close()` fails requests in
 *   flight, stops the workers, and refuses later requests. It is idempotent.
 */
import { availableParallelism } from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { CairnError } from '../../core/errors.js';
import { oprfError } from '../../core/oprf/checks.js';
import { fromWireError, type PoolMessage, type WorkerReply } from './worker-protocol.js';
import { WORKER_EXEC_ARGV } from './worker-url.js';

/**
 * The thread count of a pool: `requested`, else `fallback` (one fewer than
 * the cores, at least one: the main thread keeps a core). Throws on anything
 * but an integer >= 1.
 */
export function poolThreads(requested: number | undefined, fallback = Math.max(1, availableParallelism() - 1)): number {
  const threads = requested ?? fallback;
  if (!Number.isInteger(threads) || threads < 1) throw oprfError('oprf_invalid_input', 'threads', 'expected an integer >= 1');
  return threads;
}

/** Options of `createWorkerPool`. */
export interface WorkerPoolOptions {
  /** Names the workers in errors, e.g. "token", "evaluate". */
  readonly name: string;
  /** The compiled worker script. */
  readonly workerUrl: URL;
  /** Number of worker threads, >= 1. */
  readonly threads: number;
  /** workerData for each worker start (a restart gets a fresh one). */
  workerData(): unknown;
  /** Heap limits of each worker (Node's `resourceLimits`); default V8's. */
  readonly resourceLimits?: ResourceLimits;
}

/** A started pool. */
export interface WorkerPool<Req, Res> {
  /** Workers started. */
  readonly threads: number;
  /** Workers currently able to take requests. */
  live(): number;
  /** Whether some live worker has nothing in flight (a request now would start at once). */
  idle(): boolean;
  /** Send one request (its buffers in `transfer` move to the worker); `weight` counts its items for dispatch. */
  run(request: Req, weight: number, transfer?: ArrayBuffer[]): Promise<Res>;
  close(): Promise<void>;
}

interface Call<Res> {
  readonly weight: number;
  resolve(result: Res): void;
  reject(e: unknown): void;
}

interface Slot<Res> {
  worker: Worker;
  readonly calls: Map<number, Call<Res>>;
  /** Items in flight, for least-busy dispatch. */
  load: number;
  /** Its worker died and could not be restarted. */
  broken: boolean;
}

/** Start a pool; resolves once every worker is ready. */
export async function createWorkerPool<Req, Res>(opts: WorkerPoolOptions): Promise<WorkerPool<Req, Res>> {
  const slots: Slot<Res>[] = [];
  let nextId = 1;
  let closed = false;
  let closing: Promise<void> | undefined;

  function settle(slot: Slot<Res>, id: number, fn: (call: Call<Res>) => void): void {
    const call = slot.calls.get(id);
    if (call === undefined) return;
    slot.calls.delete(id);
    slot.load -= call.weight;
    if (slot.calls.size === 0) slot.worker.unref();
    fn(call);
  }

  function failAll(slot: Slot<Res>, e: unknown): void {
    for (const id of [...slot.calls.keys()]) settle(slot, id, (call) => call.reject(e));
  }

  /** Start a worker in `slot` (a new one when absent); resolves when it is ready. */
  function start(slot?: Slot<Res>): Promise<Slot<Res>> {
    return new Promise((resolve, reject) => {
      const worker = new Worker(opts.workerUrl, {
        workerData: opts.workerData(),
        execArgv: WORKER_EXEC_ARGV,
        ...(opts.resourceLimits !== undefined ? { resourceLimits: opts.resourceLimits } : {}),
      });
      const s: Slot<Res> = slot ?? { worker, calls: new Map(), load: 0, broken: false };
      s.worker = worker;
      let ready = false;
      worker.unref();
      worker.on('message', (m: WorkerReply<Res>) => {
        if (m.type === 'ready') {
          ready = true;
          // A restarted worker may find work queued: only an idle one lets the process exit.
          if (s.calls.size > 0) worker.ref();
          resolve(s);
        } else if (m.type === 'error') {
          const e = fromWireError(m.error);
          if (m.id !== null) settle(s, m.id, (call) => call.reject(e));
          else if (!ready) reject(e); // its set-up failed
        } else {
          settle(s, m.id, (call) => call.resolve(m.result));
        }
      });
      const died = (why: string, cause?: unknown): void => {
        if (s.worker !== worker || closed) return; // 'error' then 'exit': handled once; close() stops workers on purpose
        const e = new CairnError('internal', `${opts.name} worker ${why}`, cause === undefined ? {} : { cause });
        failAll(s, e);
        if (!ready) {
          reject(e);
          return;
        }
        start(s).then(
          () => (s.broken = false),
          () => (s.broken = true),
        );
      };
      worker.on('error', (cause) => died('crashed', cause));
      worker.on('exit', (code) => died(`exited with code ${code}`));
    });
  }

  const started = await Promise.allSettled(Array.from({ length: opts.threads }, () => start()));
  for (const r of started) if (r.status === 'fulfilled') slots.push(r.value);
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw failure.reason;
  }

  return {
    threads: opts.threads,
    live: () => slots.filter((s) => !s.broken).length,
    idle: () => !closed && slots.some((s) => !s.broken && s.calls.size === 0),
    run(request, weight, transfer = []) {
      if (closed) return Promise.reject(new CairnError('internal', `the ${opts.name} pool is closed`));
      const live = slots.filter((s) => !s.broken);
      if (live.length === 0) return Promise.reject(new CairnError('internal', `every ${opts.name} worker has failed`));
      const slot = live.reduce((a, b) => (b.load < a.load ? b : a));
      const id = nextId++;
      return new Promise<Res>((resolve, reject) => {
        slot.calls.set(id, { weight, resolve, reject });
        slot.load += weight;
        slot.worker.ref();
        slot.worker.postMessage({ id, request } satisfies PoolMessage<Req>, transfer);
      });
    },
    close() {
      closing ??= (async () => {
        closed = true;
        const e = new CairnError('internal', `the ${opts.name} pool was closed`);
        for (const s of slots) failAll(s, e);
        await Promise.all(slots.map((s) => s.worker.terminate()));
      })();
      return closing;
    },
  };
}
