/**
 * Append state of a log: the compact range [0, n) of transparency-dev/merkle.
 *
 * For a tree of n leaves it holds one hash per 1 bit of n: the roots of the
 * perfect subtrees that the binary decomposition of n splits the tree into,
 * widest (leftmost) first. That is O(log n) hashes, enough to
 *   - append a leaf hash (merging equal-width subtrees, like binary carry),
 *   - give the root at the current size (RFC 9162 §2.1.1 MTH) at any time,
 *   - report each perfect node the moment it is complete, so storage can
 *     keep the ones proofs will need (see storage.ts).
 *
 * The same object serves the running node (persisted after each append, see
 * `serialize`) and `cairn audit verify`, which replays every leaf hash into a
 * fresh state and compares the final root with the signed checkpoint.
 *
 * Wire struct of `serialize()` (all big-endian):
 *
 *   struct {
 *     uint64 tree_size;                     // n
 *     opaque subtree_roots[32 * popcount(n)]; // widest first
 *   } AppendState;
 */
import { CairnError } from '../../errors.js';
import { i2osp } from '../../bytes.js';
import { MERKLE } from '../../constants.js';
import { type MerkleHasher, rfc6962 } from './hasher.js';
import { foldRange, isTreeSize, popcount, type NodeId } from './nodes.js';

/** Called for every perfect node of level >= 1 completed by an append. */
export type OnNode = (node: NodeId, hash: Uint8Array) => void;

const H = MERKLE.hashSize;

/** Running state of an append-only RFC 6962 Merkle tree. */
export class AppendState {
  #size: number;
  /** Perfect subtree roots, widest first; one per 1 bit of #size. */
  readonly #stack: Uint8Array[];
  readonly #hasher: MerkleHasher;

  private constructor(size: number, stack: Uint8Array[], hasher: MerkleHasher) {
    this.#size = size;
    this.#stack = stack;
    this.#hasher = hasher;
  }

  /** State of the empty tree. */
  static empty(hasher: MerkleHasher = rfc6962): AppendState {
    return new AppendState(0, [], hasher);
  }

  /**
   * State from a size and its subtree roots (widest first), e.g. read from
   * storage or from the perfect nodes of `perfectNodes({start: 0, end: size})`.
   */
  static fromSubtrees(size: number, subtreeRoots: readonly Uint8Array[], hasher: MerkleHasher = rfc6962): AppendState {
    if (!isTreeSize(size)) throw new CairnError('invalid_request', `append state: tree size ${String(size)} is not a safe non-negative integer`);
    if (subtreeRoots.length !== popcount(size)) {
      throw new CairnError('invalid_request', `append state: a tree of ${size} leaves has ${popcount(size)} subtree roots, got ${subtreeRoots.length}`);
    }
    subtreeRoots.forEach((h, i) => {
      if (!(h instanceof Uint8Array) || h.length !== H) {
        throw new CairnError('invalid_request', `append state: subtree root ${i} must be ${H} bytes`);
      }
    });
    return new AppendState(size, subtreeRoots.map((h) => h.slice()), hasher);
  }

  /** Parse the wire struct written by `serialize` (stored by the node: trusted, but checked). */
  static deserialize(bytes: Uint8Array, hasher: MerkleHasher = rfc6962): AppendState {
    if (!(bytes instanceof Uint8Array) || bytes.length < 8) {
      throw new CairnError('invalid_request', 'append state: shorter than its 8-byte size header');
    }
    let size = 0;
    for (let i = 0; i < 8; i++) size = size * 256 + bytes[i]!;
    if (!Number.isSafeInteger(size)) throw new CairnError('invalid_request', 'append state: tree size is beyond 2^53');
    const want = 8 + H * popcount(size);
    if (bytes.length !== want) {
      throw new CairnError('invalid_request', `append state: a tree of ${size} leaves serializes to ${want} bytes, got ${bytes.length}`);
    }
    const stack: Uint8Array[] = [];
    for (let off = 8; off < bytes.length; off += H) stack.push(bytes.slice(off, off + H));
    return new AppendState(size, stack, hasher);
  }

  /** Number of leaves appended so far. */
  get size(): number {
    return this.#size;
  }

  /** Copies of the subtree roots, widest first (what `fromSubtrees` takes). */
  subtreeRoots(): Uint8Array[] {
    return this.#stack.map((h) => h.slice());
  }

  /**
   * Append one leaf *hash* (not leaf data: see hasher.ts `leafHash`).
   * `onNode` sees every perfect node of level >= 1 this append completes,
   * lowest first; level-0 nodes are the leaf hashes the caller already has.
   */
  append(leafHash: Uint8Array, onNode?: OnNode): void {
    if (!(leafHash instanceof Uint8Array) || leafHash.length !== H) {
      throw new CairnError('invalid_request', `append: leaf hash must be ${H} bytes`);
    }
    if (this.#size >= Number.MAX_SAFE_INTEGER) throw new CairnError('internal', 'append: tree size would pass 2^53');
    let hash: Uint8Array = leafHash;
    let index = this.#size;
    let level = 0;
    // Each trailing 1 bit of the old size is a subtree of the same width as
    // the one being carried: merge them, like a binary increment.
    for (let n = this.#size; n % 2 === 1; n = (n - 1) / 2) {
      const left = this.#stack.pop()!;
      hash = this.#hasher.nodeHash(left, hash);
      index = Math.floor(index / 2);
      level++;
      onNode?.({ level, index }, hash);
    }
    // Own what is kept: the caller may reuse its leaf hash buffer.
    this.#stack.push(hash === leafHash ? leafHash.slice() : hash);
    this.#size++;
  }

  /** RFC 9162 §2.1.1 MTH(D[0:n]) of the leaves appended so far. */
  root(): Uint8Array {
    return foldRange(this.#hasher, this.#stack);
  }

  /** Wire struct (see module header). */
  serialize(): Uint8Array {
    const out = new Uint8Array(8 + H * this.#stack.length);
    out.set(i2osp(this.#size, 8), 0);
    this.#stack.forEach((h, i) => out.set(h, 8 + H * i));
    return out;
  }

  /** An independent copy (e.g. to compute a provisional root without committing). */
  clone(): AppendState {
    return new AppendState(this.#size, this.subtreeRoots(), this.#hasher);
  }
}

/** MTH of a sequence of leaf hashes, in one pass with O(log n) memory. */
export function rootFromLeafHashes(leafHashes: Iterable<Uint8Array>, hasher: MerkleHasher = rfc6962): Uint8Array {
  const state = AppendState.empty(hasher);
  for (const h of leafHashes) state.append(h);
  return state.root();
}
