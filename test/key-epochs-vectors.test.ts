/**
 * The worked example of protocol/38-key-epochs.md: the same input under the
 * keys of two epochs gives unrelated tokens and index fingerprints, and the
 * document, the vector file and the implementation agree.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import { indexFingerprint } from '../src/core/federation/index/fingerprint.js';
import { indexHeadSchema } from '../schemas/index.js';
import { deriveOprfKeyPair, evaluateToken } from '../src/core/oprf/index.js';
import { ROOT } from './helpers/cli.js';

interface Vectors {
  seed: string;
  input: string;
  epochs: { epoch: number; keyInfo: string; skS: string; pkS: string; token: string; fingerprint: string }[];
}

const vectors = JSON.parse(readFileSync(join(ROOT, 'test/vectors/index/epochs.json'), 'utf8')) as Vectors;
const doc = readFileSync(join(ROOT, 'protocol/38-key-epochs.md'), 'utf8');

describe('OPRF key epochs: worked example', () => {
  for (const e of vectors.epochs) {
    it(`epoch ${e.epoch}: key, token and fingerprint`, () => {
      const k = deriveOprfKeyPair(fromHex(vectors.seed), fromHex(e.keyInfo));
      expect(toHex(k.secretKey)).toBe(e.skS);
      expect(toHex(k.publicKey)).toBe(e.pkS);
      const token = evaluateToken(k.secretKey, fromHex(vectors.input));
      expect(toHex(token)).toBe(e.token);
      expect(toHex(indexFingerprint(token))).toBe(e.fingerprint);
      for (const [name, value] of [['KeyInfo', e.keyInfo], ['skS', e.skS], ['pkS', e.pkS], ['Token', e.token], ['fingerprint', e.fingerprint]]) {
        expect(doc).toContain(`${name}(${e.epoch}) = ${value}`);
      }
    });
  }

  it('the two epochs share nothing a replica could compare', () => {
    const [a, b] = vectors.epochs;
    expect(a!.fingerprint).not.toBe(b!.fingerprint);
    expect(a!.token).not.toBe(b!.token);
  });

  it('the example head of epoch 2 is a valid head payload', () => {
    const line = doc.split('\n').find((l) => l.startsWith('{"v":1,'))!;
    const head = JSON.parse(line.replace('<node id>', 'n1').replaceAll('<base64url>', 'A'.repeat(43)));
    expect(indexHeadSchema.parse(head).epoch).toBe(2);
  });
});
