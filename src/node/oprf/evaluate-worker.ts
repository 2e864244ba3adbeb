/**
 * Worker thread of the threaded evaluator (evaluator-thread.ts): receives the
 * OPRF key pair once in workerData, then answers BlindEvaluateBatch requests
 * with the libsodium evaluator. Never logs; errors go back as code, safe
 * message and field. Loaded as compiled JavaScript:
 * dist/src/node/oprf/evaluate-worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isCairnError } from '../../core/errors.js';
import { createSodiumEvaluator } from './sodium-evaluate.js';
import type { EvaluateReply, EvaluateRequest, EvaluatorInit } from './evaluator-thread.js';

const port = parentPort;
if (port === null) throw new Error('evaluate-worker must run in a worker thread');

const send = (reply: EvaluateReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);
const wire = (e: unknown) =>
  isCairnError(e)
    ? { code: e.code, message: e.message, ...(e.location?.field !== undefined ? { field: e.location.field } : {}) }
    : { code: 'internal' as const, message: 'evaluate worker failed' };

try {
  const init = workerData as EvaluatorInit;
  const evaluator = await createSodiumEvaluator(init.secretKey, init.publicKey);
  init.secretKey.fill(0); // the evaluator keeps its own copy
  port.on('message', (req: EvaluateRequest) => {
    const n = req.elements.length / 32;
    const elements = Array.from({ length: n }, (_, i) => req.elements.subarray(i * 32, (i + 1) * 32));
    evaluator.blindEvaluateBatch(elements).then(
      ({ evaluatedElements, proof }) => {
        const packed = new Uint8Array(evaluatedElements.length * 32);
        evaluatedElements.forEach((e, i) => packed.set(e, i * 32));
        send({ type: 'result', id: req.id, evaluated: packed, proof }, [packed.buffer]);
      },
      (e: unknown) => send({ type: 'error', id: req.id, error: wire(e) }),
    );
  });
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'error', id: null, error: wire(e) });
}
