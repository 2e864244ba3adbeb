/**
 * The small ports through which the pure core reaches the runtime. The Node
 * entry (src/node) and the Workers entry (src/workers) wire real
 * implementations; tests wire deterministic ones.
 */
import { sha256 } from '@noble/hashes/sha2.js';

/** Wall clock. */
export interface Clock {
  now(): Date;
}

/** Cryptographically secure randomness. */
export interface Random {
  bytes(n: number): Uint8Array;
}

/**
 * SHA-256 of the concatenation of `parts`, fed in one after another (no
 * copy). The index hashes megabytes per delta through it (8 KiB groups of
 * shard hashes): Node wires OpenSSL's, Workers keep the portable one.
 */
export type Sha256 = (...parts: Uint8Array[]) => Uint8Array;

/** Noble's SHA-256, incremental: the portable default. */
export const portableSha256: Sha256 = (...parts) => {
  const h = sha256.create();
  for (const p of parts) h.update(p);
  return h.digest();
};

/** Room on the file system under the node's database, and the database's own size. */
export interface StorageUsage {
  /** Bytes the node's user may still write there. */
  freeBytes: number;
  /** The file system's size in bytes. */
  sizeBytes: number;
  /** The database's files (with its WAL) in bytes. */
  databaseBytes: number;
}

/** The storage under the node, where the runtime can see it (Node's file system; D1 does not say). */
export interface StoragePort {
  usage(): Promise<StorageUsage>;
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
