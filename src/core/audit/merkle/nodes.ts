/**
 * Tree geometry: which subtrees a proof or a root is made of.
 *
 * A *perfect node* (level L, index i) is the root of the complete subtree over
 * leaves [i·2^L, (i+1)·2^L); level 0 nodes are leaf hashes. Those are the
 * only hashes a log ever needs to store, because they never change once the
 * tree has grown past them. Every other hash in RFC 9162 (a root, or a proof
 * element on the right border) is the hash MTH(D[lo:hi]) of a range that is
 * *not* a power of two wide; it is rebuilt from the perfect nodes the range
 * splits into (`perfectNodes`), folded right to left (`foldRange`).
 *
 * Sizes and indices are JavaScript numbers restricted to safe integers
 * (< 2^53), so bit operations are done with arithmetic, never `>>`.
 */
import { CairnError } from '../../errors.js';
import type { MerkleHasher } from './hasher.js';

/** A perfect subtree: leaves [index·2^level, (index+1)·2^level). */
export interface NodeId {
  readonly level: number;
  readonly index: number;
}

/** A half-open leaf range [start, end) whose MTH is one proof element. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** True if `n` is a safe integer >= 0. */
export const isTreeSize = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Largest power of two strictly less than n (RFC 9162 §2.1.1 "k"), for n >= 2. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Number of 1 bits of a safe integer. */
export function popcount(n: number): number {
  let c = 0;
  for (let v = n; v > 0; v = Math.floor(v / 2)) c += v % 2;
  return c;
}

/**
 * The perfect nodes that MTH(D[start:end]) is made of, widest first.
 * Requires `start` to be a multiple of a power of two >= end - start, which
 * holds for every range RFC 9162 hashes (roots and proof elements).
 */
export function perfectNodes(range: LeafRange): NodeId[] {
  const { start, end } = range;
  const out: NodeId[] = [];
  let cursor = start;
  let width = 1;
  let level = 0;
  while (width * 2 <= end - start) {
    width *= 2;
    level++;
  }
  for (; width >= 1; width /= 2, level--) {
    if (cursor + width > end) continue;
    if (cursor % width !== 0) throw new CairnError('internal', `range [${start}, ${end}) is not aligned to perfect subtrees`);
    out.push({ level, index: cursor / width });
    cursor += width;
  }
  return out;
}

/**
 * Fold the hashes of a range's perfect nodes (widest first) into MTH of the
 * range: the rightmost subtrees combine first, as RFC 9162 §2.1.1 splits
 * D[n] at the largest power of two below n.
 */
export function foldRange(hasher: MerkleHasher, hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return hasher.emptyRoot();
  let acc = hashes[hashes.length - 1]!;
  for (let i = hashes.length - 2; i >= 0; i--) acc = hasher.nodeHash(hashes[i]!, acc);
  return acc;
}

/**
 * The ranges of RFC 9162 §2.1.3.1 PATH(m, D[n]) (the inclusion proof of leaf
 * m in a tree of n leaves), in proof order: nearest the leaf first.
 */
export function inclusionProofRanges(leafIndex: number, treeSize: number): LeafRange[] {
  const out: LeafRange[] = [];
  let lo = 0;
  let hi = treeSize;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (leafIndex < lo + k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
    }
  }
  return out.reverse();
}

/**
 * The ranges of RFC 9162 §2.1.4.1 PROOF(m, D[n]) = SUBPROOF(m, D[n], true)
 * (the consistency proof from size m to size n, 0 < m < n), in proof order.
 */
export function consistencyProofRanges(size1: number, size2: number): LeafRange[] {
  const out: LeafRange[] = [];
  let lo = 0;
  let hi = size2;
  // `whole` is SUBPROOF's b: true while D[lo:hi] still starts at the old tree's
  // left edge, where the verifier already knows MTH(D[0:m]) itself.
  let whole = true;
  for (;;) {
    if (size1 === hi) {
      if (!whole) out.push({ start: lo, end: hi });
      break;
    }
    const k = splitPoint(hi - lo);
    if (size1 <= lo + k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
      whole = false;
    }
  }
  return out.reverse();
}
