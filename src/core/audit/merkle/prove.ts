/**
 * Proof generation (RFC 9162 §2.1.3.1 PATH, §2.1.4.1 PROOF/SUBPROOF) over a
 * `MerkleNodeSource` (storage.ts).
 *
 * Each proof element is MTH of a leaf range (nodes.ts); each range is one or
 * more perfect nodes. All nodes of a proof are fetched in one batch, then
 * folded. Only the node at the right border of the tree is ever more than
 * one perfect node, so a proof reads O(log n) stored hashes.
 *
 * Arguments come from requesters (an HTTP query's leaf index or sizes), so
 * they are checked and rejected with `invalid_request`.
 */
import { MERKLE } from '../../constants.js';
import { CairnError } from '../../errors.js';
import { AppendState } from './append-state.js';
import { type MerkleHasher, rfc6962 } from './hasher.js';
import {
  consistencyProofRanges,
  foldRange,
  inclusionProofRanges,
  isTreeSize,
  perfectNodes,
  type LeafRange,
  type NodeId,
} from './nodes.js';
import type { MerkleNodeSource } from './storage.js';

function badArg(field: string, message: string): CairnError {
  return new CairnError('invalid_request', message, { location: { field } });
}

/** Fetch the perfect nodes of `ranges` in one call and fold each range into its MTH. */
async function hashRanges(source: MerkleNodeSource, ranges: readonly LeafRange[], hasher: MerkleHasher): Promise<Uint8Array[]> {
  const plan = ranges.map(perfectNodes);
  const ids: NodeId[] = plan.flat();
  const hashes = await source.nodeHashes(ids);
  if (!Array.isArray(hashes) || hashes.length !== ids.length) {
    throw new CairnError('internal', `merkle node source returned ${Array.isArray(hashes) ? hashes.length : 'no'} hashes for ${ids.length} nodes`);
  }
  for (const h of hashes) {
    if (!(h instanceof Uint8Array) || h.length !== MERKLE.hashSize) {
      throw new CairnError('internal', `merkle node source returned a hash that is not ${MERKLE.hashSize} bytes`);
    }
  }
  let next = 0;
  return plan.map((nodes) => foldRange(hasher, hashes.slice(next, (next += nodes.length))));
}

/** Inclusion proof of leaf `leafIndex` in the tree of `treeSize` leaves (RFC 9162 §2.1.3.1). */
export async function proveInclusion(
  source: MerkleNodeSource,
  leafIndex: number,
  treeSize: number,
  hasher: MerkleHasher = rfc6962,
): Promise<Uint8Array[]> {
  if (!isTreeSize(treeSize)) throw badArg('treeSize', `tree size ${String(treeSize)} is not a safe non-negative integer`);
  if (!isTreeSize(leafIndex)) throw badArg('leafIndex', `leaf index ${String(leafIndex)} is not a safe non-negative integer`);
  if (leafIndex >= treeSize) throw badArg('leafIndex', `leaf index ${leafIndex} is beyond tree size ${treeSize}`);
  return hashRanges(source, inclusionProofRanges(leafIndex, treeSize), hasher);
}

/**
 * Consistency proof from `size1` to `size2` (RFC 9162 §2.1.4.1), for
 * 0 < size1 <= size2; empty when the sizes are equal.
 */
export async function proveConsistency(
  source: MerkleNodeSource,
  size1: number,
  size2: number,
  hasher: MerkleHasher = rfc6962,
): Promise<Uint8Array[]> {
  if (!isTreeSize(size1)) throw badArg('size1', `size1 ${String(size1)} is not a safe non-negative integer`);
  if (!isTreeSize(size2)) throw badArg('size2', `size2 ${String(size2)} is not a safe non-negative integer`);
  if (size1 > size2) throw badArg('size1', `size1 (${size1}) is greater than size2 (${size2})`);
  if (size1 === 0) throw badArg('size1', 'a consistency proof from the empty tree is meaningless: every tree extends it');
  if (size1 === size2) return [];
  return hashRanges(source, consistencyProofRanges(size1, size2), hasher);
}

/** Root of the tree at an earlier (or the current) size, from stored nodes (RFC 9162 §2.1.1 MTH). */
export async function rootAtSize(source: MerkleNodeSource, treeSize: number, hasher: MerkleHasher = rfc6962): Promise<Uint8Array> {
  if (!isTreeSize(treeSize)) throw badArg('treeSize', `tree size ${String(treeSize)} is not a safe non-negative integer`);
  const [root] = await hashRanges(source, [{ start: 0, end: treeSize }], hasher);
  return root!;
}

/**
 * The append state at `treeSize`, rebuilt from stored nodes: lets a node
 * recover after a crash, or start from storage without persisting the state.
 */
export async function loadAppendState(source: MerkleNodeSource, treeSize: number, hasher: MerkleHasher = rfc6962): Promise<AppendState> {
  if (!isTreeSize(treeSize)) throw badArg('treeSize', `tree size ${String(treeSize)} is not a safe non-negative integer`);
  const roots = await hashRanges(
    source,
    perfectNodes({ start: 0, end: treeSize }).map(({ level, index }) => ({ start: index * 2 ** level, end: (index + 1) * 2 ** level })),
    hasher,
  );
  return AppendState.fromSubtrees(treeSize, roots, hasher);
}
