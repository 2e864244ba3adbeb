/**
 * Random bytes on Node from OpenSSL's generator (node:crypto), drawn a pool
 * at a time. Through Web Crypto's getRandomValues, the portable default, a
 * random scalar (48 bytes) cost about 7 µs in Node; from the pool about
 * 1.2 µs. A search draws one per blinded element and per dummy, some
 * hundred against three peers, and an answer one per proof.
 */
import { randomFillSync } from 'node:crypto';
import type { RandomBytes } from '../core/oprf/random.js';
import type { Random } from '../core/ports.js';

/** Bytes drawn at once. */
const POOL_BYTES = 4096;

/**
 * A RandomBytes source over a pool of `poolBytes` refilled from node:crypto.
 * Bytes handed out are copied and wiped from the pool, so no blind or proof
 * nonce stays behind in it; nothing is handed out twice.
 */
export function pooledRandomBytes(poolBytes: number = POOL_BYTES): RandomBytes {
  const pool = new Uint8Array(poolBytes);
  let at = poolBytes;
  return (n) => {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`random bytes: expected a length, got ${n}`);
    if (n > poolBytes) return randomFillSync(new Uint8Array(n));
    if (at + n > poolBytes) {
      randomFillSync(pool);
      at = 0;
    }
    const out = pool.slice(at, at + n);
    pool.fill(0, at, at + n);
    at += n;
    return out;
  };
}

/** This thread's pooled source (each worker thread has its own). */
export const nodeRandomBytes: RandomBytes = pooledRandomBytes();

/** The Random port on Node. */
export const nodeRandom: Random = { bytes: nodeRandomBytes };
