/**
 * A TokenBackend turns many inputs into tokens under one node's secret key:
 * the bulk, server-side path (importing records, re-keying). The portable
 * backend here runs anywhere the core runs (Node, Workers: no WASM, no
 * threads); the Node adapter adds a libsodium backend and a worker-thread
 * pool with byte-identical output.
 *
 * A backend is bound to its key when it is created, so the key is validated
 * once and, for the pool, crosses to the workers once.
 */
import { isCairnError } from '../errors.js';
import { oprfError, relocate, requireBatch } from './checks.js';
import { validateOprfSecretKey } from './keys.js';
import { evaluateToken } from './server.js';

/** Bulk tokeniser bound to one secret key. */
export interface TokenBackend {
  /** Short name for logs and benchmarks, e.g. "portable", "sodium", "pool". */
  readonly name: string;
  /**
   * Evaluate(skS, input) for each input (RFC 9497 §3.3.2, VOPRF mode), results in
   * input order. Fails with `oprf_invalid_input` (field `inputs[i]`) on a bad input.
   */
  evaluateTokens(inputs: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** Release resources (threads, key copies). Idempotent. */
  close(): Promise<void>;
}

/**
 * An error of one input re-raised as an error of item `index` of the batch
 * `inputs` (field `inputs[index]`, e.g. "inputs[7]: expected at most 65535
 * bytes, got 70000"); other errors unchanged.
 */
export function atInput(e: unknown, index: number): unknown {
  if (isCairnError(e, 'oprf_invalid_input') && e.location?.field === 'input') return relocate(e, { batch: 'inputs', index });
  return e;
}

/** How many tokens a sequential backend computes between yields to the event loop. */
const YIELD_EVERY = 256;

/**
 * A backend that evaluates one input at a time on the calling thread with
 * `evaluate(key, input)` (which checks `input`); the key is validated and copied
 * once, and wiped on close.
 */
export function createSequentialTokenBackend(
  name: string,
  secretKey: Uint8Array,
  evaluate: (key: Uint8Array, input: Uint8Array) => Uint8Array,
): TokenBackend {
  const key = validateOprfSecretKey(secretKey).slice();
  let closed = false;
  return {
    name,
    async evaluateTokens(inputs) {
      if (closed) throw oprfError('internal', 'backend', 'is closed');
      if (Array.isArray(inputs) && inputs.length === 0) return [];
      requireBatch(inputs, 'inputs');
      const out: Uint8Array[] = new Array<Uint8Array>(inputs.length);
      for (let i = 0; i < inputs.length; i++) {
        try {
          out[i] = evaluate(key, inputs[i]!);
        } catch (e) {
          throw atInput(e, i);
        }
        // Long batches must not starve the event loop (timers are a Web standard).
        if ((i + 1) % YIELD_EVERY === 0 && i + 1 < inputs.length) await new Promise((r) => setTimeout(r, 0));
      }
      return out;
    },
    async close() {
      closed = true;
      key.fill(0);
    },
  };
}

/** The portable backend: noble-curves `evaluateToken` on the calling thread. */
export function createPortableTokenBackend(secretKey: Uint8Array): TokenBackend {
  return createSequentialTokenBackend('portable', secretKey, evaluateToken);
}
