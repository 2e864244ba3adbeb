/**
 * The searcher's side of a match off the main thread: each peer's answer
 * needs its batch proof checked and the real keys finalized (about two
 * scalar multiplications per real key and a few more per answer), and a
 * search asks every peer at once, so their answers may arrive together.
 * Results, codes and positions are those of createSodiumOprfClient's
 * finalizePrefix.
 *
 * Which thread checks an answer: answers handed over in one turn of the
 * event loop arrived together; the first of them go to idle finalize
 * workers and the rest are checked on the calling thread, so with one
 * worker two answers are checked at a time and none waits behind another
 * in a queue. An answer that arrived alone is checked on the calling
 * thread: a worker would only add its hop (copying the answer out and the
 * tokens back, waking two threads; about 1 ms of CPU per 3-peer search on
 * the bench machine) to an answer nothing else competes with.
 *
 * - The workers hold no key: an answer carries everything its check needs.
 * - Items are checked by length here (a peer's evaluated element may be any
 *   length) and decoded in the worker.
 * - A worker that fails (`internal`: crashed, pool closed) costs nothing but
 *   time: the answer is then checked on the calling thread. Any other error
 *   is the answer's and is thrown as is.
 * - The workers start with the first answer, so a node that never searches
 *   holds none.
 */
import { OPRF } from '../../core/constants.js';
import { isCairnError } from '../../core/errors.js';
import type { OprfClient } from '../../core/federation/client.js';
import { requireBytes, requireInput, requirePaddedBatches } from '../../core/oprf/checks.js';
import { createSodiumOprfClient } from './sodium-client.js';
import { createWorkerPool, poolThreads, type WorkerPool } from './worker-pool.js';
import { packFixed, packInputs, unpackTokens, type FinalizeRequest } from './worker-protocol.js';
import { resolveWorkerUrl } from './worker-url.js';

type FinalizeArgs = Parameters<NonNullable<OprfClient['finalizePrefix']>>;

/** An OprfClient whose padded finalizations may run on worker threads. */
export interface ThreadedOprfClient extends OprfClient {
  readonly threads: number;
  /** Start the workers now rather than at the first answer; resolves true once they run, false if they could not start. */
  ready(): Promise<boolean>;
  /** Padded answers checked so far on a worker and on the calling thread. */
  counts(): { readonly worker: number; readonly inline: number };
  close(): Promise<void>;
}

/**
 * A client with `threads` finalize workers (default: one fewer than the
 * cores, at least one), started by the first padded answer, not at start-up:
 * a node that never searches holds no thread. Until they run (and for good
 * if they cannot start) answers are checked on the calling thread.
 */
export async function createThreadedOprfClient(opts: { threads?: number; workerUrl?: URL } = {}): Promise<ThreadedOprfClient> {
  const inline = await createSodiumOprfClient();
  const finalizeInline = inline.finalizePrefix!;
  const threads = poolThreads(opts.threads);
  let pool: WorkerPool<FinalizeRequest, Uint8Array> | undefined;
  let starting: Promise<boolean> | undefined;
  let closed = false;
  const ready = () =>
    (starting ??= (async () =>
      createWorkerPool<FinalizeRequest, Uint8Array>({
        name: 'finalize',
        workerUrl: opts.workerUrl ?? resolveWorkerUrl(import.meta.url, 'finalize-worker.js'),
        threads,
        workerData: () => null,
      }))().then(
      async (started) => {
        if (closed) await started.close();
        else pool = started;
        return !closed;
      },
      () => false,
    ));

  let worker = 0;
  let inlined = 0;
  const onThisThread: typeof finalizeInline = (...args) => {
    inlined++;
    return finalizeInline(...args);
  };
  const onWorker = async (p: WorkerPool<FinalizeRequest, Uint8Array>, args: FinalizeArgs): Promise<Uint8Array[]> => {
    const [inputs, blinds, evaluatedElements, blindedElements, publicKey, proof] = args;
    const n = requirePaddedBatches(inputs, blinds, evaluatedElements, blindedElements);
    const fixed = (items: readonly Uint8Array[], batch: string, code: 'oprf_invalid_element' | 'oprf_invalid_input' = 'oprf_invalid_element') => {
      items.forEach((e, index) => requireBytes(e, { batch, index }, OPRF.elementSize, code));
      return packFixed(items, OPRF.elementSize);
    };
    inputs.forEach((x, index) => requireInput(x, { batch: 'inputs', index }));
    const packed = packInputs(inputs, 0, inputs.length);
    const request: FinalizeRequest = {
      inputs: packed.data,
      lengths: packed.lengths,
      blinds: fixed(blinds, 'blinds', 'oprf_invalid_input'),
      evaluated: fixed(evaluatedElements, 'evaluatedElements'),
      blinded: fixed(blindedElements, 'blindedElements'),
      // Copied whole; the worker checks them as the calling thread would.
      publicKey: requireBytes(publicKey, 'publicKey').slice(),
      proof: requireBytes(proof, 'proof').slice(),
    };
    try {
      const tokens = unpackTokens(await p.run(request, n, [request.inputs.buffer, request.blinds.buffer, request.evaluated.buffer, request.blinded.buffer]));
      worker++;
      return tokens;
    } catch (e) {
      if (isCairnError(e, 'internal')) return onThisThread(...args);
      throw e;
    }
  };

  // Answers handed over in this turn of the event loop, checked together once it ends.
  let arrived: { args: FinalizeArgs; resolve(tokens: Uint8Array[] | PromiseLike<Uint8Array[]>): void; reject(e: unknown): void }[] = [];
  const dispatch = () => {
    const together = arrived;
    arrived = [];
    together.forEach((a, i) => {
      const offload = together.length > 1 && i < together.length - 1 && pool !== undefined && pool.idle();
      if (offload) {
        onWorker(pool!, a.args).then(a.resolve, a.reject);
        return;
      }
      try {
        a.resolve(onThisThread(...a.args));
      } catch (e) {
        a.reject(e);
      }
    });
  };
  return {
    threads,
    ready,
    counts: () => ({ worker, inline: inlined }),
    blind: (input) => inline.blind(input),
    hashToGroup: (input) => inline.hashToGroup!(input),
    blindElement: (element) => inline.blindElement!(element),
    finalizeBatch: (...args) => inline.finalizeBatch(...args),
    dummy: () => inline.dummy!(),
    finalizePrefix(...args) {
      if (!closed) void ready();
      return new Promise<Uint8Array[]>((resolve, reject) => {
        if (arrived.length === 0) setImmediate(dispatch);
        arrived.push({ args, resolve, reject });
      });
    },
    async close() {
      closed = true;
      await pool?.close();
    },
  };
}
