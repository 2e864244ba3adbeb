/**
 * The Node fast paths against the portable core: the libsodium backend and
 * the worker-thread pool must give byte-identical tokens, in input order, and
 * fail cleanly.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fromHex, toHex } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import {
  createPortableTokenBackend,
  deserializeElement,
  evaluateToken,
  finalizeHash,
  generateOprfKeyPair,
  hashToGroupUniformBytes,
} from '../src/core/oprf/index.js';
import {
  createSodiumTokenBackend,
  createTokenPool,
  lazyTokenPool,
  loadSodium,
  resolveTokenWorkerUrl,
  type TokenPool,
} from '../src/node/oprf/index.js';
import { nodeFinalizeHash, nodeHashToGroupUniformBytes, nodeHashToScalarUniformBytes } from '../src/node/oprf/node-hash.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8 } from '../src/core/bytes.js';
import { VOPRF_CONTEXT } from '../src/core/oprf/suite.js';

const { secretKey } = generateOprfKeyPair();

/** A few hundred inputs of varied length, with the edge cases (empty, maximum length). */
function sampleInputs(n: number): Uint8Array[] {
  const out = [new Uint8Array(0), new Uint8Array(0xffff).fill(7)];
  while (out.length < n) out.push(new Uint8Array(randomBytes(1 + (randomBytes(1)[0]! % 96))));
  return out;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('node:crypto hash steps', () => {
  it('equal the core expand_message_xmd and Finalize byte for byte', () => {
    for (const x of sampleInputs(200)) {
      expect(toHex(nodeHashToGroupUniformBytes(x))).toBe(toHex(hashToGroupUniformBytes(x)));
      const element = new Uint8Array(randomBytes(32));
      expect(toHex(nodeFinalizeHash(x, element))).toBe(toHex(finalizeHash(x, element)));
      // HashToScalar's expansion (RFC 9497 §4.1), as noble computes it with its own SHA-512.
      const dst = concatBytes(utf8('HashToScalar-'), VOPRF_CONTEXT);
      expect(toHex(nodeHashToScalarUniformBytes(x))).toBe(toHex(expand_message_xmd(x, dst, 64, sha512)));
    }
  });
});

describe('sodium backend', () => {
  it('is byte-identical to the portable evaluateToken on random inputs', async () => {
    const inputs = sampleInputs(300);
    const sodium = await createSodiumTokenBackend(secretKey);
    const portable = createPortableTokenBackend(secretKey);
    const [a, b] = await Promise.all([sodium.evaluateTokens(inputs), portable.evaluateTokens(inputs)]);
    expect(a.map(toHex)).toEqual(b.map(toHex));
    await Promise.all([sodium.close(), portable.close()]);
  });

  it('rejects a bad input with its index, and a bad key', async () => {
    const sodium = await createSodiumTokenBackend(secretKey);
    const e = await rejection(sodium.evaluateTokens([new Uint8Array(1), new Uint8Array(0x10000)]));
    expect(isCairnError(e, 'oprf_invalid_input')).toBe(true);
    expect((e as { location?: { field?: string } }).location?.field).toBe('inputs[1]');
    expect(isCairnError(await rejection(createSodiumTokenBackend(new Uint8Array(32))), 'oprf_invalid_input')).toBe(true);
  });

  it('agrees with noble on which encodings are valid ristretto255 elements', async () => {
    const lib = await loadSodium();
    const bad = (
      JSON.parse(readFileSync(new URL('./vectors/rfc9497/cairn-invalid-elements.json', import.meta.url), 'utf8')) as {
        cases: { hex: string }[];
      }
    ).cases.map((c) => fromHex(c.hex));
    const random = Array.from({ length: 200 }, () => new Uint8Array(randomBytes(32)));
    for (const b of [...bad, ...random]) {
      let noble = true;
      try {
        deserializeElement(b);
      } catch {
        noble = false;
      }
      // libsodium accepts the identity's encoding (all zeros); RFC 9497 §3.3 makes us reject it.
      const identity = b.length === 32 && b.every((x) => x === 0);
      expect(b.length === 32 && lib.crypto_core_ristretto255_is_valid_point(b) && !identity).toBe(noble);
    }
  });
});

describe('worker pool', () => {
  let pool: TokenPool;
  beforeAll(async () => {
    pool = await createTokenPool({ secretKey, threads: 2, batchSize: 16 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('finds the compiled worker next to dist/ when run from TypeScript source', () => {
    expect(resolveTokenWorkerUrl(import.meta.url.replace(/test\/[^/]*$/, 'src/node/oprf/token-pool.ts')).pathname).toMatch(
      /\/dist\/src\/node\/oprf\/token-worker\.js$/,
    );
  });

  it('returns portable-identical tokens in input order', async () => {
    const inputs = sampleInputs(300);
    const tokens = await pool.evaluateTokens(inputs);
    expect(tokens.length).toBe(inputs.length);
    tokens.forEach((t, i) => expect(toHex(t)).toBe(toHex(evaluateToken(secretKey, inputs[i]!))));
  });

  it('handles small and empty calls, and concurrent calls', async () => {
    expect(await pool.evaluateTokens([])).toEqual([]);
    const one = new Uint8Array([1, 2, 3]);
    expect((await pool.evaluateTokens([one])).map(toHex)).toEqual([toHex(evaluateToken(secretKey, one))]);
    const a = sampleInputs(40);
    const b = sampleInputs(40);
    const [ta, tb] = await Promise.all([pool.evaluateTokens(a), pool.evaluateTokens(b)]);
    expect(ta.map(toHex)).toEqual(a.map((x) => toHex(evaluateToken(secretKey, x))));
    expect(tb.map(toHex)).toEqual(b.map((x) => toHex(evaluateToken(secretKey, x))));
  });

  it('rejects a bad input with its index and stays usable', async () => {
    const inputs = sampleInputs(50);
    inputs[37] = new Uint8Array(0x10000);
    const e = await rejection(pool.evaluateTokens(inputs));
    expect(isCairnError(e, 'oprf_invalid_input')).toBe(true);
    expect((e as Error).message).toMatch(/^inputs\[37\]: /);
    expect((e as { location?: unknown }).location).toEqual({ field: 'inputs[37]', index: 37 });
    expect(isCairnError(await rejection(pool.evaluateTokens(['x' as unknown as Uint8Array])), 'oprf_invalid_input')).toBe(
      true,
    );
    expect((await pool.evaluateTokens([one()])).length).toBe(1);
  });

  it('refuses an invalid secret key before starting workers', async () => {
    const e = await rejection(createTokenPool({ secretKey: new Uint8Array(32).fill(0xff), threads: 1 }));
    expect(isCairnError(e, 'oprf_invalid_input')).toBe(true);
    expect((e as Error).message).not.toMatch(/ff/);
  });
});

describe('lazy token pool (a serving node\'s imports)', () => {
  it('starts its workers on the first call, gives the same tokens, tries a failed start again, and refuses calls once closed', async () => {
    // A worker script that counts its starts: none before the first call.
    const dir = mkdtempSync(join(tmpdir(), 'cairn-pool-'));
    const starts = join(dir, 'starts');
    const broken = join(dir, 'broken');
    writeFileSync(broken, '1');
    const real = resolveTokenWorkerUrl(import.meta.url.replace(/test\/[^/]*$/, 'src/node/oprf/token-pool.ts'));
    const script = join(dir, 'worker.mjs');
    writeFileSync(
      script,
      `import { appendFileSync, existsSync } from 'node:fs';
       appendFileSync(${JSON.stringify(starts)}, 'x');
       if (existsSync(${JSON.stringify(broken)})) throw new Error('cannot start yet');
       await import(${JSON.stringify(real.href)});`,
    );
    const lazy = lazyTokenPool({ secretKey, threads: 1, workerUrl: pathToFileURL(script) });
    const count = () => {
      try {
        return readFileSync(starts, 'utf8').length;
      } catch {
        return 0;
      }
    };
    expect(count()).toBe(0);
    const inputs = sampleInputs(20);
    // The first start fails: the call fails, and the next call starts the pool again.
    expect(await rejection(lazy.evaluateTokens(inputs))).toBeInstanceOf(Error);
    execFileSync('rm', [broken]);
    const tokens = await lazy.evaluateTokens(inputs);
    expect(tokens.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(secretKey, x))));
    expect(count()).toBe(2);
    await lazy.evaluateTokens(inputs.slice(0, 3));
    expect(count()).toBe(2);
    await lazy.close();
    expect(isCairnError(await rejection(lazy.evaluateTokens(inputs)), 'internal')).toBe(true);
    await lazy.close();
  });
});

describe('worker pool failures and shutdown', () => {
  /** A stand-in worker script: `mode` says how it misbehaves. */
  function fakeWorker(body: string): URL {
    const dir = mkdtempSync(join(tmpdir(), 'cairn-pool-'));
    const file = join(dir, 'worker.mjs');
    writeFileSync(file, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
    return pathToFileURL(file);
  }

  it('maps a worker-reported input error to the caller index', async () => {
    // The worker names item 2 of its batch; the pool knows where the batch starts.
    const workerUrl = fakeWorker(
      `parentPort.postMessage({ type: 'ready' });
       parentPort.on('message', (m) => parentPort.postMessage({ type: 'error', id: m.id,
         error: { code: 'oprf_invalid_input', message: 'inputs[2]: rejected by worker', field: 'inputs[2]', index: 2, problem: 'rejected by worker' } }));`,
    );
    const p = await createTokenPool({ secretKey, threads: 1, batchSize: 4, workerUrl });
    const e = await rejection(p.evaluateTokens(sampleInputs(12)));
    expect(isCairnError(e, 'oprf_invalid_input')).toBe(true);
    expect((e as Error).message).toMatch(/^inputs\[(2|6|10)\]: rejected by worker$/);
    const { field, index } = (e as { location: { field: string; index: number } }).location;
    expect([2, 6, 10]).toContain(index);
    expect(field).toBe(`inputs[${index}]`);
    await p.close();
  });

  it('fails in-flight calls with internal when a worker dies', async () => {
    const workerUrl = fakeWorker(`parentPort.postMessage({ type: 'ready' }); parentPort.on('message', () => process.exit(3));`);
    const p = await createTokenPool({ secretKey, threads: 1, workerUrl });
    expect(isCairnError(await rejection(p.evaluateTokens([one()])), 'internal')).toBe(true);
    await p.close();
  });

  it('skips a slot whose worker dies and cannot be restarted (the one restart policy of both pools)', async () => {
    // The first start serves and dies on its first request; every later start throws.
    const marker = join(mkdtempSync(join(tmpdir(), 'cairn-pool-')), 'started');
    const workerUrl = fakeWorker(
      `import { existsSync, writeFileSync } from 'node:fs';
       if (existsSync(${JSON.stringify(marker)})) throw new Error('cannot restart');
       writeFileSync(${JSON.stringify(marker)}, '1');
       parentPort.postMessage({ type: 'ready' });
       parentPort.on('message', () => process.exit(3));`,
    );
    const p = await createTokenPool({ secretKey, threads: 1, workerUrl });
    const first = await rejection(p.evaluateTokens([one()]));
    expect([isCairnError(first, 'internal'), (first as Error).message]).toEqual([true, 'token worker exited with code 3']);
    // The failed restart takes the slot out: calls fail at once instead of hanging.
    await vi.waitFor(async () => expect((await rejection(p.evaluateTokens([one()])) as Error).message).toBe('every token worker has failed'), { timeout: 30_000 });
    await p.close();
  });

  it('fails start-up when a worker cannot start', async () => {
    const workerUrl = fakeWorker(`throw new Error('boom');`);
    expect(isCairnError(await rejection(createTokenPool({ secretKey, threads: 2, workerUrl })), 'internal')).toBe(true);
  });

  it('an idle pool does not keep the process alive (compiled dist/ build)', () => {
    const dist = new URL('../dist/src/', import.meta.url).href;
    const script = `
      const { generateOprfKeyPair } = await import('${dist}core/oprf/index.js');
      const { createTokenPool } = await import('${dist}node/oprf/index.js');
      const pool = await createTokenPool({ secretKey: generateOprfKeyPair().secretKey, threads: 2 });
      const tokens = await pool.evaluateTokens([new Uint8Array([1]), new Uint8Array([2])]);
      console.log(tokens.length);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000, encoding: 'utf8' });
    expect(out.trim()).toBe('2');
  });

  it('close() fails in-flight calls, is idempotent, and refuses later calls', async () => {
    const workerUrl = fakeWorker(`parentPort.postMessage({ type: 'ready' }); parentPort.on('message', () => {});`);
    const p = await createTokenPool({ secretKey, threads: 2, workerUrl });
    const inFlight = rejection(p.evaluateTokens(sampleInputs(10)));
    await Promise.all([p.close(), p.close()]);
    expect(isCairnError(await inFlight, 'internal')).toBe(true);
    expect(isCairnError(await rejection(p.evaluateTokens([one()])), 'internal')).toBe(true);
  });
});

function one(): Uint8Array {
  return new Uint8Array([42]);
}
