/**
 * Proof verification (RFC 9162 §2.1.3.2 inclusion, §2.1.4.2 consistency).
 *
 * Trust boundary: everything here is attacker-controlled (a peer's or a
 * log's answer), except the root hashes the caller took from checkpoints it
 * has already verified. Inputs are checked before any hashing, and each
 * failure raises `proof_invalid` with its own message and a machine-readable
 * `details.reason`:
 *
 *   invalid_size        a size or index is not a safe integer >= 0
 *   index_out_of_range  leaf index >= tree size
 *   bad_hash_length     a leaf, root or proof hash is not 32 bytes
 *   wrong_proof_length  the proof has more or fewer hashes than the sizes imply
 *   size_order          size1 > size2
 *   empty_tree          size1 = 0 < size2 (nothing to prove)
 *   proof_not_empty     size1 = size2 but hashes were sent
 *   root_mismatch       the proof does not lead to the expected root(s)
 *
 * The expected proof length comes from the same geometry that generates
 * proofs (nodes.ts), so a proof is never silently truncated or padded: the
 * deliberately broken transparency-dev/merkle cases (trailing garbage,
 * removed or inserted components, wrong sizes) all fail here.
 */
import { equalBytes } from '../../bytes.js';
import { MERKLE } from '../../constants.js';
import { CairnError } from '../../errors.js';
import { rfc6962, type MerkleHasher } from './hasher.js';
import { consistencyProofRanges, inclusionProofRanges, isTreeSize } from './nodes.js';

/** Why a proof was rejected (CairnError details.reason). */
export type ProofFailure =
  | 'invalid_size'
  | 'index_out_of_range'
  | 'bad_hash_length'
  | 'wrong_proof_length'
  | 'size_order'
  | 'empty_tree'
  | 'proof_not_empty'
  | 'root_mismatch';

function fail(reason: ProofFailure, message: string, field?: string): CairnError {
  return new CairnError('proof_invalid', message, { details: { reason }, ...(field ? { location: { field } } : {}) });
}

function checkSize(n: unknown, field: string): asserts n is number {
  if (!isTreeSize(n)) throw fail('invalid_size', `${field} ${String(n)} is not a safe integer >= 0`, field);
}

function checkHash(h: unknown, field: string): asserts h is Uint8Array {
  if (!(h instanceof Uint8Array) || h.length !== MERKLE.hashSize) {
    const got = h instanceof Uint8Array ? `${h.length} bytes` : typeof h;
    throw fail('bad_hash_length', `${field} must be a ${MERKLE.hashSize}-byte hash, got ${got}`, field);
  }
}

function checkProof(proof: unknown, want: number, what: string): asserts proof is readonly Uint8Array[] {
  if (!Array.isArray(proof)) throw fail('wrong_proof_length', `${what} proof is not a list of hashes`, 'hashes');
  if (proof.length !== want) {
    throw fail('wrong_proof_length', `${what} proof has ${proof.length} hashes, want ${want}`, 'hashes');
  }
  proof.forEach((h, i) => checkHash(h, `hashes[${i}]`));
}

const odd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/**
 * Root that an inclusion proof leads to, without comparing it to anything
 * (RFC 9162 §2.1.3.2 steps 1-4). Throws on malformed input.
 */
export function rootFromInclusionProof(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  hasher: MerkleHasher = rfc6962,
): Uint8Array {
  checkSize(leafIndex, 'leafIndex');
  checkSize(treeSize, 'treeSize');
  if (leafIndex >= treeSize) throw fail('index_out_of_range', `leaf index ${leafIndex} is beyond tree size ${treeSize}`, 'leafIndex');
  checkHash(leafHash, 'leafHash');
  checkProof(proof, inclusionProofRanges(leafIndex, treeSize).length, `inclusion (leaf ${leafIndex} of ${treeSize})`);

  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leafHash;
  for (const p of proof) {
    // Unreachable after the length check; kept because it is the RFC's guard.
    if (sn === 0) throw fail('wrong_proof_length', 'inclusion proof is longer than the path to the root', 'hashes');
    if (odd(fn) || fn === sn) {
      r = hasher.nodeHash(p, r);
      // fn === sn with fn even: p is a left sibling higher up; skip the levels
      // where the path has no sibling (the right border of the tree).
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hasher.nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw fail('wrong_proof_length', 'inclusion proof is shorter than the path to the root', 'hashes');
  return r;
}

/** Verify that `leafHash` is leaf `leafIndex` of the tree with `root` (RFC 9162 §2.1.3.2). */
export function verifyInclusion(
  leafIndex: number,
  treeSize: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
  hasher: MerkleHasher = rfc6962,
): void {
  const calculated = rootFromInclusionProof(leafIndex, treeSize, leafHash, proof, hasher);
  checkHash(root, 'root');
  if (!equalBytes(calculated, root)) {
    throw fail('root_mismatch', `inclusion proof for leaf ${leafIndex} leads to a different root than the tree of size ${treeSize}`);
  }
}

/**
 * Verify that the tree of `size2` leaves with `root2` extends the tree of
 * `size1` leaves with `root1` (RFC 9162 §2.1.4.2).
 *
 * Equal sizes need an empty proof and equal roots. size1 = 0 < size2 is
 * refused: every tree extends the empty one, so there is nothing to verify
 * and a caller asking is confused about which checkpoint it holds.
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
  hasher: MerkleHasher = rfc6962,
): void {
  // Sizes first: they decide which checks apply and give the clearest message.
  checkSize(size1, 'size1');
  checkSize(size2, 'size2');
  if (size1 > size2) throw fail('size_order', `size1 (${size1}) is greater than size2 (${size2}): a log cannot shrink`, 'size1');
  if (size1 === size2) {
    if (!Array.isArray(proof) || proof.length !== 0) {
      throw fail('proof_not_empty', `sizes are equal (${size1}) but the consistency proof is not empty`, 'hashes');
    }
    checkHash(root1, 'root1');
    checkHash(root2, 'root2');
    if (!equalBytes(root1, root2)) throw fail('root_mismatch', `two different roots for the same tree size ${size1}`);
    return;
  }
  if (size1 === 0) throw fail('empty_tree', 'a consistency proof from the empty tree is meaningless: every tree extends it', 'size1');
  checkProof(proof, consistencyProofRanges(size1, size2).length, `consistency (${size1} to ${size2})`);
  checkHash(root1, 'root1');
  checkHash(root2, 'root2');

  // Step 2: when size1 is a power of two, the old root is itself a node of
  // the new tree and is not sent; the verifier starts from root1.
  const path = isPowerOfTwo(size1) ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) throw fail('wrong_proof_length', 'consistency proof is longer than the path to the root', 'hashes');
    if (odd(fn) || fn === sn) {
      fr = hasher.nodeHash(c, fr);
      sr = hasher.nodeHash(c, sr);
      while (!odd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hasher.nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  if (sn !== 0) throw fail('wrong_proof_length', 'consistency proof is shorter than the path to the root', 'hashes');
  if (!equalBytes(fr, root1)) throw fail('root_mismatch', `consistency proof does not lead to the root of the tree of size ${size1} (root1)`);
  if (!equalBytes(sr, root2)) throw fail('root_mismatch', `consistency proof does not lead to the root of the tree of size ${size2} (root2)`);
}

function isPowerOfTwo(n: number): boolean {
  let v = n;
  while (v > 1 && v % 2 === 0) v /= 2;
  return v === 1;
}
