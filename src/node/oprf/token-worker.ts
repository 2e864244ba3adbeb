/**
 * Worker thread of the token pool: receives the secret key once in
 * workerData, then turns packed batches of inputs into packed tokens with
 * libsodium. Never logs; errors go back as codes and safe messages.
 * Loaded as compiled JavaScript: dist/src/node/oprf/token-worker.js.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { OPRF } from '../../core/constants.js';
import { loadSodium, sodiumEvaluateToken } from './sodium-token.js';
import { toWireError, unpackInputs, type WorkerInit, type WorkerReply, type WorkerRequest } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('token-worker must run in a worker thread');

const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);

try {
  const init = workerData as WorkerInit;
  const key = validateOprfSecretKey(init.secretKey).slice();
  init.secretKey.fill(0); // keep one copy of the key in this thread, not two
  const lib = await loadSodium();

  port.on('message', (req: WorkerRequest) => {
    const inputs = unpackInputs(req.data, req.lengths);
    const tokens = new Uint8Array(inputs.length * OPRF.hashSize);
    for (let i = 0; i < inputs.length; i++) {
      try {
        tokens.set(sodiumEvaluateToken(lib, key, inputs[i]!), i * OPRF.hashSize);
      } catch (e) {
        send({ type: 'error', id: req.id, error: toWireError(e, i) });
        return;
      }
    }
    send({ type: 'result', id: req.id, tokens }, [tokens.buffer]);
  });
  send({ type: 'ready' });
} catch (e) {
  send({ type: 'error', id: null, error: toWireError(e) });
}
