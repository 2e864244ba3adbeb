/**
 * A worker-thread pool for bulk tokenisation on Node: the inputs of a call
 * are cut into batches, each batch goes to the least-busy worker as one
 * packed message, and the tokens come back in input order. Each worker runs
 * the libsodium path, so results are byte-identical to `evaluateToken`.
 *
 * - The secret key is validated here and sent to each worker once, at its
 *   start-up (workerData). It is never logged or put into an error.
 * - A bad input fails the whole call with `oprf_invalid_input` naming
 *   `inputs[i]`; a crashed worker fails its in-flight calls with `internal`
 *   and is replaced.
 * - Idle workers do not keep the process alive; `close()` terminates them
 *   and fails calls still in flight.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { TokenBackend } from '../../core/oprf/backend.js';
import { oprfError, requireBatch, requireInput } from '../../core/oprf/checks.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { CairnError } from '../../core/errors.js';
import { resolveTokenWorkerUrl, WORKER_EXEC_ARGV } from './worker-url.js';
import {
  fromWireError,
  packInputs,
  unpackTokens,
  type WorkerInit,
  type WorkerReply,
  type WorkerRequest,
} from './worker-protocol.js';

/** Options of `createTokenPool`. */
export interface TokenPoolOptions {
  /** The node's OPRF secret key (32-byte scalar). */
  readonly secretKey: Uint8Array;
  /** Worker threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Most inputs per message to a worker; default 256. */
  readonly batchSize?: number;
  /** Worker script; default resolved by resolveTokenWorkerUrl. */
  readonly workerUrl?: URL;
}

/** A TokenBackend spread over worker threads. */
export interface TokenPool extends TokenBackend {
  readonly threads: number;
}

interface Job {
  /** Index of the batch's first input in the caller's array. */
  readonly start: number;
  readonly size: number;
  resolve(tokens: Uint8Array): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  readonly jobs: Map<number, Job>;
  /** Inputs in flight on this worker, for least-busy dispatch. */
  load: number;
}

const DEFAULT_BATCH = 256;

/** Start a pool of token workers; resolves once every worker is ready. */
export async function createTokenPool(options: TokenPoolOptions): Promise<TokenPool> {
  const key = validateOprfSecretKey(options.secretKey).slice();
  const threads = options.threads ?? availableParallelism();
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(threads) || threads < 1) throw oprfError('oprf_invalid_input', 'threads', 'expected an integer >= 1');
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw oprfError('oprf_invalid_input', 'batchSize', 'expected an integer >= 1');
  }
  const workerUrl = options.workerUrl ?? resolveTokenWorkerUrl(import.meta.url);
  const slots: Slot[] = [];
  let nextId = 1;
  let closing: Promise<void> | undefined;

  function settle(slot: Slot, id: number, fn: (job: Job) => void): void {
    const job = slot.jobs.get(id);
    if (job === undefined) return;
    slot.jobs.delete(id);
    slot.load -= job.size;
    if (slot.jobs.size === 0) slot.worker.unref();
    fn(job);
  }

  function failAll(slot: Slot, e: unknown): void {
    for (const id of [...slot.jobs.keys()]) settle(slot, id, (job) => job.reject(e));
  }

  /** Spawn a worker; resolves when it reports ready, rejects on a start-up failure. */
  function spawn(slot?: Slot): Promise<Slot> {
    const init: WorkerInit = { secretKey: key };
    const worker = new Worker(workerUrl, { workerData: init, execArgv: WORKER_EXEC_ARGV });
    const s: Slot = slot ?? { worker, jobs: new Map(), load: 0 };
    s.worker = worker;
    return new Promise<Slot>((resolve, reject) => {
      let ready = false;
      worker.on('message', (msg: WorkerReply) => {
        if (msg.type === 'ready') {
          ready = true;
          // A replacement may already have work queued; only an idle worker lets the process exit.
          if (s.jobs.size === 0) worker.unref();
          resolve(s);
        } else if (msg.type === 'result') {
          settle(s, msg.id, (job) => job.resolve(msg.tokens));
        } else if (msg.id === null) {
          reject(fromWireError(msg.error));
        } else {
          const { index } = msg.error;
          settle(s, msg.id, (job) => job.reject(fromWireError(msg.error, index === undefined ? undefined : job.start + index)));
        }
      });
      const died = (cause: unknown): void => {
        if (s.worker !== worker) return;
        const e = new CairnError('internal', 'token worker stopped unexpectedly', { cause });
        failAll(s, e);
        if (!ready) {
          reject(e);
          return;
        }
        // Replace the worker unless the pool is closing; in-flight calls have already failed.
        // A replacement that cannot start takes its slot out of the pool.
        if (closing === undefined) {
          spawn(s).catch(() => {
            const i = slots.indexOf(s);
            if (i >= 0) slots.splice(i, 1);
          });
        }
      };
      worker.on('error', died);
      worker.on('exit', (code) => died(new Error(`exit code ${code}`)));
    });
  }

  function run(slot: Slot, inputs: readonly Uint8Array[], start: number, end: number): Promise<Uint8Array> {
    const id = nextId++;
    const { data, lengths } = packInputs(inputs, start, end);
    return new Promise<Uint8Array>((resolve, reject) => {
      slot.jobs.set(id, { start, size: end - start, resolve, reject });
      slot.load += end - start;
      slot.worker.ref();
      const req: WorkerRequest = { id, data, lengths };
      slot.worker.postMessage(req, [data.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer]);
    });
  }

  const started = await Promise.allSettled(Array.from({ length: threads }, () => spawn()));
  for (const r of started) if (r.status === 'fulfilled') slots.push(r.value);
  const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(slots.map((s) => s.worker.terminate()));
    key.fill(0);
    throw failure.reason;
  }

  return {
    name: 'pool',
    threads,
    async evaluateTokens(inputs) {
      if (closing !== undefined) throw new CairnError('internal', 'token pool is closed');
      if (slots.length === 0) throw new CairnError('internal', 'token pool has no worker left');
      if (Array.isArray(inputs) && inputs.length === 0) return [];
      requireBatch(inputs, 'inputs');
      // Cheap checks here, so a bad input fails before any work and names its index.
      inputs.forEach((x, i) => requireInput(x, `inputs[${i}]`));
      const chunk = Math.min(batchSize, Math.ceil(inputs.length / slots.length));
      const parts: Promise<Uint8Array>[] = [];
      for (let start = 0; start < inputs.length; start += chunk) {
        const end = Math.min(start + chunk, inputs.length);
        const slot = slots.reduce((a, b) => (b.load < a.load ? b : a));
        parts.push(run(slot, inputs, start, end));
      }
      const packed = await Promise.all(parts);
      const out: Uint8Array[] = [];
      packed.forEach((tokens, p) => {
        const start = p * chunk;
        out.push(...unpackTokens(tokens, Math.min(chunk, inputs.length - start)));
      });
      return out;
    },
    close() {
      closing ??= (async () => {
        const e = new CairnError('internal', 'token pool closed');
        for (const s of slots) failAll(s, e);
        await Promise.all(slots.map((s) => s.worker.terminate()));
        key.fill(0);
      })();
      return closing;
    },
  };
}
