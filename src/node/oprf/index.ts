/**
 * Node adapters of the OPRF: a libsodium backend and a worker-thread pool for
 * bulk tokenisation, both byte-identical to the portable core path.
 */
export { loadSodium, loadSodiumBuild, type Sodium, type SodiumBuild } from './sodium.js';
export { createSodiumTokenBackend, sodiumEvaluateToken } from './sodium-token.js';
export { createTokenPool, lazyTokenPool, type TokenPool, type TokenPoolOptions } from './token-pool.js';
export { resolveTokenWorkerUrl } from './worker-url.js';
