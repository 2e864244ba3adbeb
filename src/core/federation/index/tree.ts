/**
 * The hashes over an index (protocol/37-token-index.md "Shards and root").
 * An index of one category is a multiset of 8-byte fingerprints, sorted and
 * cut into 65,536 shards by their first 16 bits. Then
 *
 *   shardHash(s) = 32 zero bytes                                  if shard s is empty
 *                = SHA-256("cairn-index-shard-v1" || I2OSP(s, 2) || I2OSP(n, 4) || fp_1 || ... || fp_n)
 *   groupHash(g) = SHA-256("cairn-index-group-v1" || I2OSP(g, 2) || shardHash(256g) || ... || shardHash(256g + 255))
 *   root         = SHA-256("cairn-index-root-v1" || I2OSP(len(category), 1) || category || I2OSP(count, 8)
 *                          || groupHash(0) || ... || groupHash(255))
 *
 * so a change of k fingerprints costs k shard hashes, at most k group hashes
 * (8 KiB each) and one root (8 KiB), whatever the size of the index.
 *
 * Each function takes the SHA-256 to use (default: the portable one); the
 * parts are fed to it in turn, never concatenated first.
 */
import { i2osp, utf8 } from '../../bytes.js';
import { INDEX, MERKLE } from '../../constants.js';
import { portableSha256, type Sha256 } from '../../ports.js';

const SHARD = utf8(INDEX.shardLabel);
const GROUP = utf8(INDEX.groupLabel);
const ROOT = utf8(INDEX.rootLabel);
const HASH = MERKLE.hashSize;

/** The hash of an empty shard. */
export const EMPTY_SHARD_HASH = new Uint8Array(HASH);

/** Hash of shard `s` holding `packed`: its sorted fingerprints, concatenated. */
export function shardHash(s: number, packed: Uint8Array, hash: Sha256 = portableSha256): Uint8Array {
  if (packed.length === 0) return EMPTY_SHARD_HASH;
  const n = packed.length / INDEX.fingerprintBytes;
  return hash(SHARD, i2osp(s, 2), i2osp(n, 4), packed);
}

/** Hash of group `g` over its 256 shard hashes, concatenated (8 KiB). */
export function groupHash(g: number, shardHashes: Uint8Array, hash: Sha256 = portableSha256): Uint8Array {
  if (shardHashes.length !== INDEX.groupSize * HASH) throw new Error(`group ${g}: ${shardHashes.length} bytes of shard hashes`);
  return hash(GROUP, i2osp(g, 2), shardHashes);
}

/** The root of a category's index from its count and its 256 group hashes, concatenated. */
export function indexRoot(category: string, count: number, groupHashes: Uint8Array, hash: Sha256 = portableSha256): Uint8Array {
  if (groupHashes.length !== INDEX.groupCount * HASH) throw new Error(`${groupHashes.length} bytes of group hashes`);
  const cat = utf8(category);
  return hash(ROOT, i2osp(cat.length, 1), cat, i2osp(count, 8), groupHashes);
}

/** The 256 shard hashes of an empty group. */
export const emptyGroupShards = (): Uint8Array => new Uint8Array(INDEX.groupSize * HASH);

let emptyGroups: Uint8Array | undefined;
/** Group hashes of an empty index (computed once). */
export function emptyGroupHashes(): Uint8Array {
  if (!emptyGroups) {
    const shards = emptyGroupShards();
    emptyGroups = new Uint8Array(INDEX.groupCount * HASH);
    for (let g = 0; g < INDEX.groupCount; g++) emptyGroups.set(groupHash(g, shards), g * HASH);
  }
  return emptyGroups.slice();
}
