/**
 * Ed25519 cosignatures (c2sp.org/tlog-cosignature, type 0x04): the C2SP
 * example's timestamp, transparency-dev/formats' vectors, and round trips
 * with tampering (test/vectors/checkpoint, see SOURCE.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromBase64, fromUtf8, toHex, utf8 } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import { checkpointOrigin, formatCheckpoint, openCheckpoint, signCheckpoint } from '../src/core/audit/checkpoint.js';
import {
  cosignatureMessage,
  cosignatureTimestamp,
  cosignatureVerifier,
  ed25519Cosigner,
} from '../src/core/audit/cosignature.js';
import { ed25519Key, ed25519NoteSigner, ed25519NoteVerifier, formatVerifierKey, openNote, parseNote, parseVerifierKey, signNote } from '../src/core/audit/note.js';

const V = JSON.parse(readFileSync(new URL('./vectors/checkpoint/notes.json', import.meta.url), 'utf8'));

describe('published cosignature vectors', () => {
  it('the C2SP example witness line carries the timestamp of the signed message the spec shows', () => {
    const ex = V.c2spCheckpointExample;
    const note = parseNote(ex.signedNote);
    const witness = note.signatures.find((s) => s.name === 'witness.example.com/w1')!;
    expect(cosignatureTimestamp(witness)).toBe(ex.cosignatureTimestamp);
    expect(fromUtf8(cosignatureMessage(ex.cosignatureTimestamp, utf8(note.text)))).toBe(ex.cosignedMessage);
    // The log's own line is a plain 64-byte Ed25519 signature, not a cosignature.
    expect(() => cosignatureTimestamp(note.signatures[0]!)).toThrow(/72 bytes/);
  });

  it('reads the timestamp of transparency-dev/formats, and refuses a plain signature', () => {
    const f = V.formatsCosignature;
    const raw = fromBase64(f.timestampedSignature);
    expect(cosignatureTimestamp(raw.subarray(4))).toBe(f.timestamp);
    expect(() => cosignatureTimestamp(fromBase64(f.plainEd25519Signature).subarray(4))).toThrow(/cosignature is 72 bytes/);
  });

  it('parses a type-0x04 verifier key, whose key ID covers the type byte', () => {
    const f = V.formatsCosignature;
    const k = parseVerifierKey(f.cosignatureVerifierKey);
    expect([k.name, k.type, k.keyId]).toEqual(['remora.n621.de', 4, 0xda77ade7]);
    expect(formatVerifierKey(k.name, k.publicKey, 4)).toBe(f.cosignatureVerifierKey);
    expect(cosignatureVerifier(k).keyId).toBe(0xda77ade7);
    // A cosigner key is not a note key, and the other way round.
    expect(() => ed25519NoteVerifier(k)).toThrow(/cosignatureVerifier/);
    expect(() => cosignatureVerifier(V.goSumdbNote.verifierKey)).toThrow(/not an Ed25519 cosignature key/);
    for (const bad of f.badVerifierKeys as string[]) expect(() => parseVerifierKey(bad), bad).toThrow();
  });
});

describe('cosigning a Cairn checkpoint', () => {
  const origin = checkpointOrigin('node-a.cairn.example');
  const logSeed = new Uint8Array(32).fill(0x42);
  const logKey = formatVerifierKey(origin, ed25519Key(logSeed).publicKey);
  const wName = 'dpo.cairn.example/witness';
  const wSeed = new Uint8Array(32).fill(0x43);
  const wKey = formatVerifierKey(wName, ed25519Key(wSeed).publicKey, 4);
  const cp = { origin, treeSize: 8, rootHash: fromBase64('XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg='), extensions: [] };
  const T = 1_767_225_600; // 2026-01-01T00:00:00Z

  async function cosigned(timestamp = T): Promise<string> {
    const byLog = await signCheckpoint(cp, ed25519NoteSigner(origin, logSeed));
    return signNote(parseNote(byLog).text, [ed25519Cosigner(wName, wSeed, timestamp)], parseNote(byLog).signatures);
  }

  it('adds a timestamped line that verifies with the witness key', async () => {
    const note = await cosigned();
    const { note: opened } = openCheckpoint(note, logKey, { cosigners: [cosignatureVerifier(wKey)] });
    expect(opened.verified.map((s) => s.name)).toEqual([origin, wName]);
    const w = opened.verified[1]!;
    expect(cosignatureTimestamp(w)).toBe(T);
    expect(toHex(w.signature.subarray(0, 8))).toBe('00000000' + T.toString(16).padStart(8, '0'));
  });

  it('covers the timestamp, the text, and nothing else', async () => {
    const note = await cosigned();
    const w = parseNote(note).signatures[1]!;
    const text = utf8(formatCheckpoint(cp));
    const v = cosignatureVerifier(wKey);
    expect(v.verify(text, w.signature)).toBe(true);
    const later = w.signature.slice();
    later[7]! ^= 1; // claim another time
    expect(v.verify(text, later)).toBe(false);
    expect(v.verify(utf8(formatCheckpoint({ ...cp, treeSize: 9 })), w.signature)).toBe(false);
    expect(v.verify(text, w.signature.subarray(1))).toBe(false);
    const overflow = w.signature.slice();
    overflow[0] = 0x80; // beyond 2^63 - 1
    expect(v.verify(text, overflow)).toBe(false);
  });

  it('is not accepted as a note signature by the same key used as a plain key', async () => {
    const note = await cosigned();
    const asPlain = ed25519NoteVerifier(formatVerifierKey(wName, ed25519Key(wSeed).publicKey, 1));
    // Different type byte, different key ID: the line is simply unknown.
    expect(asPlain.keyId).not.toBe(cosignatureVerifier(wKey).keyId);
    expect(() => openNote(note, [asPlain])).toThrow('note has no signature from a trusted key');
  });

  it('refuses a tampered cosignature line while the log line still verifies', async () => {
    const note = await cosigned();
    const line = note.split('\n').find((l) => l.includes(wName))!;
    const b64 = line.split(' ')[2]!;
    const raw = fromBase64(b64);
    raw[4 + 7]! ^= 1; // the timestamp's last byte
    const forged = note.replace(b64, Buffer.from(raw).toString('base64'));
    expect(() => openCheckpoint(forged, logKey, { cosigners: [cosignatureVerifier(wKey)] })).toThrow(/invalid signature for key dpo\.cairn\.example/);
    // Without the witness key configured, the line is ignored.
    expect(openCheckpoint(forged, logKey).checkpoint.treeSize).toBe(8);
  });

  it('takes its time as a parameter, checked', () => {
    expect(() => ed25519Cosigner(wName, wSeed, -1)).toThrow(/timestamp/);
    expect(() => ed25519Cosigner(wName, wSeed, 1.5)).toThrow(/timestamp/);
    try {
      ed25519Cosigner('bad name', wSeed, T);
    } catch (e) {
      expect(isCairnError(e, 'key_invalid')).toBe(true);
    }
  });
});
