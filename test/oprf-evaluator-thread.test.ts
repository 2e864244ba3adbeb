/**
 * The answering node's evaluation in a worker thread against the portable
 * core: the same evaluated elements, proofs our client verifies, the same
 * rejections (code, field, message) for bad elements, many calls in flight
 * at once, and a clean close.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromHex, toHex, utf8 } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import { blind, blindEvaluateBatch, evaluateToken, finalizeBatch, generateOprfKeyPair } from '../src/core/oprf/index.js';
import { createThreadedEvaluator, type ThreadedEvaluator } from '../src/node/oprf/evaluator-thread.js';

const keys = generateOprfKeyPair();
let evaluator: ThreadedEvaluator;

async function failure(f: () => Promise<unknown>): Promise<{ code: string; field?: string; message: string } | 'no error'> {
  try {
    await f();
    return 'no error';
  } catch (e) {
    if (!isCairnError(e)) throw e;
    return { code: e.code, message: e.message, ...(e.location?.field === undefined ? {} : { field: e.location.field }) };
  }
}

describe('threaded evaluator', () => {
  beforeAll(async () => {
    evaluator = await createThreadedEvaluator(keys.secretKey, keys.publicKey, { threads: 2 });
  });
  afterAll(async () => {
    await evaluator.close();
  });

  it('evaluates like the portable path, with proofs our client verifies, many calls at once', async () => {
    const batches = Array.from({ length: 12 }, (_, j) => Array.from({ length: 1 + j * 3 }, () => new Uint8Array(randomBytes(20))));
    const results = await Promise.all(
      batches.map(async (inputs) => {
        const blinded = inputs.map((x) => blind(x));
        const elements = blinded.map((b) => b.blindedElement);
        const got = await evaluator.blindEvaluateBatch(elements);
        const portable = blindEvaluateBatch(keys.secretKey, keys.publicKey, elements);
        expect(got.evaluatedElements.map(toHex)).toEqual(portable.evaluatedElements.map(toHex));
        const outputs = finalizeBatch(inputs, blinded.map((b) => b.blind), got.evaluatedElements, elements, keys.publicKey, got.proof);
        expect(outputs.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
        return inputs.length;
      }),
    );
    expect(results.reduce((a, b) => a + b)).toBe(210);
  });

  it("rejects bad elements with the portable path's code, field and message, and keeps serving", async () => {
    const good = blind(utf8('good')).blindedElement;
    const cases = (JSON.parse(readFileSync(new URL('./vectors/rfc9497/cairn-invalid-elements.json', import.meta.url), 'utf8')) as { cases: { hex: string }[] }).cases;
    for (const c of cases) {
      const batch = [good, fromHex(c.hex)];
      const got = await failure(() => evaluator.blindEvaluateBatch(batch));
      expect(got).toMatchObject({ code: 'oprf_invalid_element', field: 'blindedElements[1]' });
      expect(got).toEqual(await failure(async () => blindEvaluateBatch(keys.secretKey, keys.publicKey, batch)));
    }
    expect(await failure(() => evaluator.blindEvaluateBatch([good, new Uint8Array(31)]))).toMatchObject({ code: 'oprf_invalid_element', field: 'blindedElements[1]' });
    expect(await failure(() => evaluator.blindEvaluateBatch([]))).toMatchObject({ code: 'oprf_invalid_input', field: 'blindedElements' });
    expect((await evaluator.blindEvaluateBatch([good])).evaluatedElements).toHaveLength(1);
  });

  it('fails the calls of a worker that dies, restarts it, and never hangs', async () => {
    const crashing = await createThreadedEvaluator(keys.secretKey, keys.publicKey, {
      threads: 1,
      workerUrl: new URL('./fixtures/crashing-evaluate-worker.mjs', import.meta.url),
    });
    try {
      const element = blind(utf8('x')).blindedElement;
      for (let i = 0; i < 3; i++) {
        expect(await failure(() => crashing.blindEvaluateBatch([element]))).toMatchObject({ code: 'internal', message: 'evaluate worker exited with code 3' });
      }
    } finally {
      await crashing.close();
    }
  });

  it('evaluates on the calling thread while inlineWhen says so, as the worker would', async () => {
    // Its worker dies on every call: what succeeds was evaluated on this thread.
    let alone = true;
    const batches: string[] = [];
    const e = await createThreadedEvaluator(keys.secretKey, keys.publicKey, {
      threads: 1,
      workerUrl: new URL('./fixtures/crashing-evaluate-worker.mjs', import.meta.url),
      inlineWhen: () => alone,
      onBatch: (thread) => batches.push(thread),
    });
    try {
      const inputs = [utf8('alone'), utf8('on the main thread')];
      const blinded = inputs.map((x) => blind(x));
      const elements = blinded.map((b) => b.blindedElement);
      const got = await e.blindEvaluateBatch(elements);
      const outputs = finalizeBatch(inputs, blinded.map((b) => b.blind), got.evaluatedElements, elements, keys.publicKey, got.proof);
      expect(outputs.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
      const bad = [elements[0]!, new Uint8Array(32).fill(0xff)];
      expect(await failure(() => e.blindEvaluateBatch(bad))).toEqual(await failure(async () => blindEvaluateBatch(keys.secretKey, keys.publicKey, bad)));
      expect(e.inlined()).toBe(2);
      // Only what was answered counts toward the node's metric.
      expect(batches).toEqual(['main']);
      // Not alone: the worker takes it (and dies here).
      alone = false;
      expect(await failure(() => e.blindEvaluateBatch(elements))).toMatchObject({ code: 'internal', message: 'evaluate worker exited with code 3' });
      expect(e.inlined()).toBe(2);
      expect(batches).toEqual(['main']);
      alone = true;
    } finally {
      await e.close();
    }
    // Closed: refused, never evaluated under the overwritten key.
    expect(await failure(() => e.blindEvaluateBatch([blind(utf8('x')).blindedElement]))).toMatchObject({ code: 'internal' });
    expect(e.inlined()).toBe(2);
  });

  it('refuses a mismatched key pair at start-up, and calls after close', async () => {
    const other = generateOprfKeyPair();
    expect(await failure(() => createThreadedEvaluator(keys.secretKey, other.publicKey, { threads: 1 }))).toMatchObject({ code: 'oprf_invalid_input', field: 'publicKey' });
    const e = await createThreadedEvaluator(keys.secretKey, keys.publicKey, { threads: 1 });
    await e.close();
    expect(await failure(() => e.blindEvaluateBatch([blind(utf8('x')).blindedElement]))).toMatchObject({ code: 'internal' });
  });
});
