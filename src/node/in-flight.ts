/**
 * Requests in flight on the node's HTTP server, counted from the server's
 * 'request' event to the response's 'close'. close() drains them, and the
 * OPRF evaluator asks `alone()` whether a peer's match query may be
 * evaluated on the main thread (evaluator-thread.ts `inlineWhen`).
 *
 * Alone means: the only request in flight, and it arrived after the server
 * had been idle for at least `quietMs`. The count by itself is not enough.
 * Requests still in socket buffers are not counted until the main thread
 * parses them, so under load a count of one said "alone" to nearly every
 * request: each was evaluated on the main thread, the worker sat idle, and
 * one node's answers/s at 8 concurrent requests fell by a quarter (618 to
 * 443 in one run). Under load the next request is parsed within a fraction
 * of a millisecond of the last one finishing; a sequential searcher leaves a
 * peer idle for many milliseconds between its searches (its own work and its
 * client's), and that is the case the inline path is for.
 */

import type { Server } from 'node:http';

/** Idle time before a lone request counts as alone. */
export const QUIET_MS = 5;

export class InFlight {
  #open = 0;
  #idleSince = Number.NEGATIVE_INFINITY;
  #calm = false;

  /** `now` in milliseconds from any monotonic origin (performance.now by default). */
  constructor(
    private readonly now: () => number = () => performance.now(),
    readonly quietMs: number = QUIET_MS,
  ) {}

  /** Requests in flight. */
  get open(): number {
    return this.#open;
  }

  /** Count the requests of `server`, from its 'request' event to the response's 'close'. */
  track(server: Server): this {
    server.on('request', (_req, res) => {
      this.arrived();
      res.once('close', () => this.finished());
    });
    return this;
  }

  /** A request was parsed (the server's 'request' event). */
  arrived(): void {
    this.#calm = this.#open === 0 && this.now() - this.#idleSince >= this.quietMs;
    this.#open++;
  }

  /** A response was sent or its connection dropped (the response's 'close'). */
  finished(): void {
    if (this.#open === 0) throw new Error('InFlight.finished() without a request in flight');
    this.#open--;
    if (this.#open === 0) this.#idleSince = this.now();
  }

  /** One request in flight, which arrived at a quiet server. */
  alone(): boolean {
    return this.#open <= 1 && this.#calm;
  }
}
