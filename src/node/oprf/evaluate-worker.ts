/**
 * Worker thread of the threaded evaluator (evaluator-thread.ts): receives the
 * OPRF key pair once in workerData, then answers BlindEvaluateBatch requests
 * with the libsodium evaluator. Never logs; errors go back as code, safe
 * message and position (blindedElements[i]). Loaded as compiled JavaScript:
 * dist/src/node/oprf/evaluate-worker.js.
 */
import { OPRF } from '../../core/constants.js';
import { createSodiumEvaluator } from './sodium-evaluate.js';
import { packFixed, serveWorker, type EvaluateRequest, type EvaluateResult, type EvaluateWorkerInit } from './worker-protocol.js';

await serveWorker<EvaluateWorkerInit, EvaluateRequest, EvaluateResult>(async (init) => {
  const evaluator = await createSodiumEvaluator(init.secretKey, init.publicKey);
  init.secretKey.fill(0); // the evaluator keeps its own copy
  return async (req) => {
    // Views, not copies: the evaluator reads them before the buffer goes anywhere.
    const elements = Array.from({ length: req.elements.length / OPRF.elementSize }, (_, i) =>
      req.elements.subarray(i * OPRF.elementSize, (i + 1) * OPRF.elementSize),
    );
    const { evaluatedElements, proof } = await evaluator.blindEvaluateBatch(elements);
    const evaluated = packFixed(evaluatedElements, OPRF.elementSize);
    return { result: { evaluated, proof }, transfer: [evaluated.buffer] };
  };
});
