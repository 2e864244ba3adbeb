/**
 * The pooled node:crypto byte source the Node runtime blinds, pads and signs
 * with: every call gets fresh bytes of the length asked for, across pool
 * refills and past the pool's size, and a bad length is refused.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/core/bytes.js';
import { randomScalar } from '../src/core/oprf/random.js';
import { nodeRandom, pooledRandomBytes } from '../src/node/random.js';

describe('pooled random bytes', () => {
  it('hands out fresh bytes of each length asked for, across refills of the pool', () => {
    const rng = pooledRandomBytes(256);
    const seen = new Set<string>();
    // 48-byte draws do not divide 256: every refill leaves a tail unused.
    for (let i = 0; i < 2000; i++) {
      const b = rng(48);
      expect(b.length).toBe(48);
      seen.add(toHex(b));
    }
    expect(seen.size).toBe(2000);
    expect(rng(0).length).toBe(0);
    // Longer than the pool: drawn on its own.
    const big = rng(1000);
    expect(big.length).toBe(1000);
    expect(new Set(big).size).toBeGreaterThan(200);
    // A copy: changing what was handed out changes nothing later.
    const a = rng(32);
    a.fill(7);
    expect(toHex(rng(32))).not.toBe(toHex(a));
  });

  it('refuses a length that is not one', () => {
    const rng = pooledRandomBytes();
    expect(() => rng(-1)).toThrow(/expected a length/);
    expect(() => rng(1.5)).toThrow(/expected a length/);
  });

  it('draws RFC 9497 random scalars and the runtime\'s Random port from it', () => {
    const rng = pooledRandomBytes();
    const scalars = new Set(Array.from({ length: 100 }, () => randomScalar(rng)));
    expect(scalars.size).toBe(100);
    for (const s of scalars) expect(s > 0n).toBe(true);
    expect(nodeRandom.bytes(16).length).toBe(16);
  });
});
