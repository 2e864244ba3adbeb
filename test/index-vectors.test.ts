/**
 * The token index's hashes against the worked example of
 * protocol/37-token-index.md (test/vectors/index/vectors.json), so another
 * implementation can check its fingerprints, shard, group and root hashes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import { compareBytes, indexFingerprint, shardOf } from '../src/core/federation/index/fingerprint.js';
import { emptyGroupHashes, emptyGroupShards, groupHash, indexRoot, shardHash } from '../src/core/federation/index/tree.js';
import { portableSha256 } from '../src/core/ports.js';
import { nodeSha256 } from '../src/node/sha256.js';
import { ROOT } from './helpers/cli.js';

const v = JSON.parse(readFileSync(join(ROOT, 'test/vectors/index/vectors.json'), 'utf8')) as {
  tokens: string[];
  fingerprints: string[];
  shards: number[];
  emptyGroup0Hash: string;
  count: number;
  shardHashes: Record<string, string>;
  groupHashes: Record<string, string>;
  root: string;
  emptyRoot: string;
};

describe('token index vectors', () => {
  it('derives the fingerprints and shards', () => {
    expect(v.tokens.map((t) => toHex(indexFingerprint(fromHex(t))))).toEqual(v.fingerprints);
    expect(v.fingerprints.map((f) => shardOf(fromHex(f)))).toEqual(v.shards);
  });

  // The runtime chooses the SHA-256 (Node: OpenSSL, Workers: noble): both must give the worked example's bytes.
  it.each([
    ['portable', portableSha256],
    ['OpenSSL', nodeSha256],
  ])('hashes shards, groups and the root as the worked example says (%s SHA-256)', (_, hash) => {
    const groups = new Map<number, Uint8Array>();
    for (const f of v.fingerprints.map((x) => fromHex(x)).sort(compareBytes)) {
      const s = shardOf(f);
      const h = shardHash(s, f, hash);
      expect(toHex(h)).toBe(v.shardHashes[s]);
      const g = Math.floor(s / 256);
      const shards = groups.get(g) ?? emptyGroupShards();
      shards.set(h, (s % 256) * 32);
      groups.set(g, shards);
    }
    const all = emptyGroupHashes();
    for (const [g, shards] of groups) {
      const h = groupHash(g, shards, hash);
      expect(toHex(h)).toBe(v.groupHashes[g]);
      all.set(h, g * 32);
    }
    expect(toHex(groupHash(0, emptyGroupShards(), hash))).toBe(v.emptyGroup0Hash);
    expect(toHex(indexRoot('missing_child', v.count, all, hash))).toBe(v.root);
    expect(toHex(indexRoot('missing_child', 0, emptyGroupHashes(), hash))).toBe(v.emptyRoot);
    // One fingerprint more or less, or another category, changes the root.
    expect(toHex(indexRoot('missing_child', v.count + 1, all, hash))).not.toBe(v.root);
    expect(toHex(indexRoot('suspect', v.count, all, hash))).not.toBe(v.root);
  });
});
