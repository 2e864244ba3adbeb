/**
 * The answering node's VOPRF evaluation off the main thread: each
 * BlindEvaluateBatch (the elements' scalar multiplications and the batch DLEQ
 * proof, most of an answer's CPU) runs on a worker of the shared pool
 * (worker-pool.ts) with libsodium, so the main thread keeps serving HTTP,
 * signatures and the database meanwhile. Results are those of
 * createSodiumEvaluator, byte for byte.
 *
 * - The key pair goes to each worker once, at start-up (workerData); it is
 *   never logged or put into an error.
 * - Elements are checked by length here and decoded in the worker, which
 *   reports a bad element with the evaluator's own code and position
 *   (blindedElements[i]); crashes and shutdown follow the pool's one policy.
 * - With `inlineWhen`, a batch is evaluated on the calling thread while it
 *   returns true: the server passes "alone at a quiet node" (in-flight.ts).
 *   A lone request gains nothing from a worker, as the main thread would only wait
 *   for it, and the hop (two messages, two thread wake-ups) cost about a
 *   millisecond of a sequential search's latency on a 2-core machine; with
 *   other requests in flight the worker keeps the main thread free for them.
 */
import type { OprfEvaluator } from '../../core/federation/answer.js';
import { OPRF } from '../../core/constants.js';
import { requireBatch, requireBytes } from '../../core/oprf/checks.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { createSodiumEvaluator } from './sodium-evaluate.js';
import { createWorkerPool, poolThreads } from './worker-pool.js';
import { packFixed, unpackFixed, type EvaluateRequest, type EvaluateResult, type EvaluateWorkerInit } from './worker-protocol.js';
import { resolveWorkerUrl } from './worker-url.js';

/** An OprfEvaluator on worker threads. */
export interface ThreadedEvaluator extends OprfEvaluator {
  readonly threads: number;
  /** Batches evaluated on the calling thread so far (see `inlineWhen`). */
  inlined(): number;
  close(): Promise<void>;
}

/** Start `threads` evaluate workers (default: one fewer than the cores, at least one). */
export async function createThreadedEvaluator(
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  opts: { threads?: number; workerUrl?: URL; inlineWhen?: () => boolean; onBatch?: (thread: 'main' | 'worker') => void } = {},
): Promise<ThreadedEvaluator> {
  const sk = validateOprfSecretKey(secretKey).slice();
  const pk = requireBytes(publicKey, 'publicKey', OPRF.elementSize).slice();
  const threads = poolThreads(opts.threads);
  const pool = await createWorkerPool<EvaluateRequest, EvaluateResult>({
    name: 'evaluate',
    workerUrl: opts.workerUrl ?? resolveWorkerUrl(import.meta.url, 'evaluate-worker.js'),
    threads,
    workerData: () => ({ secretKey: sk, publicKey: pk }) satisfies EvaluateWorkerInit,
  });

  const inline = opts.inlineWhen ? await createSodiumEvaluator(sk, pk) : undefined;
  let inlined = 0;
  let closed = false;
  return {
    threads,
    inlined: () => inlined,
    async blindEvaluateBatch(blindedElements) {
      // After close the pool refuses the call, with its error; the inline key is overwritten by then.
      if (inline && !closed && opts.inlineWhen!()) {
        inlined++;
        const answer = await inline.blindEvaluateBatch(blindedElements);
        opts.onBatch?.('main');
        return answer;
      }
      const elements = requireBatch(blindedElements, 'blindedElements');
      elements.forEach((e, i) => requireBytes(e, { batch: 'blindedElements', index: i }, OPRF.elementSize, 'oprf_invalid_element'));
      const packed = packFixed(elements as Uint8Array[], OPRF.elementSize);
      const { evaluated, proof } = await pool.run({ elements: packed }, elements.length, [packed.buffer]);
      opts.onBatch?.('worker');
      return { evaluatedElements: unpackFixed(evaluated, OPRF.elementSize), proof };
    },
    async close() {
      closed = true;
      await pool.close();
      inline?.close();
      sk.fill(0);
    },
  };
}
