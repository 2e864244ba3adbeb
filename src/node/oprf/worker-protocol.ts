/**
 * Messages between the token pool and its worker threads. Inputs travel
 * packed into one transferred buffer per batch, and tokens come back the same
 * way, so a batch costs two messages and no per-input cloning.
 *
 *   start-up  workerData = { secretKey }            (the key crosses once)
 *   worker -> { type: "ready" } | { type: "error", id: null, error }
 *   pool   -> { id, data, lengths }                 data = input0 || input1 || ...
 *   worker -> { type: "result", id, tokens }        tokens = 64 bytes per input, in order
 *           | { type: "error", id, error }
 */
import { OPRF } from '../../core/constants.js';
import { CairnError, ERROR_CODES, type ErrorCode } from '../../core/errors.js';

/** Data handed to each worker at start-up. */
export interface WorkerInit {
  readonly secretKey: Uint8Array;
}

/** One batch of inputs for a worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly data: Uint8Array;
  readonly lengths: Uint32Array;
}

/** An error as it crosses the thread boundary: code, safe message, failing input. */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Index of the failing input within the batch, when one input caused it. */
  readonly index?: number;
}

/** Everything a worker may send. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly tokens: Uint8Array }
  | { readonly type: 'error'; readonly id: number | null; readonly error: WireError };

/** Pack inputs[start, end) into one buffer plus lengths. */
export function packInputs(
  inputs: readonly Uint8Array[],
  start: number,
  end: number,
): { data: Uint8Array; lengths: Uint32Array } {
  let total = 0;
  for (let i = start; i < end; i++) total += inputs[i]!.length;
  const data = new Uint8Array(total);
  const lengths = new Uint32Array(end - start);
  for (let i = start, off = 0; i < end; i++) {
    data.set(inputs[i]!, off);
    off += inputs[i]!.length;
    lengths[i - start] = inputs[i]!.length;
  }
  return { data, lengths };
}

/** Views of each packed input (no copies). */
export function unpackInputs(data: Uint8Array, lengths: Uint32Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, off = 0; i < lengths.length; i++) {
    out.push(data.subarray(off, off + lengths[i]!));
    off += lengths[i]!;
  }
  return out;
}

/** Split a packed token buffer into 64-byte tokens (copies, so callers own them). */
export function unpackTokens(tokens: Uint8Array, count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) out.push(tokens.slice(i * OPRF.hashSize, (i + 1) * OPRF.hashSize));
  return out;
}

/** Turn any error into its wire form; non-Cairn errors lose their message (it may hold data). */
export function toWireError(e: unknown, index?: number): WireError {
  if (e instanceof CairnError) return { code: e.code, message: e.message, ...(index === undefined ? {} : { index }) };
  return { code: 'internal', message: 'token worker failed', ...(index === undefined ? {} : { index }) };
}

/**
 * Rebuild a CairnError from its wire form; a code outside the union becomes
 * `internal`. With `inputIndex`, the error names the caller's input:
 * "input: …" becomes "inputs[<inputIndex>]: …".
 */
export function fromWireError(w: WireError, inputIndex?: number): CairnError {
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(w.code) ? w.code : 'internal';
  if (inputIndex === undefined) return new CairnError(code, w.message);
  const field = `inputs[${inputIndex}]`;
  return new CairnError(code, `${field}: ${w.message.replace(/^input: /, '')}`, { location: { field } });
}
