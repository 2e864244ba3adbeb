/**
 * Checkpoints (c2sp.org/tlog-checkpoint): strict body parsing, signing as
 * the log, and verification under the trusted log key, with the tampering
 * cases a verifier must refuse.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../src/core/bytes.js';
import { isCairnError, type ErrorCode } from '../src/core/errors.js';
import {
  checkpointOrigin,
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  signCheckpoint,
  type Checkpoint,
} from '../src/core/audit/checkpoint.js';
import { ed25519Key, ed25519NoteSigner, ed25519NoteVerifier, formatVerifierKey, parseNote, signNote } from '../src/core/audit/note.js';

const V = JSON.parse(readFileSync(new URL('./vectors/checkpoint/notes.json', import.meta.url), 'utf8'));

function codeOf(f: () => unknown): ErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (!isCairnError(e)) throw e;
    return e.code;
  }
}

const origin = checkpointOrigin('node-b.cairn.example:8443');
const seed = new Uint8Array(32).fill(0x11);
const logSigner = ed25519NoteSigner(origin, seed);
const logKey = formatVerifierKey(origin, ed25519Key(seed).publicKey);
const root = fromBase64('XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=');
const cp: Checkpoint = { origin, treeSize: 8, rootHash: root, extensions: [] };

describe('checkpoint body', () => {
  it('parses the c2sp.org/tlog-checkpoint example', () => {
    const ex = V.c2spCheckpointExample;
    const note = parseNote(ex.signedNote);
    const parsed = parseCheckpoint(note.text);
    expect([parsed.origin, parsed.treeSize, toBase64(parsed.rootHash), parsed.extensions]).toEqual([ex.origin, ex.treeSize, ex.rootHash, []]);
    expect(note.signatures.map((s) => s.name)).toEqual(['example.com/behind-the-sofa', 'witness.example.com/w1']);
  });

  it('round-trips any well-formed checkpoint', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9.:/-]{1,40}$/),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.stringMatching(/^[!-~ ]{1,20}$/), { maxLength: 3 }),
        (o, n, r, ext) => {
          const c = { origin: o, treeSize: n, rootHash: r, extensions: ext };
          const back = parseCheckpoint(formatCheckpoint(c));
          expect({ ...back, rootHash: toBase64(back.rootHash) }).toEqual({ ...c, rootHash: toBase64(r) });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses every non-canonical or malformed body', () => {
    const r = toBase64(root);
    const bad = [
      `${origin}\n8\n${r}`, // no final newline
      `${origin}\n8\n`, // no root line
      `\n8\n${r}\n`, // empty origin
      `${origin}\n08\n${r}\n`, // leading zero
      `${origin}\n+8\n${r}\n`,
      `${origin}\n8.0\n${r}\n`,
      `${origin}\n 8\n${r}\n`,
      `${origin}\n9007199254740992\n${r}\n`, // 2^53
      `${origin}\n8\n${r.slice(0, -1)}\n`, // bad padding
      `${origin}\n8\n${toBase64(root.subarray(1))}\n`, // 31 bytes
      `${origin}\n8\n${r.replace('+', '-')}\n`, // base64url alphabet
      `${origin}\n8\n${r}\n\n`, // empty extension line
      `${origin}\n8\n${r}\n${'x\n'.repeat(17)}`, // too many extensions
    ];
    for (const b of bad) expect(codeOf(() => parseCheckpoint(b)), JSON.stringify(b)).toBe('checkpoint_invalid');
    expect(parseCheckpoint(`${origin}\n0\n${r}\n`).treeSize).toBe(0);
  });

  it('builds Cairn origins from lower-case hosts only', () => {
    expect(checkpointOrigin('node-a.cairn.example')).toBe('node-a.cairn.example/cairn-audit');
    for (const h of ['', 'Node.example', 'a b', 'a+b', 'https://a.example', 'a.example/x', '-a.example']) {
      expect(codeOf(() => checkpointOrigin(h)), h).toBe('config_invalid');
    }
  });
});

describe('signed checkpoints', () => {
  it('open under the log key and give back the checkpoint', async () => {
    const signed = await signCheckpoint(cp, logSigner);
    const { checkpoint, note } = openCheckpoint(signed, logKey, { origin });
    expect(checkpoint.treeSize).toBe(8);
    expect(toBase64(checkpoint.rootHash)).toBe(toBase64(root));
    expect(note.verified.map((s) => s.name)).toEqual([origin]);
    // The trusted key can also be given decoded or as a verifier.
    expect(openCheckpoint(signed, ed25519NoteVerifier(logKey)).checkpoint.origin).toBe(origin);
  });

  it('refuses to sign under a key whose name is not the origin', async () => {
    await expect(signCheckpoint(cp, ed25519NoteSigner('other.example/cairn-audit', seed))).rejects.toSatisfy((e) =>
      isCairnError(e, 'config_invalid'),
    );
  });

  it('refuses tampered checkpoints: size, root, whitespace, origin', async () => {
    const signed = await signCheckpoint(cp, logSigner);
    const r = toBase64(root);
    const cases: [string, ErrorCode][] = [
      [signed.replace('\n8\n', '\n9\n'), 'signature_invalid'],
      [signed.replace('\n8\n', '\n08\n'), 'signature_invalid'],
      [signed.replace(r, toBase64(new Uint8Array(32))), 'signature_invalid'],
      [signed.replace(`${origin}\n`, `${origin} \n`), 'signature_invalid'],
      [signed.replace(`${r}\n`, `${r}\nextra\n`), 'signature_invalid'],
      [signed.replace(`${r}\n\n`, `${r}\n\n\n`), 'signature_invalid'], // text gains an empty line
      [' ' + signed, 'signature_invalid'],
    ];
    for (const [s, code] of cases) expect(codeOf(() => openCheckpoint(s, logKey)), JSON.stringify(s)).toBe(code);
    expect(codeOf(() => openCheckpoint(signed, logKey, { origin: 'node-c.cairn.example/cairn-audit' }))).toBe('checkpoint_invalid');
  });

  it('refuses a checkpoint from a wrong or unknown key, even if a trusted cosigner signed it', async () => {
    const impostor = ed25519NoteSigner(origin, new Uint8Array(32).fill(0x12));
    const forged = await signCheckpoint(cp, impostor);
    // Same name, different key: different key ID, so the line is ignored as unknown.
    expect(() => openCheckpoint(forged, logKey)).toThrow('note has no signature from a trusted key');
    // A cosigner's signature alone does not stand in for the log's.
    const wSeed = new Uint8Array(32).fill(0x13);
    const cosigner = ed25519NoteSigner('witness.example/w', wSeed);
    const cosignerKey = ed25519NoteVerifier(formatVerifierKey('witness.example/w', ed25519Key(wSeed).publicKey));
    const onlyCosigned = await signNote(formatCheckpoint(cp), [cosigner]);
    expect(() => openCheckpoint(onlyCosigned, logKey, { cosigners: [cosignerKey] })).toThrow(`checkpoint is not signed by the log key ${origin}`);
    const both = await signCheckpoint(cp, logSigner, parseNote(onlyCosigned).signatures);
    expect(openCheckpoint(both, logKey, { cosigners: [cosignerKey] }).note.verified.map((x) => x.name)).toEqual(['witness.example/w', origin]);
    const good = await signCheckpoint(cp, logSigner);
    expect(() => openCheckpoint(good, 'not a key')).toThrow(/verifier key/);
  });
});
