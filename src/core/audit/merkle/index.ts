/**
 * Cairn's audit log tree: an RFC 6962 / RFC 9162 Merkle tree in the layers
 * of transparency-dev/merkle.
 *
 *   hasher.ts        leaf / node / empty-root hashing (RFC 9162 §2.1.1)
 *   nodes.ts         geometry: perfect nodes, proof ranges
 *   append-state.ts  compact range [0, n): append, root, persist
 *   storage.ts       the ports proof generation reads through, and adapters
 *   prove.ts         inclusion / consistency proof generation (§2.1.3.1, §2.1.4.1)
 *   verify.ts        inclusion / consistency verification (§2.1.3.2, §2.1.4.2)
 *   wire.ts          proofs as JSON with base64 hashes
 *
 * Checkpoints (signed tree heads) live one folder up: checkpoint.ts, note.ts,
 * cosignature.ts.
 */
export { emptyRoot, leafHash, nodeHash, rfc6962, rfc6962Hasher, type MerkleHasher, type Sha256 } from './hasher.js';
export {
  consistencyProofRanges,
  inclusionProofRanges,
  perfectNodes,
  type LeafRange,
  type NodeId,
} from './nodes.js';
export { AppendState, rootFromLeafHashes, type OnNode } from './append-state.js';
export {
  MemoryNodeStore,
  nodeSourceFromLeaves,
  strideNodeSource,
  type LeafHashSource,
  type MerkleNodeSource,
  type StoredLevelReader,
} from './storage.js';
export { loadAppendState, proveConsistency, proveInclusion, rootAtSize } from './prove.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion, type ProofFailure } from './verify.js';
export {
  consistencyProofToJson,
  inclusionProofToJson,
  parseConsistencyProof,
  parseInclusionProof,
  type ConsistencyProof,
  type ConsistencyProofJson,
  type InclusionProof,
  type InclusionProofJson,
} from './wire.js';
