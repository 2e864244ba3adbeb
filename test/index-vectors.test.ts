/**
 * The token index's hashes against the worked example of
 * protocol/37-token-index.md (test/vectors/index/vectors.json), so another
 * implementation can check its fingerprints, shard, group and root hashes,
 * and its change chain (computed for the file with Python's hashlib).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import { chainStep, checkChanges, extendChain, packChanges } from '../src/core/federation/index/chain.js';
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
  chain: { start: string; changes: Array<{ op: number; fingerprint: string }>; packed: string; after: string[] };
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

  it.each([
    ['portable', portableSha256],
    ['OpenSSL', nodeSha256],
  ])('extends the change chain as the worked example says (%s SHA-256)', (_, hash) => {
    const changes = v.chain.changes.map((c) => ({ op: c.op, fingerprint: fromHex(c.fingerprint) }));
    const packed = packChanges(changes);
    expect(toHex(packed)).toBe(v.chain.packed);
    expect(checkChanges(packed)).toEqual({ adds: 3, removes: 1 });
    let chain = fromHex(v.chain.start);
    const steps = changes.map((c) => toHex((chain = chainStep(chain, c.op, c.fingerprint, hash))));
    expect(steps).toEqual(v.chain.after);
    // In one pass, and in two pages that meet where the first stops: the same chain.
    expect(toHex(extendChain(fromHex(v.chain.start), packed, hash))).toBe(v.chain.after[3]);
    expect(toHex(extendChain(extendChain(fromHex(v.chain.start), packed.subarray(0, 18), hash), packed.subarray(18), hash))).toBe(v.chain.after[3]);
    // Order matters: the same changes swapped give another chain.
    const swapped = packChanges([changes[1]!, changes[0]!, changes[2]!, changes[3]!]);
    expect(toHex(extendChain(fromHex(v.chain.start), swapped, hash))).not.toBe(v.chain.after[3]);
  });
});
