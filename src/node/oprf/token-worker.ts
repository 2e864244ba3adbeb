/**
 * Worker thread of the token pool: receives the secret key once in
 * workerData, then turns packed batches of inputs into packed tokens with
 * libsodium. Never logs; errors go back as codes and safe messages, a bad
 * input as item `inputs[i]` of its batch. Loaded as compiled JavaScript:
 * dist/src/node/oprf/token-worker.js.
 */
import { OPRF } from '../../core/constants.js';
import { atInput } from '../../core/oprf/backend.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { loadSodium } from './sodium.js';
import { sodiumEvaluateToken } from './sodium-token.js';
import { serveWorker, unpackInputs, type TokenRequest, type TokenWorkerInit } from './worker-protocol.js';

await serveWorker<TokenWorkerInit, TokenRequest, Uint8Array>(async (init) => {
  const key = validateOprfSecretKey(init.secretKey).slice();
  init.secretKey.fill(0); // keep one copy of the key in this thread, not two
  const lib = await loadSodium();
  return (req) => {
    const inputs = unpackInputs(req.data, req.lengths);
    const tokens = new Uint8Array(inputs.length * OPRF.hashSize);
    for (let i = 0; i < inputs.length; i++) {
      try {
        tokens.set(sodiumEvaluateToken(lib, key, inputs[i]!), i * OPRF.hashSize);
      } catch (e) {
        throw atInput(e, i);
      }
    }
    return { result: tokens, transfer: [tokens.buffer] };
  };
});
