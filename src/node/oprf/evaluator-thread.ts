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
 */
import type { OprfEvaluator } from '../../core/federation/answer.js';
import { OPRF } from '../../core/constants.js';
import { requireBatch, requireBytes } from '../../core/oprf/checks.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { createWorkerPool, poolThreads } from './worker-pool.js';
import { packFixed, unpackFixed, type EvaluateRequest, type EvaluateResult, type EvaluateWorkerInit } from './worker-protocol.js';
import { resolveWorkerUrl } from './worker-url.js';

/** An OprfEvaluator on worker threads. */
export interface ThreadedEvaluator extends OprfEvaluator {
  readonly threads: number;
  close(): Promise<void>;
}

/** Start `threads` evaluate workers (default: one fewer than the cores, at least one). */
export async function createThreadedEvaluator(secretKey: Uint8Array, publicKey: Uint8Array, opts: { threads?: number; workerUrl?: URL } = {}): Promise<ThreadedEvaluator> {
  const sk = validateOprfSecretKey(secretKey).slice();
  const pk = requireBytes(publicKey, 'publicKey', OPRF.elementSize).slice();
  const threads = poolThreads(opts.threads);
  const pool = await createWorkerPool<EvaluateRequest, EvaluateResult>({
    name: 'evaluate',
    workerUrl: opts.workerUrl ?? resolveWorkerUrl(import.meta.url, 'evaluate-worker.js'),
    threads,
    workerData: () => ({ secretKey: sk, publicKey: pk }) satisfies EvaluateWorkerInit,
  });

  return {
    threads,
    async blindEvaluateBatch(blindedElements) {
      const elements = requireBatch(blindedElements, 'blindedElements');
      elements.forEach((e, i) => requireBytes(e, { batch: 'blindedElements', index: i }, OPRF.elementSize, 'oprf_invalid_element'));
      const packed = packFixed(elements as Uint8Array[], OPRF.elementSize);
      const { evaluated, proof } = await pool.run({ elements: packed }, elements.length, [packed.buffer]);
      return { evaluatedElements: unpackFixed(evaluated, OPRF.elementSize), proof };
    },
    async close() {
      await pool.close();
      sk.fill(0);
    },
  };
}
