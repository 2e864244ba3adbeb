/**
 * The native libsodium build (src/node/native/ristretto255.c) against the
 * WASM build it replaces: the same bytes for every function Cairn uses, on
 * random inputs and on the edge cases a peer can send (non-canonical and
 * invalid encodings, the identity, zero and unreduced scalars); the same
 * failures; clear errors for inputs of the wrong shape; the module in a
 * worker thread; and CAIRN_SODIUM's choice.
 *
 * The module is built by the suite's global set-up where libsodium-dev is
 * installed. Without it these tests are skipped, unless CAIRN_SODIUM=native
 * (CI), where a missing module fails the run.
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import wasm from 'libsodium-wrappers-sumo';
import { beforeAll, describe, expect, it } from 'vitest';
import { cairn, freePort, initNode, serveNode, tempDir } from './helpers/cli.js';
import { loadNativeSodium, loadSodiumBuild, nativeModulePath, sodiumChoice, type Sodium } from '../src/node/oprf/sodium.js';

const required = process.env.CAIRN_SODIUM === 'native';
const present = nativeModulePath() !== undefined;

describe('CAIRN_SODIUM', () => {
  it('takes native, wasm, auto or nothing, and refuses anything else by name', () => {
    expect(sodiumChoice({})).toBe('auto');
    expect(sodiumChoice({ CAIRN_SODIUM: '' })).toBe('auto');
    expect(sodiumChoice({ CAIRN_SODIUM: 'wasm' })).toBe('wasm');
    expect(sodiumChoice({ CAIRN_SODIUM: 'native' })).toBe('native');
    expect(() => sodiumChoice({ CAIRN_SODIUM: 'Native' })).toThrow(/CAIRN_SODIUM: expected native, wasm or auto, got "Native"/);
  });

  it('wasm never loads the native build', async () => {
    const got = await loadSodiumBuild('wasm');
    expect(got.build).toBe('wasm');
    expect(got.lib).toBe(wasm);
  });

  it.runIf(required)('CI: the native build is present and auto picks it', async () => {
    expect(nativeModulePath()).toBeDefined();
    expect((await loadSodiumBuild('auto')).build).toBe('native');
  });
});

describe.runIf(present || required)('native libsodium build', () => {
  let native: Sodium;
  beforeAll(async () => {
    await wasm.ready;
    const got = loadNativeSodium();
    if (!('lib' in got)) throw new Error(got.error);
    native = got.lib;
    expect((await loadSodiumBuild('native')).build).toBe('native');
  });

  /** Both builds' result, or that both threw. */
  function same(f: (lib: Sodium) => unknown): void {
    const run = (lib: Sodium): unknown => {
      try {
        const r = f(lib);
        return r instanceof Uint8Array ? Buffer.from(r).toString('hex') : r;
      } catch {
        return 'threw';
      }
    };
    expect(run(native)).toEqual(run(wasm));
  }

  const N = 200;
  const L = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');
  const scalars = (): Uint8Array[] => [
    new Uint8Array(32),
    Uint8Array.of(1, ...new Uint8Array(31)),
    L,
    new Uint8Array(32).fill(0xff),
    ...Array.from({ length: N }, () => randomBytes(32)),
  ];
  /** Valid points, the identity, and encodings RFC 9496 §4.3.1 refuses. */
  const points = (): Uint8Array[] => {
    const valid = Array.from({ length: N }, () => wasm.crypto_core_ristretto255_from_hash(randomBytes(64)));
    const negative = valid.map((p) => p.slice()).map((p) => ((p[0]! |= 1), p));
    const high = valid.slice(0, 20).map((p) => p.slice()).map((p) => ((p[31]! |= 0x80), p));
    // p = 2^255 - 19 and above are non-canonical field elements.
    const nonCanonical = [Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex'), new Uint8Array(32).fill(0xff)];
    return [new Uint8Array(32), ...valid, ...negative, ...high, ...nonCanonical, ...Array.from({ length: N }, () => randomBytes(32))];
  };

  it('from_hash and scalar_reduce: the same bytes for random and extreme inputs', () => {
    for (const h of [new Uint8Array(64), new Uint8Array(64).fill(0xff), ...Array.from({ length: N }, () => randomBytes(64))]) {
      same((lib) => lib.crypto_core_ristretto255_from_hash(h));
      same((lib) => lib.crypto_core_ristretto255_scalar_reduce(h));
    }
  });

  it('is_valid_point and scalar multiplication agree on valid, identity, negative, high-bit, non-canonical and random encodings', () => {
    const ps = points();
    const ss = scalars();
    let valid = 0;
    ps.forEach((p, i) => {
      same((lib) => lib.crypto_core_ristretto255_is_valid_point(p));
      if (native.crypto_core_ristretto255_is_valid_point(p)) valid++;
      same((lib) => lib.crypto_scalarmult_ristretto255(ss[i % ss.length]!, p));
    });
    // The set holds both kinds, so the comparison above exercised both.
    expect(valid).toBeGreaterThan(N);
    expect(valid).toBeLessThan(ps.length - N / 2);
  });

  it('base multiplication, addition and the scalar field agree, including zero, L and unreduced scalars', () => {
    const ss = scalars();
    const ps = points();
    ss.forEach((a, i) => {
      const b = ss[(i * 7 + 3) % ss.length]!;
      same((lib) => lib.crypto_scalarmult_ristretto255_base(a));
      same((lib) => lib.crypto_core_ristretto255_scalar_invert(a));
      same((lib) => lib.crypto_core_ristretto255_scalar_mul(a, b));
      same((lib) => lib.crypto_core_ristretto255_scalar_sub(a, b));
      same((lib) => lib.crypto_core_ristretto255_scalar_add(a, b));
      same((lib) => lib.crypto_core_ristretto255_add(ps[i % ps.length]!, ps[(i * 5 + 1) % ps.length]!));
    });
  });

  it('fails where libsodium fails: the identity as a product, the inverse of zero, an invalid point', () => {
    const zero = new Uint8Array(32);
    const p = native.crypto_core_ristretto255_from_hash(randomBytes(64));
    expect(() => native.crypto_scalarmult_ristretto255_base(zero)).toThrow(/crypto_scalarmult_ristretto255_base: the product is the identity/);
    expect(() => native.crypto_scalarmult_ristretto255(zero, p)).toThrow(/crypto_scalarmult_ristretto255: invalid point, or the product is the identity/);
    expect(() => native.crypto_core_ristretto255_scalar_invert(zero)).toThrow(/the scalar is zero/);
    expect(() => native.crypto_core_ristretto255_add(p, new Uint8Array(32).fill(0xff))).toThrow(/crypto_core_ristretto255_add: invalid point/);
  });

  it('refuses an encoding with bit 255 set, as RFC 9496 requires, whatever the system libsodium (1.0.18 ignores that bit)', () => {
    const p = native.crypto_core_ristretto255_from_hash(randomBytes(64));
    const high = p.slice();
    high[31]! |= 0x80;
    const s = randomBytes(32);
    s[31]! &= 0x0f;
    expect(native.crypto_core_ristretto255_is_valid_point(p)).toBe(true);
    expect(native.crypto_core_ristretto255_is_valid_point(high)).toBe(false);
    expect(() => native.crypto_scalarmult_ristretto255(s, high)).toThrow(/invalid point/);
    expect(() => native.crypto_core_ristretto255_add(p, high)).toThrow(/invalid point/);
    expect(() => native.crypto_core_ristretto255_add(high, p)).toThrow(/invalid point/);
  });

  it('refuses arguments of the wrong type or length with a TypeError that names the function and argument', () => {
    const lib = native as unknown as Record<string, (...a: unknown[]) => unknown>;
    const call = (name: string, ...args: unknown[]) => () => lib[name]!(...args);
    expect(call('crypto_scalarmult_ristretto255', new Uint8Array(32), new Uint8Array(31))).toThrow(TypeError);
    expect(call('crypto_scalarmult_ristretto255', new Uint8Array(32), new Uint8Array(31))).toThrow(/^crypto_scalarmult_ristretto255: argument 2 has 31 bytes, expected 32$/);
    expect(call('crypto_core_ristretto255_from_hash', new Uint8Array(32))).toThrow(/argument 1 has 32 bytes, expected 64/);
    expect(call('crypto_core_ristretto255_add', new Uint8Array(32))).toThrow(/^crypto_core_ristretto255_add: argument 2 is missing$/);
    expect(call('crypto_core_ristretto255_scalar_mul', 'ab'.repeat(16), new Uint8Array(32))).toThrow(/argument 1 is not a Uint8Array/);
    expect(call('crypto_core_ristretto255_is_valid_point', new Uint16Array(16))).toThrow(/argument 1 is not a Uint8Array/);
    // A Buffer is a Uint8Array; a view into a larger buffer is read at its offset.
    const big = randomBytes(96);
    expect(Buffer.from(native.crypto_core_ristretto255_from_hash(big.subarray(32)))).toEqual(Buffer.from(wasm.crypto_core_ristretto255_from_hash(big.subarray(32))));
  });

  it('returns fresh arrays that the caller may change', () => {
    const s = randomBytes(32);
    const a = native.crypto_scalarmult_ristretto255_base(s);
    const b = native.crypto_scalarmult_ristretto255_base(s);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a.buffer).not.toBe(b.buffer);
    a.fill(0);
    expect(Buffer.from(b)).toEqual(Buffer.from(wasm.crypto_scalarmult_ristretto255_base(s)));
  });

  it('loads and computes the same in a worker thread (the pools load it in every thread)', async () => {
    const path = nativeModulePath()!;
    const s = randomBytes(32);
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const lib = require(workerData.path);
       parentPort.postMessage(lib.crypto_scalarmult_ristretto255_base(workerData.s));`,
      { eval: true, workerData: { path, s } },
    );
    const got = await new Promise<Uint8Array>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    expect(Buffer.from(got)).toEqual(Buffer.from(wasm.crypto_scalarmult_ristretto255_base(s)));
  });
});

describe('cairn serve and CAIRN_SODIUM', () => {
  it('logs the build it runs on, and a bad CAIRN_SODIUM stops start-up with a reason', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const port = await freePort();
      initNode(dir, 'DE', port);
      const node = await serveNode(dir, { port, env: { CAIRN_SODIUM: 'wasm', CAIRN_LOG_LEVEL: 'info' } });
      await node.stop();
      expect(node.stderr()).toMatch(/"sodium":"wasm 1\.0\.\d+".*cairn node listening/);
      if (present) {
        const auto = await serveNode(dir, { port, env: { CAIRN_LOG_LEVEL: 'info' } });
        await auto.stop();
        expect(auto.stderr()).toMatch(/"sodium":"native \d+\.\d+\.\d+".*cairn node listening/);
      }
      const bad = cairn(['serve', '--home', dir, '--port', String(port)], { env: { CAIRN_SODIUM: 'fast' } });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('CAIRN_SODIUM: expected native, wasm or auto, got "fast"');
    } finally {
      cleanup();
    }
  });
});
