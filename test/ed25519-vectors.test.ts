/**
 * Cairn's one Ed25519 rule (src/core/signing.ts, PROTOCOL.md, "Ed25519 verification") on
 * every path: the "Taming the many EdDSAs" edge cases (test/vectors/ed25519,
 * see SOURCE.md) get the verdicts of cairn-verdicts.json from the core's
 * verifier (noble) and from the Node entry's (OpenSSL); signatures under
 * mixed-order keys, built here, show the two use the same (cofactorless)
 * equation. `npm run test:workers` runs the same vectors inside workerd.
 */
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex, utf8 } from '../src/core/bytes.js';
import { ed25519EncodingsStrict, ed25519Signer, ed25519Verify } from '../src/core/signing.js';
import { nodeEd25519Signer, nodeEd25519Verify } from '../src/node/ed25519.js';

interface SpeccheckCase {
  message: string;
  pub_key: string;
  signature: string;
}
interface Verdict {
  case: number;
  valid: boolean;
  rule: 1 | 2 | 3 | 4 | null;
  why: string;
}
const dir = new URL('./vectors/ed25519/', import.meta.url);
const cases = JSON.parse(readFileSync(new URL('speccheck-cases.json', dir), 'utf8')) as SpeccheckCase[];
const { verdicts } = JSON.parse(readFileSync(new URL('cairn-verdicts.json', dir), 'utf8')) as { verdicts: Verdict[] };

const PATHS = { noble: ed25519Verify, openssl: nodeEd25519Verify } as const;
const { Point } = ed25519;
const L = Point.Fn.ORDER;
const scalarOf = (label: string) => Point.Fn.create(bytesToNumberLE(sha512(utf8(label))));

describe('the speccheck edge cases ("Taming the many EdDSAs")', () => {
  it('has a verdict for each of the twelve cases', () => {
    expect(cases).toHaveLength(12);
    expect(verdicts.map((v) => v.case)).toEqual(cases.map((_, i) => i));
  });

  for (const v of verdicts) {
    it(`case ${v.case}: ${v.valid ? 'valid' : `refused by rule ${v.rule}`} on every path (${v.why})`, () => {
      const c = cases[v.case]!;
      const [pub, msg, sig] = [fromHex(c.pub_key), fromHex(c.message), fromHex(c.signature)];
      for (const [path, verify] of Object.entries(PATHS)) expect({ path, valid: verify(pub, msg, sig) }).toEqual({ path, valid: v.valid });
      // Rules 1-3 are the byte checks that run before either equation; rule 4 is the equation itself.
      expect(ed25519EncodingsStrict(pub, sig)).toBe(v.rule === null || v.rule === 4);
    });
  }
});

describe('the rule itself', () => {
  it('lists exactly the y-coordinates of the eight small-order points', () => {
    const t8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    expect(t8.multiply(8n).is0()).toBe(true);
    expect(t8.multiply(4n).is0()).toBe(false);
    const ys = new Set<string>();
    for (let i = 1n; i <= 8n; i++) {
      const e = t8.multiply(i).toBytes();
      // Both signs of every small-order point are refused as A.
      for (const sign of [0, 0x80]) {
        const enc = e.slice();
        enc[31] = (enc[31]! & 0x7f) | sign;
        expect(ed25519EncodingsStrict(enc, concatBytes(Point.BASE.toBytes(), new Uint8Array(32)))).toBe(false);
      }
      e[31]! &= 0x7f;
      ys.add(toHex(e));
    }
    expect(ys.size).toBe(5);
    // A full-order point with the same layout passes.
    expect(ed25519EncodingsStrict(Point.BASE.toBytes(), concatBytes(Point.BASE.toBytes(), new Uint8Array(32)))).toBe(true);
  });

  it('refuses y >= p and S >= L, and accepts S = L - 1', () => {
    const good = ed25519Signer(fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'));
    const sig = good.sign(utf8('m'));
    for (let y = 0n; y < 19n; y++) {
      const enc = numberToBytesLE(2n ** 255n - 19n + y, 32);
      expect(ed25519EncodingsStrict(enc, sig)).toBe(false);
      expect(ed25519EncodingsStrict(good.publicKey, concatBytes(enc, sig.subarray(32)))).toBe(false);
    }
    const withS = (s: bigint) => concatBytes(sig.subarray(0, 32), numberToBytesLE(s, 32));
    expect(ed25519EncodingsStrict(good.publicKey, withS(L))).toBe(false);
    expect(ed25519EncodingsStrict(good.publicKey, withS(L - 1n))).toBe(true);
    // S + L is the same scalar: the permissive reading would accept it.
    const s = bytesToNumberLE(sig.subarray(32));
    for (const verify of Object.values(PATHS)) {
      expect(verify(good.publicKey, utf8('m'), sig)).toBe(true);
      expect(verify(good.publicKey, utf8('m'), withS(s + L))).toBe(false);
    }
  });

  it('uses the cofactorless equation on both paths: a mixed-order key verifies iff [S]B = R + [k]A exactly', () => {
    // A = aB + T with T of order 8; S = r + k·a. Then [S]B - R - [k]A = -[k]T,
    // zero iff k ≡ 0 (mod 8): the cofactored equation always holds, the
    // cofactorless one for about one k in eight. Fixed inputs, no randomness.
    const t8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    const seen = { valid: 0, invalid: 0 };
    for (let i = 0; i < 96; i++) {
      const a = scalarOf(`a${i}`);
      const r = scalarOf(`r${i}`);
      const A = Point.BASE.multiply(a).add(t8).toBytes();
      const R = Point.BASE.multiply(r).toBytes();
      const msg = utf8(`mixed-order message ${i}`);
      const k = Point.Fn.create(bytesToNumberLE(sha512(concatBytes(R, A, msg))));
      const sig = concatBytes(R, numberToBytesLE(Point.Fn.create(r + k * a), 32));
      const expected = k % 8n === 0n;
      expect(ed25519.verify(sig, msg, A, { zip215: false })).toBe(true); // noble's cofactored check
      for (const [path, verify] of Object.entries(PATHS)) expect({ i, path, valid: verify(A, msg, sig) }).toEqual({ i, path, valid: expected });
      seen[expected ? 'valid' : 'invalid']++;
    }
    expect(seen.valid).toBeGreaterThan(0);
    expect(seen.invalid).toBeGreaterThan(0);
  });

  it('gives the same verdicts on both paths for honest and altered signatures', () => {
    for (let i = 0; i < 40; i++) {
      const seed = sha512(utf8(`seed${i}`)).slice(0, 32);
      const msg = utf8(`message ${i}`.repeat(i));
      const sig = nodeEd25519Signer(seed).sign(msg);
      const pub = ed25519Signer(seed).publicKey;
      const altered = sig.slice();
      altered[i % 64]! ^= 1 << (i % 8);
      for (const [s, valid] of [[sig, true], [altered, false]] as const) {
        for (const [path, verify] of Object.entries(PATHS)) expect({ i, path, valid: verify(pub, msg, s) }).toEqual({ i, path, valid });
      }
    }
  });
});
