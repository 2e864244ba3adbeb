/**
 * Worker thread of the searcher's finalize pool (finalize-thread.ts): checks
 * a peer's batch proof and finalizes the real keys with the libsodium client.
 * It holds no key of ours: everything it needs comes with each request.
 * Never logs; errors go back as code, safe message and position. Loaded as
 * compiled JavaScript: dist/src/node/oprf/finalize-worker.js.
 */
import { OPRF } from '../../core/constants.js';
import { createSodiumOprfClient } from './sodium-client.js';
import { packFixed, serveWorker, unpackInputs, type FinalizeRequest } from './worker-protocol.js';

/** Views of each 32-byte item (no copies: the client reads them before the buffer goes anywhere). */
const elements = (packed: Uint8Array): Uint8Array[] =>
  Array.from({ length: packed.length / OPRF.elementSize }, (_, i) => packed.subarray(i * OPRF.elementSize, (i + 1) * OPRF.elementSize));

await serveWorker<null, FinalizeRequest, Uint8Array>(async () => {
  const client = await createSodiumOprfClient();
  return async (req) => {
    const tokens = await client.finalizePrefix!(unpackInputs(req.inputs, req.lengths), elements(req.blinds), elements(req.evaluated), elements(req.blinded), req.publicKey, req.proof);
    const packed = packFixed(tokens, OPRF.hashSize);
    return { result: packed, transfer: [packed.buffer] };
  };
});
