/**
 * protocol/20-tokens.md publishes a worked test vector under the TEST key; this
 * test recomputes every value from the document's own Seed, KeyInfo, Input,
 * Blind and ProofRandomScalar, with Cairn and with @cloudflare/voprf-ts, so the
 * document cannot drift from the code.
 */
import { readFileSync } from 'node:fs';
import { deriveKeyPair, Oprf, VOPRFServer } from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { describe, expect, it } from 'vitest';
import { fromHex, toBase64Url, toHex, utf8 } from '../src/core/bytes.js';
import {
  blind,
  blindEvaluateBatch,
  deriveOprfKeyPair,
  evaluateToken,
  finalizeBatch,
  type RandomBytes,
} from '../src/core/oprf/index.js';

const doc = readFileSync(new URL('../protocol/20-tokens.md', import.meta.url), 'utf8');
const values = new Map<string, string>();
for (const m of doc.matchAll(/^([A-Za-z]+(?: \(base64url\))?) = (\S+)$/gm)) values.set(m[1]!, m[2]!);
const v = (name: string): string => {
  const value = values.get(name);
  if (value === undefined) throw new Error(`protocol/20-tokens.md has no "${name} = …" line`);
  return value;
};

/** RandomScalar = (LE(rng(48)) mod (L - 1)) + 1: feed s - 1 to get scalar s. */
function scalarRng(hex: string): RandomBytes {
  return (n) => {
    const b = fromHex(hex);
    let s = 0n;
    for (let i = b.length - 1; i >= 0; i--) s = (s << 8n) | BigInt(b[i]!);
    let x = s - 1n;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++, x >>= 8n) out[i] = Number(x & 0xffn);
    return out;
  };
}

describe('protocol/20-tokens.md TEST-key vector', () => {
  it('states the seed and info it says it uses', () => {
    expect(v('Seed')).toBe('a5'.repeat(32));
    expect(v('KeyInfo')).toBe(toHex(utf8('cairn test key')));
    expect(v('Input')).toBe(toHex(utf8('cairn example input')));
  });

  it('derives the key pair and the token (Cairn and voprf-ts agree)', async () => {
    const kp = deriveOprfKeyPair(fromHex(v('Seed')), fromHex(v('KeyInfo')));
    expect(toHex(kp.secretKey)).toBe(v('skSm'));
    expect(toHex(kp.publicKey)).toBe(v('pkSm'));
    expect(toBase64Url(kp.publicKey)).toBe(v('pkSm (base64url)'));
    const token = evaluateToken(kp.secretKey, fromHex(v('Input')));
    expect(toHex(token)).toBe(v('Token'));
    expect(toBase64Url(token)).toBe(v('Token (base64url)'));

    const suite = Oprf.Suite.RISTRETTO255_SHA512;
    const theirs = await deriveKeyPair(Oprf.Mode.VOPRF, suite, fromHex(v('Seed')), fromHex(v('KeyInfo')), CryptoNoble);
    expect(toHex(theirs.privateKey)).toBe(v('skSm'));
    const server = new VOPRFServer(suite, theirs.privateKey, CryptoNoble);
    expect(toHex(await server.evaluate(fromHex(v('Input'))))).toBe(v('Token'));
  });

  it('reproduces the blinded exchange and finalizes it into the token', () => {
    const sk = fromHex(v('skSm'));
    const pk = fromHex(v('pkSm'));
    const input = fromHex(v('Input'));
    const b = blind(input, scalarRng(v('Blind')));
    expect(toHex(b.blind)).toBe(v('Blind'));
    expect(toHex(b.blindedElement)).toBe(v('BlindedElement'));
    const ev = blindEvaluateBatch(sk, pk, [b.blindedElement], scalarRng(v('ProofRandomScalar')));
    expect(toHex(ev.evaluatedElements[0]!)).toBe(v('EvaluationElement'));
    expect(toHex(ev.proof)).toBe(v('Proof'));
    const [out] = finalizeBatch([input], [b.blind], ev.evaluatedElements, [b.blindedElement], pk, ev.proof);
    expect(toHex(out!)).toBe(v('Token'));
  });
});
