/**
 * The append state (compact range [0, n)) against a direct recursive
 * reading of RFC 9162 §2.1.1 MTH, plus its wire form and the node events
 * that feed storage.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import { AppendState, emptyRoot, leafHash, nodeHash, rootFromLeafHashes } from '../src/core/audit/merkle/index.js';

/** RFC 9162 §2.1.1, literally: MTH(D[n]) over leaf hashes. */
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return emptyRoot();
  if (d.length === 1) return d[0]!;
  let k = 1;
  while (k * 2 < d.length) k *= 2;
  return nodeHash(mth(d.slice(0, k)), mth(d.slice(k)));
}

const leaves = Array.from({ length: 300 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));

describe('AppendState', () => {
  it('matches MTH at every size 0..300', () => {
    const state = AppendState.empty();
    for (let n = 0; n <= 300; n++) {
      expect(toHex(state.root()), `size ${n}`).toBe(toHex(mth(leaves.slice(0, n))));
      if (n < 300) state.append(leaves[n]!);
    }
    expect(state.size).toBe(300);
  });

  it('reports each perfect node once, with the MTH of its leaves', () => {
    const state = AppendState.empty();
    const seen = new Map<string, string>();
    leaves.forEach((h) =>
      state.append(h, ({ level, index }, hash) => {
        const key = `${level}/${index}`;
        expect(seen.has(key)).toBe(false);
        seen.set(key, toHex(hash));
      }),
    );
    // 300 leaves complete 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1 nodes above level 0.
    expect(seen.size).toBe(150 + 75 + 37 + 18 + 9 + 4 + 2 + 1);
    for (const [key, hash] of seen) {
      const [level, index] = key.split('/').map(Number) as [number, number];
      const w = 2 ** level;
      expect(hash, key).toBe(toHex(mth(leaves.slice(index * w, (index + 1) * w))));
    }
  });

  it('round-trips through serialize / deserialize and fromSubtrees at any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 20 }), (n, more) => {
        const a = AppendState.empty();
        leaves.slice(0, n).forEach((h) => a.append(h));
        const b = AppendState.deserialize(a.serialize());
        const c = AppendState.fromSubtrees(a.size, a.subtreeRoots());
        for (const s of [b, c]) {
          expect(s.size).toBe(n);
          expect(toHex(s.root())).toBe(toHex(a.root()));
        }
        // The restored state keeps appending like the original.
        const extra = leaves.slice(0, more);
        extra.forEach((h) => (a.append(h), b.append(h)));
        expect(toHex(b.root())).toBe(toHex(a.root()));
      }),
      { numRuns: 60 },
    );
  });

  it('serializes as size then subtree roots', () => {
    const s = AppendState.empty();
    leaves.slice(0, 5).forEach((h) => s.append(h));
    const bytes = s.serialize();
    expect(bytes.length).toBe(8 + 2 * 32);
    expect(toHex(bytes.subarray(0, 8))).toBe('0000000000000005');
    expect(toHex(bytes.subarray(40))).toBe(toHex(leaves[4]!));
  });

  it('refuses a malformed serialization or subtree list', () => {
    const good = (() => {
      const s = AppendState.empty();
      leaves.slice(0, 3).forEach((h) => s.append(h));
      return s.serialize();
    })();
    const bad = [new Uint8Array(7), good.subarray(0, good.length - 1), new Uint8Array([...good, 0]), new Uint8Array([0xff, ...good.subarray(1)])];
    for (const b of bad) {
      expect(() => AppendState.deserialize(b)).toThrow();
      try {
        AppendState.deserialize(b);
      } catch (e) {
        expect(isCairnError(e, 'invalid_request')).toBe(true);
      }
    }
    expect(() => AppendState.fromSubtrees(3, [leaves[0]!])).toThrow(/2 subtree roots/);
    expect(() => AppendState.fromSubtrees(1, [new Uint8Array(31)])).toThrow(/32 bytes/);
    expect(() => AppendState.fromSubtrees(-1, [])).toThrow(/safe non-negative/);
    expect(() => AppendState.empty().append(new Uint8Array(33))).toThrow(/32 bytes/);
  });

  it('clone is independent', () => {
    const a = AppendState.empty();
    a.append(leaves[0]!);
    const b = a.clone();
    b.append(leaves[1]!);
    expect(a.size).toBe(1);
    expect(toHex(a.root())).toBe(toHex(leaves[0]!));
    expect(toHex(b.root())).toBe(toHex(mth(leaves.slice(0, 2))));
  });

  it('recomputes the root of 2^16 + 3 leaves in one pass', () => {
    const n = 2 ** 16 + 3;
    const many = Array.from({ length: n }, (_, i) => leaves[i % 300]!);
    // Independent check: hash level by level, carrying an odd last node up.
    let level = many;
    let tail: Uint8Array[] = [];
    while (level.length > 1) {
      const next: Uint8Array[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) next.push(nodeHash(level[i]!, level[i + 1]!));
      if (level.length % 2 === 1) tail = [level[level.length - 1]!, ...tail];
      level = next;
    }
    // Leftover right-border nodes fold right to left onto the perfect part.
    const want = [level[0]!, ...tail].reduceRight((acc, h) => nodeHash(h, acc));
    expect(toHex(rootFromLeafHashes(many))).toBe(toHex(want));
  });
});
