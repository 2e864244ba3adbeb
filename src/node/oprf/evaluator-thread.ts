/**
 * The answering node's VOPRF evaluation off the main thread: each
 * BlindEvaluateBatch (the elements' scalar multiplications and the batch DLEQ
 * proof, most of an answer's CPU) runs in a worker thread with libsodium, so
 * the main thread keeps serving HTTP, signatures and the database meanwhile.
 * Results are those of createSodiumEvaluator, byte for byte.
 *
 * - The key pair goes to each worker once, at start-up (workerData); it is
 *   never logged or put into an error.
 * - Elements are checked by length here and decoded in the worker, which
 *   reports a bad element with the evaluator's own code and field
 *   (blindedElements[i]).
 * - A crashed worker fails its calls in flight with `internal` and is
 *   replaced; idle workers do not keep the process alive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { OprfEvaluator } from '../../core/federation/answer.js';
import { CairnError, ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import { OPRF } from '../../core/constants.js';
import { oprfError, requireBatch, requireBytes } from '../../core/oprf/checks.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { resolveWorkerUrl, WORKER_EXEC_ARGV } from './worker-url.js';

/** Data handed to each worker at start-up. */
export interface EvaluatorInit {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** One batch: the blinded elements packed end to end (32 bytes each). */
export interface EvaluateRequest {
  readonly id: number;
  readonly elements: Uint8Array;
}

interface WireError {
  readonly code: string;
  readonly message: string;
  readonly field?: string;
}

/** Everything an evaluate worker may send. */
export type EvaluateReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly evaluated: Uint8Array; readonly proof: Uint8Array }
  | { readonly type: 'error'; readonly id: number | null; readonly error: WireError };

export interface ThreadedEvaluator extends OprfEvaluator {
  readonly threads: number;
  close(): Promise<void>;
}

interface Call {
  resolve(v: { evaluatedElements: Uint8Array[]; proof: Uint8Array }): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  readonly calls: Map<number, Call>;
  /** Its worker died and could not be restarted: calls go to the other slots. */
  broken?: boolean;
}

function fromWire(w: WireError): CairnError {
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(w.code) ? (w.code as ErrorCode) : 'internal';
  return new CairnError(code, w.message, w.field !== undefined ? { location: { field: w.field } } : {});
}

/** Start `threads` evaluate workers (default: one fewer than the cores, at least one). */
export async function createThreadedEvaluator(secretKey: Uint8Array, publicKey: Uint8Array, opts: { threads?: number; workerUrl?: URL } = {}): Promise<ThreadedEvaluator> {
  const sk = validateOprfSecretKey(secretKey).slice();
  const pk = requireBytes(publicKey, 'publicKey', OPRF.elementSize).slice();
  const threads = opts.threads ?? Math.max(1, availableParallelism() - 1);
  if (!Number.isInteger(threads) || threads < 1) throw oprfError('oprf_invalid_input', 'threads', 'expected an integer >= 1');
  const url = opts.workerUrl ?? resolveWorkerUrl(import.meta.url, 'evaluate-worker.js');
  const slots: Slot[] = [];
  let nextId = 1;
  let closed = false;

  const start = (slot?: Slot): Promise<Slot> =>
    new Promise((resolve, reject) => {
      const worker = new Worker(url, { workerData: { secretKey: sk.slice(), publicKey: pk } satisfies EvaluatorInit, execArgv: WORKER_EXEC_ARGV });
      const s: Slot = slot ?? { worker, calls: new Map() };
      s.worker = worker;
      let ready = false;
      worker.unref();
      worker.on('message', (m: EvaluateReply) => {
        if (m.type === 'ready') {
          ready = true;
          resolve(s);
          return;
        }
        if (m.id === null) {
          if (!ready && m.type === 'error') reject(fromWire(m.error));
          return;
        }
        const call = s.calls.get(m.id);
        if (!call) return;
        s.calls.delete(m.id);
        if (s.calls.size === 0) worker.unref();
        if (m.type === 'error') call.reject(fromWire(m.error));
        else {
          const n = m.evaluated.length / OPRF.elementSize;
          const evaluatedElements = Array.from({ length: n }, (_, i) => m.evaluated.slice(i * OPRF.elementSize, (i + 1) * OPRF.elementSize));
          call.resolve({ evaluatedElements, proof: m.proof });
        }
      });
      const fail = (why: string) => {
        if (s.worker !== worker) return; // 'error' and then 'exit': already replaced
        for (const c of s.calls.values()) c.reject(new CairnError('internal', `evaluate worker ${why}`));
        s.calls.clear();
        if (!ready) reject(new CairnError('internal', `evaluate worker ${why} while starting`));
        else if (!closed) {
          void start(s).then(
            () => (s.broken = false),
            () => (s.broken = true),
          );
        }
      };
      worker.on('error', () => fail('crashed'));
      worker.on('exit', (code) => {
        if (!closed) fail(`exited with code ${code}`);
      });
    });

  try {
    for (let i = 0; i < threads; i++) slots.push(await start());
  } catch (e) {
    closed = true;
    await Promise.all(slots.map((s) => s.worker.terminate()));
    throw e;
  }

  return {
    threads,
    async blindEvaluateBatch(blindedElements) {
      if (closed) throw new CairnError('internal', 'the evaluator is closed');
      const elements = requireBatch(blindedElements, 'blindedElements');
      const packed = new Uint8Array(elements.length * OPRF.elementSize);
      elements.forEach((e, i) => packed.set(requireBytes(e, `blindedElements[${i}]`, OPRF.elementSize, 'oprf_invalid_element'), i * OPRF.elementSize));
      const live = slots.filter((s) => !s.broken);
      if (live.length === 0) throw new CairnError('internal', 'every evaluate worker has failed');
      const slot = live.reduce((a, b) => (b.calls.size < a.calls.size ? b : a));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        slot.calls.set(id, { resolve, reject });
        slot.worker.ref();
        slot.worker.postMessage({ id, elements: packed } satisfies EvaluateRequest, [packed.buffer]);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of slots) {
        for (const c of s.calls.values()) c.reject(new CairnError('internal', 'the evaluator was closed'));
        s.calls.clear();
      }
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
