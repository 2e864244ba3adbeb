/**
 * The small ports through which the pure core reaches the runtime. The Node
 * entry (src/node) and the Workers entry (src/workers) wire real
 * implementations; tests wire deterministic ones.
 */

/** Wall clock. */
export interface Clock {
  now(): Date;
}

/** Cryptographically secure randomness. */
export interface Random {
  bytes(n: number): Uint8Array;
}

/** Structured logger (pino-compatible subset). Never pass identifiers, tokens or keys. */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** System clock. */
export const systemClock: Clock = { now: () => new Date() };

/** Web Crypto randomness: available on Node 20+ and Workers alike. */
export const webRandom: Random = {
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    // getRandomValues fills at most 65,536 bytes per call.
    for (let off = 0; off < n; off += 65536) crypto.getRandomValues(out.subarray(off, Math.min(n, off + 65536)));
    return out;
  },
};

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
