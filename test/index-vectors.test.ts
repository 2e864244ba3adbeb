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

  it('hashes shards, groups and the root as the worked example says', () => {
    const groups = new Map<number, Uint8Array>();
    for (const f of v.fingerprints.map((x) => fromHex(x)).sort(compareBytes)) {
      const s = shardOf(f);
      const h = shardHash(s, f);
      expect(toHex(h)).toBe(v.shardHashes[s]);
      const g = Math.floor(s / 256);
      const shards = groups.get(g) ?? emptyGroupShards();
      shards.set(h, (s % 256) * 32);
      groups.set(g, shards);
    }
    const all = emptyGroupHashes();
    for (const [g, shards] of groups) {
      const h = groupHash(g, shards);
      expect(toHex(h)).toBe(v.groupHashes[g]);
      all.set(h, g * 32);
    }
    expect(toHex(groupHash(0, emptyGroupShards()))).toBe(v.emptyGroup0Hash);
    expect(toHex(indexRoot('missing_child', v.count, all))).toBe(v.root);
    expect(toHex(indexRoot('missing_child', 0, emptyGroupHashes()))).toBe(v.emptyRoot);
    // One fingerprint more or less, or another category, changes the root.
    expect(toHex(indexRoot('missing_child', v.count + 1, all))).not.toBe(v.root);
    expect(toHex(indexRoot('suspect', v.count, all))).not.toBe(v.root);
  });
});
