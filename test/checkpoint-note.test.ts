/**
 * Signed notes (c2sp.org/signed-note) against golang.org/x/mod/sumdb/note's
 * vectors and the C2SP example (test/vectors/checkpoint, see SOURCE.md), and
 * the ways an attacker-supplied note must fail.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, utf8 } from '../src/core/bytes.js';
import { isCairnError, type ErrorCode } from '../src/core/errors.js';
import {
  computeKeyId,
  ed25519Key,
  ed25519NoteSigner,
  ed25519NoteVerifier,
  formatNote,
  formatVerifierKey,
  openNote,
  parseNote,
  parseVerifierKey,
  signNote,
} from '../src/core/audit/note.js';

const V = JSON.parse(readFileSync(new URL('./vectors/checkpoint/notes.json', import.meta.url), 'utf8'));
const go = V.goSumdbNote;
const c2sp = V.c2spSignedNoteExample;

/** The Go signer key is `PRIVATE+KEY+<name>+<hex id>+base64(0x01 || seed)`. */
function goSeed(skey: string): { name: string; id: string; seed: Uint8Array } {
  const m = /^PRIVATE\+KEY\+([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(skey);
  expect(m).not.toBeNull();
  const raw = fromBase64(m![3]!);
  expect(raw[0]).toBe(0x01);
  return { name: m![1]!, id: m![2]!, seed: raw.slice(1) };
}

function codeOf(f: () => unknown): ErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!isCairnError(e)) throw e;
    return e.code;
  }
}

const peter = ed25519NoteVerifier(go.verifierKey);
const enoch = ed25519NoteVerifier(go.enochVerifierKey);

describe('golang.org/x/mod/sumdb/note vectors', () => {
  it('signs the Go note byte for byte from the Go signer key', async () => {
    const { name, id, seed } = goSeed(go.signerKey);
    const signer = ed25519NoteSigner(name, seed);
    expect(signer.keyId.toString(16).padStart(8, '0')).toBe(id);
    expect(await signNote(go.text, [signer])).toBe(go.signedNote);
    expect(formatVerifierKey(name, ed25519Key(seed).publicKey)).toBe(go.verifierKey);
  });

  it('replaces an existing signature by the same key', async () => {
    const { name, seed } = goSeed(go.signerKey);
    const stale = { name, keyId: peter.keyId, signature: new Uint8Array(64) };
    expect(await signNote(go.text, [ed25519NoteSigner(name, seed)], [stale])).toBe(go.signedNote);
  });

  it('opens the Go note with its verifier key', () => {
    const opened = openNote(go.signedNote, [peter]);
    expect(opened.text).toBe(go.text);
    expect(opened.verified.map((s) => s.name)).toEqual(['PeterNeumann']);
  });

  it('verifies one of two signatures, both, or refuses with none (TestOpen)', () => {
    const both = go.text + '\n' + go.signatureLine + go.enochSignatureLine;
    let o = openNote(both, [peter]);
    expect([o.verified.map((s) => s.name), o.unverified.map((s) => s.name)]).toEqual([['PeterNeumann'], ['EnochRoot']]);
    o = openNote(both, [peter, enoch]);
    expect(o.verified.map((s) => s.name)).toEqual(['PeterNeumann', 'EnochRoot']);
    expect(codeOf(() => openNote(both, []))).toBe('signature_invalid');
    expect(() => openNote(both, [])).toThrow('note has no signature from a trusted key');
  });

  it('refuses a duplicated verifier only when it is used', () => {
    expect(() => openNote(go.text + '\n' + go.enochSignatureLine, [enoch, peter, enoch])).toThrow(/ambiguous key EnochRoot\+af0cfe78/);
    expect(openNote(go.text + '\n' + go.signatureLine, [enoch, peter, enoch]).text).toBe(go.text);
  });

  it('refuses too many signatures', () => {
    const many = go.text + '\n' + go.signatureLine.repeat(65);
    expect(codeOf(() => openNote(many, [peter]))).toBe('checkpoint_invalid');
    expect(openNote(go.text + '\n' + go.signatureLine.repeat(64), [peter]).verified).toHaveLength(1);
  });

  it("refuses a corrupted signature from a known key (Go's ABCD insertion)", () => {
    const s = go.signatureLine as string;
    const note = go.text + '\n' + s.slice(0, 60) + 'ABCD' + s.slice(60);
    expect(() => openNote(note, [peter])).toThrow('invalid signature for key PeterNeumann+c74f20a3');
  });

  it('refuses the malformed notes of TestOpen', () => {
    const s = go.signatureLine as string;
    const bad = [
      go.text,
      go.text + '\n',
      go.text + '\n' + s.slice(0, -1),
      '\x01' + go.text + '\n' + s,
      go.text + '\n' + '\u2014 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=',
      go.text + '\n' + s + 'Unexpected line.\n',
    ];
    for (const m of bad) expect(codeOf(() => openNote(m, [peter])), JSON.stringify(m)).toBe('checkpoint_invalid');
    // "\xff" + text: invalid UTF-8 as bytes.
    expect(codeOf(() => openNote(new Uint8Array([0xff, ...utf8(go.text + '\n' + s)]), [peter]))).toBe('checkpoint_invalid');
  });

  it('ignores a signature whose name or key ID does not match a known key', () => {
    const misnamed = (go.signatureLine as string).replace('PeterNeumann', 'CarmenSandiego');
    expect(() => openNote(go.text + '\n' + misnamed, [peter])).toThrow('note has no signature from a trusted key');
    const wrongId = (go.signatureLine as string).replace('x08g', 'xxxx');
    expect(() => openNote(go.text + '\n' + wrongId, [peter])).toThrow('note has no signature from a trusted key');
  });

  it('refuses the bad verifier keys of TestNewVerifier, and every mangling of a good one', () => {
    for (const k of go.badVerifierKeys as string[]) expect(codeOf(() => parseVerifierKey(k)), k).toBe('checkpoint_invalid');
    const vkey = go.verifierKey as string;
    for (let i = 0; i <= vkey.length; i++) {
      for (let j = i + 1; j <= vkey.length; j++) {
        if (i !== 0 || j !== vkey.length) expect(codeOf(() => parseVerifierKey(vkey.slice(i, j)))).toBe('checkpoint_invalid');
      }
    }
    for (let i = 0; i < vkey.length; i++) {
      const k = vkey.slice(0, i) + String.fromCharCode(vkey.charCodeAt(i) + 1) + vkey.slice(i + 1);
      expect(codeOf(() => parseVerifierKey(k)), k).toBe('checkpoint_invalid');
    }
  });
});

describe('the c2sp.org/signed-note example', () => {
  it('verifies under its verifier key and round-trips', () => {
    const k = parseVerifierKey(c2sp.verifierKey);
    expect(k.keyId).toBe(0x530d903a);
    expect(formatVerifierKey(k.name, k.publicKey)).toBe(c2sp.verifierKey);
    expect(openNote(c2sp.signedNote, [ed25519NoteVerifier(k)]).text).toBe(c2sp.text);
    expect(formatNote(parseNote(c2sp.signedNote))).toBe(c2sp.signedNote);
  });

  it('a verifier key whose base64 holds a "+" parses (transparency-dev/formats)', () => {
    const k = parseVerifierKey(V.formatsCosignature.ed25519KeyWithPlus);
    expect([k.name, k.type, k.keyId]).toEqual(['TEST', 1, 0x7997405c]);
  });
});

describe('tampering', () => {
  const seed = new Uint8Array(32).fill(7);
  const signer = ed25519NoteSigner('log.example/a', seed);
  const verifier = ed25519NoteVerifier(formatVerifierKey('log.example/a', ed25519Key(seed).publicKey));
  const other = ed25519NoteVerifier(formatVerifierKey('log.example/a', ed25519Key(new Uint8Array(32).fill(8)).publicKey));

  it('any change to a signed note is refused, whatever the text', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^[^\u0000-\u001f]{1,30}$/), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        async (lines, where) => {
          const text = lines.join('\n') + '\n';
          const note = await signNote(text, [signer]);
          expect(openNote(note, [verifier]).text).toBe(text);
          // Flip one character of the text part.
          const i = where % text.length;
          const c = text.charCodeAt(i);
          const forged = note.slice(0, i) + String.fromCharCode(c === 0x0a ? 0x20 : c ^ 1 || 0x41) + note.slice(i + 1);
          expect(codeOf(() => openNote(forged, [verifier]))).not.toBe('ok');
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a forged signature, extra whitespace, a wrong key, unknown keys only', async () => {
    const text = 'hello\nworld\n';
    const note = await signNote(text, [signer]);
    const sig = note.slice(note.lastIndexOf('\u2014'));
    const b64 = sig.split(' ')[2]!.trim();
    const raw = fromBase64(b64);
    raw[10]! ^= 0x01;
    const forged = note.replace(b64, Buffer.from(raw).toString('base64'));
    expect(() => openNote(forged, [verifier])).toThrow(/invalid signature for key log\.example\/a/);
    expect(codeOf(() => openNote(note.replace('\n\n', '\n \n'), [verifier]))).not.toBe('ok');
    expect(codeOf(() => openNote(note.replace('hello', 'hello '), [verifier]))).toBe('signature_invalid');
    expect(codeOf(() => openNote(note + '\n', [verifier]))).toBe('checkpoint_invalid');
    expect(codeOf(() => openNote(note.replace(/\n$/, '\r\n'), [verifier]))).toBe('checkpoint_invalid');
    expect(codeOf(() => openNote(note.replace('— log', '—  log'), [verifier]))).toBe('checkpoint_invalid');
    expect(codeOf(() => openNote(note.replace('— log', '- log'), [verifier]))).toBe('checkpoint_invalid');
    // Same name and key ID as the trusted key but another public key: a
    // collision an attacker can compute; it must fail, not be ignored.
    const collide = { ...other, keyId: verifier.keyId };
    expect(() => openNote(note, [collide])).toThrow(/invalid signature/);
    expect(() => openNote(note, [other])).toThrow('note has no signature from a trusted key');
    expect(openNote(note, [verifier]).text).toBe(text);
  });

  it('refuses oversized notes before parsing them', () => {
    const big = 'x'.repeat(256 * 1024) + '\n\n\u2014 a AAAAAAA=\n';
    expect(() => parseNote(big)).toThrow(/larger than/);
  });

  it('refuses invalid key names and text when signing', async () => {
    expect(codeOf(() => ed25519NoteSigner('a b', seed))).toBe('key_invalid');
    expect(codeOf(() => ed25519NoteSigner('a+b', seed))).toBe('key_invalid');
    expect(codeOf(() => ed25519NoteSigner('', seed))).toBe('key_invalid');
    expect(codeOf(() => ed25519NoteSigner('a', new Uint8Array(31)))).toBe('key_invalid');
    await expect(signNote('no newline', [signer])).rejects.toSatisfy((e) => isCairnError(e, 'checkpoint_invalid'));
    await expect(signNote('tab\there\n', [signer])).rejects.toSatisfy((e) => isCairnError(e, 'checkpoint_invalid'));
  });

  it('signs with an asynchronous key holder (an HSM, a worker)', async () => {
    const k = ed25519Key(seed);
    const holder = { publicKey: k.publicKey, sign: async (m: Uint8Array) => k.sign(m) };
    const viaHolder = await signNote('x\n', [ed25519NoteSigner('log.example/a', holder)]);
    expect(viaHolder).toBe(await signNote('x\n', [signer]));
    expect(computeKeyId('log.example/a', 1, k.publicKey)).toBe(signer.keyId);
  });
});
