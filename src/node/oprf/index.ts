/**
 * Node adapters of the OPRF: a libsodium backend and a worker-thread pool for
 * bulk tokenisation, both byte-identical to the portable core path.
 */
export { createSodiumTokenBackend, loadSodium, sodiumEvaluateToken, type Sodium } from './sodium-token.js';
export { createTokenPool, lazyTokenPool, type TokenPool, type TokenPoolOptions } from './token-pool.js';
export { resolveTokenWorkerUrl } from './worker-url.js';
