/**
 * The worked example of protocol/40-audit-log.md, recomputed from the TEST
 * seed (32 bytes of 0x42) and the RFC 6962 reference leaves, and checked
 * against the text of that file. The Ed25519 signature and the key ID are
 * also checked with node:crypto, an implementation independent of noble.
 */
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../src/core/bytes.js';
import { checkpointOrigin, openCheckpoint, signCheckpoint } from '../src/core/audit/checkpoint.js';
import { ed25519Key, ed25519NoteSigner, formatVerifierKey, parseNote } from '../src/core/audit/note.js';
import {
  AppendState,
  MemoryNodeStore,
  consistencyProofToJson,
  inclusionProofToJson,
  leafHash,
  parseConsistencyProof,
  parseInclusionProof,
  proveConsistency,
  proveInclusion,
  rootAtSize,
  verifyConsistency,
  verifyInclusion,
} from '../src/core/audit/merkle/index.js';

const doc = readFileSync(new URL('../protocol/40-audit-log.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf('### Worked example'));

const leafData = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => fromHex(h));
const seed = new Uint8Array(32).fill(0x42);
const origin = checkpointOrigin('node-a.cairn.example');

describe('protocol/40-audit-log.md worked example', async () => {
  const store = new MemoryNodeStore();
  const state = AppendState.empty();
  leafData.forEach((d, i) => {
    store.putLeaf(i, leafHash(d));
    state.append(leafHash(d), store.onNode);
  });
  const publicKey = ed25519Key(seed).publicKey;
  const signer = ed25519NoteSigner(origin, seed);
  const vkey = formatVerifierKey(origin, publicKey);
  const signed = await signCheckpoint({ origin, treeSize: 8, rootHash: state.root(), extensions: [] }, signer);
  const inclusion = inclusionProofToJson({ leafIndex: 5, treeSize: 8, hashes: await proveInclusion(store, 5, 8) });
  const consistency = consistencyProofToJson({ size1: 6, size2: 8, hashes: await proveConsistency(store, 6, 8) });

  it('states the key, key ID, leaf hash and roots', async () => {
    const row = (item: string, value: string) => expect(section).toContain(`| ${item} | \`${value}\` |`);
    row('origin and key name', origin);
    row('public key (hex)', toHex(publicKey));
    row('key ID', signer.keyId.toString(16).padStart(8, '0'));
    row('verifier key', vkey);
    row('leaf hash of leaf 5 (`40414243`)', toHex(leafHash(leafData[5]!)));
    row('root at size 8 (hex)', toHex(state.root()));
    row('root at size 6 (hex)', toHex(await rootAtSize(store, 6)));
  });

  it('shows the exact signed checkpoint, which opens under the verifier key', () => {
    expect(section).toContain('```\n' + signed + '```');
    expect(openCheckpoint(signed, vkey, { origin }).checkpoint.treeSize).toBe(8);
  });

  it('shows the exact proofs, which parse and verify', async () => {
    expect(section).toContain('```json\n' + JSON.stringify(inclusion) + '\n```');
    expect(section).toContain('```json\n' + JSON.stringify(consistency) + '\n```');
    const i = parseInclusionProof(JSON.parse(JSON.stringify(inclusion)));
    verifyInclusion(i.leafIndex, i.treeSize, leafHash(leafData[5]!), i.hashes, state.root());
    const c = parseConsistencyProof(JSON.parse(JSON.stringify(consistency)));
    verifyConsistency(c.size1, c.size2, c.hashes, await rootAtSize(store, 6), state.root());
  });

  it('agrees with node:crypto on the key ID and the Ed25519 signature', () => {
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(origin), Buffer.from([0x0a, 0x01]), publicKey])).digest();
    expect(id.readUInt32BE(0)).toBe(signer.keyId);
    const sig = parseNote(signed).signatures[0]!;
    // SubjectPublicKeyInfo for Ed25519 (RFC 8410): fixed 12-byte prefix, then the key.
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(verify(null, utf8(parseNote(signed).text), key, sig.signature)).toBe(true);
  });
});
