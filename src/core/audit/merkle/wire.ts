/**
 * Proofs on the wire (protocol/40-audit-log.md): JSON objects whose hashes
 * are standard padded base64 (RFC 4648 §4), as in checkpoints.
 *
 *   { "leafIndex": 5, "treeSize": 8, "hashes": ["vBoGQ7Eu...", ...] }   inclusion
 *   { "size1": 6, "size2": 8, "hashes": ["DrxdNDf7...", ...] }          consistency
 *
 * Attacker-controlled: `parse*` accept exactly these keys, safe integers and
 * at most MERKLE.maxProofHashes hashes of 32 bytes each, and fail with
 * `proof_invalid` naming the field. Parsing says nothing about validity;
 * pass the result to verify.ts.
 */
import { fromBase64, toBase64 } from '../../bytes.js';
import { MERKLE } from '../../constants.js';
import { CairnError, isCairnError } from '../../errors.js';
import { isTreeSize } from './nodes.js';

/** An inclusion proof of one leaf in a tree of a given size. */
export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  hashes: Uint8Array[];
}

/** A consistency proof between two tree sizes. */
export interface ConsistencyProof {
  size1: number;
  size2: number;
  hashes: Uint8Array[];
}

/** JSON form of an InclusionProof. */
export interface InclusionProofJson {
  leafIndex: number;
  treeSize: number;
  hashes: string[];
}

/** JSON form of a ConsistencyProof. */
export interface ConsistencyProofJson {
  size1: number;
  size2: number;
  hashes: string[];
}

const bad = (field: string, message: string, cause?: unknown): CairnError =>
  new CairnError('proof_invalid', `${field}: ${message}`, { location: { field }, cause, details: { reason: 'malformed' } });

function object(json: unknown, keys: readonly string[], what: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw bad(what, 'must be a JSON object');
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw bad(k, `unknown field in ${what}`);
  for (const k of keys) if (!(k in o)) throw bad(k, `missing from ${what}`);
  return o;
}

function size(v: unknown, field: string): number {
  if (!isTreeSize(v)) throw bad(field, 'must be an integer between 0 and 2^53 - 1');
  return v;
}

function hashes(v: unknown): Uint8Array[] {
  if (!Array.isArray(v)) throw bad('hashes', 'must be an array of base64 strings');
  if (v.length > MERKLE.maxProofHashes) throw bad('hashes', `more than ${MERKLE.maxProofHashes} hashes`);
  return v.map((h, i) => {
    const field = `hashes[${i}]`;
    if (typeof h !== 'string') throw bad(field, 'must be a base64 string');
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(h, field);
    } catch (e) {
      throw bad(field, 'is not canonical padded base64', isCairnError(e) ? e : undefined);
    }
    if (bytes.length !== MERKLE.hashSize) throw bad(field, `must decode to ${MERKLE.hashSize} bytes, got ${bytes.length}`);
    return bytes;
  });
}

/** JSON form of an inclusion proof. */
export function inclusionProofToJson(p: InclusionProof): InclusionProofJson {
  return { leafIndex: p.leafIndex, treeSize: p.treeSize, hashes: p.hashes.map(toBase64) };
}

/** Strictly decode an inclusion proof received from outside. */
export function parseInclusionProof(json: unknown): InclusionProof {
  const o = object(json, ['leafIndex', 'treeSize', 'hashes'], 'inclusion proof');
  return { leafIndex: size(o.leafIndex, 'leafIndex'), treeSize: size(o.treeSize, 'treeSize'), hashes: hashes(o.hashes) };
}

/** JSON form of a consistency proof. */
export function consistencyProofToJson(p: ConsistencyProof): ConsistencyProofJson {
  return { size1: p.size1, size2: p.size2, hashes: p.hashes.map(toBase64) };
}

/** Strictly decode a consistency proof received from outside. */
export function parseConsistencyProof(json: unknown): ConsistencyProof {
  const o = object(json, ['size1', 'size2', 'hashes'], 'consistency proof');
  return { size1: size(o.size1, 'size1'), size2: size(o.size2, 'size2'), hashes: hashes(o.hashes) };
}
