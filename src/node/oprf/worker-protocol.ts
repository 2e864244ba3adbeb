/**
 * Messages between a worker pool (worker-pool.ts) and its worker threads,
 * the same for the token workers (bulk tokenisation) and the evaluate
 * workers (answering a peer's match request).
 *
 *   start-up  workerData = W                         (the key crosses once)
 *   worker -> { type: "ready" } | { type: "error", id: null, error }
 *   pool   -> { id, request }
 *   worker -> { type: "result", id, result } | { type: "error", id, error }
 *
 * Batches travel packed into transferred buffers, so a batch costs two
 * messages and no per-item cloning:
 *
 *   token     request { data = input0 || input1 || ..., lengths }   result: 64-byte tokens, in order
 *   evaluate  request { elements = 32 bytes each }                   result: { evaluated (32 bytes each), proof }
 *   finalize  request { inputs, lengths, blinds, evaluated,          result: 64-byte tokens, one per input
 *                       blinded (32 bytes each), publicKey, proof }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OPRF } from '../../core/constants.js';
import { CairnError, ERROR_CODES, isCairnError, type ErrorCode } from '../../core/errors.js';

/** Data handed to a token worker at start-up. */
export interface TokenWorkerInit {
  readonly secretKey: Uint8Array;
}

/** One batch of inputs for a token worker. */
export interface TokenRequest {
  readonly data: Uint8Array<ArrayBuffer>;
  readonly lengths: Uint32Array<ArrayBuffer>;
}

/** Data handed to an evaluate worker at start-up. */
export interface EvaluateWorkerInit {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** One BlindEvaluateBatch: the blinded elements packed end to end. */
export interface EvaluateRequest {
  readonly elements: Uint8Array;
}

/** Its answer: the evaluated elements packed end to end, and the batch proof. */
export interface EvaluateResult {
  readonly evaluated: Uint8Array;
  readonly proof: Uint8Array;
}

/**
 * One FinalizeBatch of a padded answer (the searcher's side of a match):
 * the real keys' inputs packed with their lengths, and one blind, blinded
 * and evaluated element per element sent (32 bytes each, end to end).
 */
export interface FinalizeRequest {
  readonly inputs: Uint8Array<ArrayBuffer>;
  readonly lengths: Uint32Array<ArrayBuffer>;
  readonly blinds: Uint8Array<ArrayBuffer>;
  readonly evaluated: Uint8Array<ArrayBuffer>;
  readonly blinded: Uint8Array<ArrayBuffer>;
  readonly publicKey: Uint8Array;
  readonly proof: Uint8Array;
}

/**
 * An error as it crosses the thread boundary: code, safe message, and where
 * (field, the index of a batch item, the problem without the field) as the
 * CairnError held them.
 */
export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly field?: string;
  readonly index?: number;
  readonly problem?: string;
}

/** Everything a pool sends a worker after start-up. */
export interface PoolMessage<Req> {
  readonly id: number;
  readonly request: Req;
}

/** Everything a worker may send. */
export type WorkerReply<Res> =
  | { readonly type: 'ready' }
  | { readonly type: 'result'; readonly id: number; readonly result: Res }
  | { readonly type: 'error'; readonly id: number | null; readonly error: WireError };

/** Turn any error into its wire form; non-Cairn errors lose their message (it may hold data). */
export function toWireError(e: unknown): WireError {
  if (!isCairnError(e)) return { code: 'internal', message: 'worker failed' };
  const { field, index } = e.location ?? {};
  const problem = e.details?.problem;
  return {
    code: e.code,
    message: e.message,
    ...(field === undefined ? {} : { field }),
    ...(index === undefined ? {} : { index }),
    ...(typeof problem === 'string' ? { problem } : {}),
  };
}

/** Rebuild a CairnError from its wire form; a code outside the union becomes `internal`. */
export function fromWireError(w: WireError): CairnError {
  const code: ErrorCode = (ERROR_CODES as readonly string[]).includes(w.code) ? w.code : 'internal';
  const location = { ...(w.field === undefined ? {} : { field: w.field }), ...(w.index === undefined ? {} : { index: w.index }) };
  return new CairnError(code, w.message, {
    ...(Object.keys(location).length > 0 ? { location } : {}),
    ...(w.problem === undefined ? {} : { details: { problem: w.problem } }),
  });
}

/** What a worker's handler returns: the result and the buffers to transfer with it. */
export interface Handled<Res> {
  readonly result: Res;
  readonly transfer?: ArrayBuffer[];
}

/**
 * The worker side of the protocol: `setup(workerData)` runs once (a failure
 * is reported as a start-up error), then each request goes to the handler it
 * returns, one at a time, and its result or error goes back.
 */
export async function serveWorker<W, Req, Res>(setup: (init: W) => Promise<(request: Req) => Handled<Res> | Promise<Handled<Res>>>): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('a pool worker must run in a worker thread');
  const send = (reply: WorkerReply<Res>, transfer: ArrayBuffer[] = []): void => port.postMessage(reply, transfer);
  let handle: (request: Req) => Handled<Res> | Promise<Handled<Res>>;
  try {
    handle = await setup(workerData as W);
  } catch (e) {
    send({ type: 'error', id: null, error: toWireError(e) });
    return;
  }
  port.on('message', (m: PoolMessage<Req>) => {
    void (async () => {
      try {
        const { result, transfer } = await handle(m.request);
        send({ type: 'result', id: m.id, result }, transfer);
      } catch (e) {
        send({ type: 'error', id: m.id, error: toWireError(e) });
      }
    })();
  });
  send({ type: 'ready' });
}

/** Pack inputs[start, end) into one buffer plus lengths. */
export function packInputs(inputs: readonly Uint8Array[], start: number, end: number): TokenRequest {
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

/** Pack equal-size items end to end. */
export function packFixed(items: readonly Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(items.length * size);
  items.forEach((x, i) => out.set(x, i * size));
  return out;
}

/** Split a packed buffer into `size`-byte items (copies, so callers own them). */
export function unpackFixed(packed: Uint8Array, size: number): Uint8Array[] {
  return Array.from({ length: packed.length / size }, (_, i) => packed.slice(i * size, (i + 1) * size));
}

/** Split a packed token buffer into 64-byte tokens. */
export function unpackTokens(tokens: Uint8Array): Uint8Array[] {
  return unpackFixed(tokens, OPRF.hashSize);
}
