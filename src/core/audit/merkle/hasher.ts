/**
 * The RFC 6962 Merkle tree hasher (RFC 9162 §2.1.1, unchanged from RFC 6962
 * §2.1): SHA-256 with one-byte domain separation between leaves and interior
 * nodes, so a leaf can never be passed off as a node (second-preimage
 * resistance of the tree, not just of the hash).
 *
 *   MTH({})       = SHA-256()
 *   leaf hash     = SHA-256(0x00 || data)
 *   node hash     = SHA-256(0x01 || left || right)
 *
 * Everything else in this folder is built on the three functions below.
 * Misuse to avoid: hashing an entry as a node, or feeding a leaf *hash* to
 * `leafHash` (the input is the leaf *data*).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { MERKLE } from '../../constants.js';

/** A SHA-256 implementation: the pure default is @noble/hashes; a runtime may inject a faster one. */
export type Sha256 = (data: Uint8Array) => Uint8Array;

/** The two hash operations of a log tree, in the manner of transparency-dev/merkle's LogHasher. */
export interface MerkleHasher {
  /** Leaf hash of entry bytes. */
  leafHash(data: Uint8Array): Uint8Array;
  /** Hash of an interior node from its two 32-byte children. */
  nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array;
  /** Root of the empty tree. */
  emptyRoot(): Uint8Array;
}

/**
 * RFC 6962 hasher over a given SHA-256 (RFC 9162 §2.1.1).
 * The default (`rfc6962`) uses @noble/hashes; the Node adapter can pass
 * node:crypto's SHA-256 for the bulk root recomputation of `cairn audit verify`.
 */
export function rfc6962Hasher(hash: Sha256 = sha256): MerkleHasher {
  // One scratch buffer per hasher: node hashing is the hot loop of a full
  // recomputation, and the hash is computed synchronously before reuse.
  const scratch = new Uint8Array(1 + 2 * MERKLE.hashSize);
  scratch[0] = MERKLE.nodePrefix;
  return {
    leafHash(data) {
      const buf = new Uint8Array(1 + data.length);
      buf[0] = MERKLE.leafPrefix;
      buf.set(data, 1);
      return hash(buf);
    },
    nodeHash(left, right) {
      if (left.length !== MERKLE.hashSize || right.length !== MERKLE.hashSize) {
        throw new RangeError(`nodeHash: children must be ${MERKLE.hashSize} bytes, got ${left.length} and ${right.length}`);
      }
      scratch.set(left, 1);
      scratch.set(right, 1 + MERKLE.hashSize);
      return hash(scratch);
    },
    emptyRoot() {
      return hash(new Uint8Array(0));
    },
  };
}

/** The default hasher (SHA-256 from @noble/hashes). */
export const rfc6962: MerkleHasher = rfc6962Hasher();

/** RFC 6962 §2.1 leaf hash: SHA-256(0x00 || data). */
export const leafHash = (data: Uint8Array): Uint8Array => rfc6962.leafHash(data);

/** RFC 6962 §2.1 interior node hash: SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => rfc6962.nodeHash(left, right);

/** RFC 6962 §2.1 root of the empty tree: SHA-256 of the empty string. */
export const emptyRoot = (): Uint8Array => rfc6962.emptyRoot();
