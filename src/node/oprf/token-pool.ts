/**
 * Bulk tokenisation on worker threads (the shared pool of worker-pool.ts):
 * the inputs of a call are cut into batches, each batch goes to the
 * least-busy worker as one packed message, and the tokens come back in input
 * order. Each worker runs the libsodium path, so results are byte-identical
 * to `evaluateToken`.
 *
 * - The secret key is validated here and sent to each worker once, at its
 *   start-up (workerData). It is never logged or put into an error.
 * - A bad input fails the whole call with `oprf_invalid_input` naming
 *   `inputs[i]`; crashes and shutdown follow the pool's one policy.
 */
import { availableParallelism } from 'node:os';
import type { TokenBackend } from '../../core/oprf/backend.js';
import { oprfError, relocate, requireBatch, requireInput } from '../../core/oprf/checks.js';
import { validateOprfSecretKey } from '../../core/oprf/keys.js';
import { isCairnError } from '../../core/errors.js';
import { createWorkerPool, poolThreads, type WorkerPool } from './worker-pool.js';
import { packInputs, unpackTokens, type TokenRequest, type TokenWorkerInit } from './worker-protocol.js';
import { resolveTokenWorkerUrl } from './worker-url.js';

/**
 * Young generation of a token worker, in MiB (V8's default is 48 on 64-bit).
 * A worker keeps nothing between batches, so a small one costs a few more
 * scavenges of short-lived garbage and saves about 25 MiB of an import's
 * resident memory (issue 4's 512 MiB line).
 */
const TOKEN_WORKER_YOUNG_MB = 12;

/** Options of `createTokenPool`. */
export interface TokenPoolOptions {
  /** The node's OPRF secret key (32-byte scalar). */
  readonly secretKey: Uint8Array;
  /** Worker threads; default os.availableParallelism(). */
  readonly threads?: number;
  /** Most inputs per message to a worker; default 256. */
  readonly batchSize?: number;
  /** Worker script; default resolved by resolveTokenWorkerUrl. */
  readonly workerUrl?: URL;
}

/** A TokenBackend spread over worker threads. */
export interface TokenPool extends TokenBackend {
  readonly threads: number;
}

const DEFAULT_BATCH = 256;

/** Start a pool of token workers; resolves once every worker is ready. */
export async function createTokenPool(options: TokenPoolOptions): Promise<TokenPool> {
  const key = validateOprfSecretKey(options.secretKey).slice();
  const threads = poolThreads(options.threads, availableParallelism());
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw oprfError('oprf_invalid_input', 'batchSize', 'expected an integer >= 1');
  }
  let pool: WorkerPool<TokenRequest, Uint8Array>;
  try {
    pool = await createWorkerPool<TokenRequest, Uint8Array>({
      name: 'token',
      workerUrl: options.workerUrl ?? resolveTokenWorkerUrl(import.meta.url),
      threads,
      workerData: () => ({ secretKey: key }) satisfies TokenWorkerInit,
      resourceLimits: { maxYoungGenerationSizeMb: TOKEN_WORKER_YOUNG_MB },
    });
  } catch (e) {
    key.fill(0);
    throw e;
  }

  /** Tokens of inputs[start, end); a worker's error about its batch item i becomes inputs[start + i]. */
  async function run(inputs: readonly Uint8Array[], start: number, end: number): Promise<Uint8Array[]> {
    const req = packInputs(inputs, start, end);
    try {
      return unpackTokens(await pool.run(req, end - start, [req.data.buffer, req.lengths.buffer]));
    } catch (e) {
      const index = isCairnError(e) ? e.location?.index : undefined;
      throw index === undefined ? e : relocate(e, { batch: 'inputs', index: start + index });
    }
  }

  return {
    name: 'pool',
    threads,
    async evaluateTokens(inputs) {
      if (Array.isArray(inputs) && inputs.length === 0) return [];
      requireBatch(inputs, 'inputs');
      // Cheap checks here, so a bad input fails before any work and names its index.
      inputs.forEach((x, i) => requireInput(x, { batch: 'inputs', index: i }));
      const chunk = Math.min(batchSize, Math.ceil(inputs.length / Math.max(1, pool.live())));
      const parts: Promise<Uint8Array[]>[] = [];
      for (let start = 0; start < inputs.length; start += chunk) parts.push(run(inputs, start, Math.min(start + chunk, inputs.length)));
      return (await Promise.all(parts)).flat();
    },
    async close() {
      await pool.close();
      key.fill(0);
    },
  };
}

/**
 * A token pool started on first use: a serving node imports through its API
 * now and then, and need not hold worker threads (and their copies of the
 * key) until it does. A start that fails is tried again on the next call.
 */
export function lazyTokenPool(options: TokenPoolOptions): TokenBackend {
  const key = validateOprfSecretKey(options.secretKey).slice();
  let pool: Promise<TokenPool> | undefined;
  let closed = false;
  const started = () =>
    (pool ??= createTokenPool({ ...options, secretKey: key }).catch((e: unknown) => {
      pool = undefined;
      throw e;
    }));
  return {
    name: 'pool',
    async evaluateTokens(inputs) {
      if (closed) throw oprfError('internal', 'backend', 'is closed');
      return (await started()).evaluateTokens(inputs);
    },
    async close() {
      closed = true;
      const running = pool;
      pool = undefined;
      if (running) await (await running.catch(() => undefined))?.close();
      key.fill(0);
    },
  };
}
