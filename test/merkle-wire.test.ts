/**
 * Proofs on the wire: JSON with base64 hashes, decoded strictly because
 * they come from peers (src/core/audit/merkle/wire.ts).
 */
import { describe, expect, it } from 'vitest';
import { toBase64 } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import {
  consistencyProofToJson,
  inclusionProofToJson,
  leafHash,
  parseConsistencyProof,
  parseInclusionProof,
} from '../src/core/audit/merkle/index.js';

const h = leafHash(new Uint8Array([1]));
const b = toBase64(h);

function field(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!isCairnError(e, 'proof_invalid')) throw e;
    return e.location?.field ?? '?';
  }
}

describe('proof JSON', () => {
  it('round-trips', () => {
    const inc = { leafIndex: 5, treeSize: 8, hashes: [h, h] };
    expect(inclusionProofToJson(inc)).toEqual({ leafIndex: 5, treeSize: 8, hashes: [b, b] });
    expect(parseInclusionProof(JSON.parse(JSON.stringify(inclusionProofToJson(inc))))).toEqual(inc);
    const con = { size1: 6, size2: 8, hashes: [h] };
    expect(parseConsistencyProof(consistencyProofToJson(con))).toEqual(con);
  });

  it('refuses anything but exactly the documented shape', () => {
    const ok = { leafIndex: 5, treeSize: 8, hashes: [b] };
    const cases: [unknown, string][] = [
      [null, 'inclusion proof'],
      [[ok], 'inclusion proof'],
      [{ ...ok, extra: 1 }, 'extra'],
      [{ treeSize: 8, hashes: [b] }, 'leafIndex'],
      [{ ...ok, leafIndex: -1 }, 'leafIndex'],
      [{ ...ok, leafIndex: 1.5 }, 'leafIndex'],
      [{ ...ok, leafIndex: '5' }, 'leafIndex'],
      [{ ...ok, treeSize: 2 ** 53 }, 'treeSize'],
      [{ ...ok, hashes: b }, 'hashes'],
      [{ ...ok, hashes: Array(129).fill(b) }, 'hashes'],
      [{ ...ok, hashes: [1] }, 'hashes[0]'],
      [{ ...ok, hashes: [b, b.slice(0, -1)] }, 'hashes[1]'],
      [{ ...ok, hashes: [toBase64(h.subarray(1))] }, 'hashes[0]'],
      [{ ...ok, hashes: [b.replace(/\+/g, '-').replace(/\//g, '_')] }, 'hashes[0]'],
    ];
    for (const [json, where] of cases) expect(field(() => parseInclusionProof(json)), JSON.stringify(json)).toBe(where);
    expect(field(() => parseConsistencyProof({ size1: 1, size2: 2, hashes: [b], leafIndex: 0 }))).toBe('leafIndex');
  });
});
