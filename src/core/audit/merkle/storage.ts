/**
 * Ports through which proof generation reads the tree, and the storage
 * design they imply.
 *
 * Proofs (RFC 9162 §2.1.3, §2.1.4) and historical roots are made only of
 * perfect nodes (nodes.ts), and a perfect node never changes once complete.
 * So storage answers a proof for a 1M-leaf tree with ~2·log2(n) ≈ 40 node
 * hashes, without reading the leaves:
 *
 *   - The database keeps the leaf hashes (level 0) with the entries, and the
 *     perfect nodes of every `stride`-th level (4, 8, 12, ... for stride 4)
 *     in a table such as
 *
 *       merkle_nodes(level INTEGER, idx INTEGER, hash BLOB(32),
 *                    PRIMARY KEY (level, idx))
 *
 *     filled from `AppendState.append(leafHash, onNode)` in the same atomic
 *     unit as the entry: insert when `level % stride === 0`. With stride 4
 *     that is ~n/15 extra rows (about 67k for 1M entries), like the tiles of
 *     c2sp.org/tlog-tiles but with height 4.
 *
 *   - `strideNodeSource` rebuilds any other perfect node from at most
 *     2^(stride-1) stored nodes one stored level below it, with contiguous
 *     range reads (`readLevel`), i.e. `WHERE level = ? AND idx >= ? AND idx < ?`.
 *     An inclusion proof in a 1M-leaf tree then reads about 25 ranges and
 *     under 100 hashes; `stride = 1` (store every level, ~2n rows) makes it
 *     ~25 single rows, `stride = 8` several hundred rows.
 *
 * Tests and small tools can use `MemoryNodeStore` or `nodeSourceFromLeaves`.
 */
import { CairnError } from '../../errors.js';
import { MERKLE } from '../../constants.js';
import { type MerkleHasher, rfc6962 } from './hasher.js';
import type { NodeId } from './nodes.js';
import type { OnNode } from './append-state.js';

/** What proof generation needs: hashes of perfect nodes inside the current tree. */
export interface MerkleNodeSource {
  /**
   * Hashes of the given perfect nodes, in the same order. Only ever asked for
   * nodes that lie entirely within the tree size the proof is for.
   */
  nodeHashes(nodes: readonly NodeId[]): Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

/** What a database stores: perfect nodes of every `stride`-th level, read by contiguous ranges. */
export interface StoredLevelReader {
  /**
   * Hashes of stored nodes at `level` (a multiple of the stride; 0 means leaf
   * hashes) with indices in [start, end), in index order.
   */
  readLevel(level: number, start: number, end: number): Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

/** Leaf hashes by index: the minimal source, for small trees and tests. */
export interface LeafHashSource {
  /** Leaf hashes of leaves [start, end), in order. */
  leafHashes(start: number, end: number): Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

function checkHashes(got: readonly Uint8Array[], want: number, what: string): void {
  if (!Array.isArray(got) || got.length !== want) {
    throw new CairnError('internal', `${what}: storage returned ${Array.isArray(got) ? got.length : 'no'} hashes, want ${want}`);
  }
  for (const h of got) {
    if (!(h instanceof Uint8Array) || h.length !== MERKLE.hashSize) {
      throw new CairnError('internal', `${what}: storage returned a hash that is not ${MERKLE.hashSize} bytes`);
    }
  }
}

/** Hash a run of 2^k sibling hashes up to their common ancestor. */
function hashUp(hasher: MerkleHasher, hashes: readonly Uint8Array[]): Uint8Array {
  let row = hashes.slice();
  while (row.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < row.length; i += 2) next.push(hasher.nodeHash(row[i]!, row[i + 1]!));
    row = next;
  }
  return row[0]!;
}

/** A node source that rebuilds node (L, i) from its descendants on level `baseOf(L)`. */
function rebuildingSource(reader: StoredLevelReader, baseOf: (level: number) => number, hasher: MerkleHasher): MerkleNodeSource {
  return {
    async nodeHashes(nodes) {
      return Promise.all(
        nodes.map(async ({ level, index }) => {
          const width = 2 ** (level - baseOf(level));
          const got = await reader.readLevel(baseOf(level), index * width, (index + 1) * width);
          checkHashes(got, width, `node (${level}, ${index})`);
          return hashUp(hasher, got);
        }),
      );
    },
  };
}

/**
 * A node source over storage that keeps every `stride`-th level (see the
 * module header). Node (L, i) is rebuilt from its 2^(L mod stride)
 * descendants on level L - (L mod stride).
 */
export function strideNodeSource(reader: StoredLevelReader, stride: number, hasher: MerkleHasher = rfc6962): MerkleNodeSource {
  if (!Number.isSafeInteger(stride) || stride < 1 || stride > 16) {
    throw new CairnError('config_invalid', `merkle node stride must be an integer in 1..16, got ${String(stride)}`);
  }
  return rebuildingSource(reader, (level) => level - (level % stride), hasher);
}

/** A node source that hashes leaves on demand: O(2^level) reads per node, for small trees and tests. */
export function nodeSourceFromLeaves(leaves: LeafHashSource, hasher: MerkleHasher = rfc6962): MerkleNodeSource {
  return rebuildingSource({ readLevel: (_level, start, end) => leaves.leafHashes(start, end) }, () => 0, hasher);
}

/**
 * In-memory node store: keeps every perfect node. Feed it from appends with
 * `store.onNode` plus `store.putLeaf`; a reference for the database adapter.
 */
export class MemoryNodeStore implements MerkleNodeSource, StoredLevelReader {
  readonly #levels: Uint8Array[][] = [];

  /** Record a leaf hash (level 0) at its index. */
  putLeaf(index: number, hash: Uint8Array): void {
    this.put({ level: 0, index }, hash);
  }

  /** Record a perfect node. */
  put(node: NodeId, hash: Uint8Array): void {
    (this.#levels[node.level] ??= [])[node.index] = hash.slice();
  }

  /** Bound `put`, to pass as `AppendState.append`'s callback. */
  readonly onNode: OnNode = (node, hash) => this.put(node, hash);

  nodeHashes(nodes: readonly NodeId[]): Uint8Array[] {
    return nodes.map(({ level, index }) => {
      const h = this.#levels[level]?.[index];
      if (!h) throw new CairnError('internal', `memory node store: no node (${level}, ${index})`);
      return h;
    });
  }

  readLevel(level: number, start: number, end: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = start; i < end; i++) out.push(...this.nodeHashes([{ level, index: i }]));
    return out;
  }
}
