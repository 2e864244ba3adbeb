/**
 * The searcher's answer checks on worker threads (finalize-thread.ts): the
 * same tokens as Evaluate for padded answers, answers arriving together
 * split between the worker and the calling thread, an answer alone checked
 * on the calling thread, a peer's bad answer refused on the worker with the
 * calling thread's code and position, and a crashed worker costing only
 * time.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../src/core/bytes.js';
import { isCairnError } from '../src/core/errors.js';
import { blindEvaluateBatch, evaluateToken, generateOprfKeyPair } from '../src/core/oprf/index.js';
import { createThreadedOprfClient, type ThreadedOprfClient } from '../src/node/oprf/finalize-thread.js';

const keys = generateOprfKeyPair();
const inputs = (n: number) => Array.from({ length: n }, () => new Uint8Array(randomBytes(1 + (randomBytes(1)[0]! % 60))));

/** A padded answer from a real evaluator: n real keys, 16 elements. */
function answer(client: ThreadedOprfClient, n: number) {
  const xs = inputs(n);
  const bl = [...xs.map((x) => client.blind(x)), ...Array.from({ length: 16 - n }, () => client.dummy!())];
  const elements = bl.map((b) => b.blindedElement);
  const ev = blindEvaluateBatch(keys.secretKey, keys.publicKey, elements);
  return { xs, blinds: bl.map((b) => b.blind), elements, evaluated: ev.evaluatedElements, proof: ev.proof };
}

async function code(f: () => unknown): Promise<string> {
  try {
    await f();
    return 'ok';
  } catch (e) {
    return isCairnError(e) ? `${e.code} ${e.location?.field ?? ''}`.trim() : String(e);
  }
}

describe('threaded answer checks', () => {
  let client: ThreadedOprfClient;
  beforeAll(async () => {
    client = await createThreadedOprfClient({ threads: 1 });
    expect(await client.ready()).toBe(true);
  });
  afterAll(async () => {
    await client.close();
  });

  it('finalizes like Evaluate, answers arriving together split between the worker and this thread', async () => {
    const answers = [1, 5, 9, 12, 16].map((n) => answer(client, n));
    const before = client.counts();
    const got = await Promise.all(answers.map((a) => client.finalizePrefix!(a.xs, a.blinds, a.evaluated, a.elements, keys.publicKey, a.proof)));
    got.forEach((tokens, i) => expect(tokens.map(toHex)).toEqual(answers[i]!.xs.map((x) => toHex(evaluateToken(keys.secretKey, x)))));
    const after = client.counts();
    // The first found the one worker idle; the others were checked here rather than queued behind it.
    expect(after.worker - before.worker).toBe(1);
    expect(after.inline - before.inline).toBe(4);
  });

  it("refuses a peer's bad answer on the worker with the calling thread's code and position", async () => {
    const a = answer(client, 6);
    const flipped = a.proof.slice();
    flipped[40]! ^= 1;
    const swapped = [a.evaluated[1]!, a.evaluated[0]!, ...a.evaluated.slice(2)];
    const short = [...a.evaluated.slice(0, 3), a.evaluated[3]!.subarray(1), ...a.evaluated.slice(4)];
    const identity = [...a.evaluated.slice(0, 2), new Uint8Array(32), ...a.evaluated.slice(3)];
    for (const [evaluated, proof, expected] of [
      [a.evaluated, flipped, 'oprf_proof_invalid proof'],
      [swapped, a.proof, 'oprf_proof_invalid proof'],
      [short, a.proof, 'oprf_invalid_element evaluatedElements[3]'],
      [identity, a.proof, 'oprf_invalid_element evaluatedElements[2]'],
    ] as const) {
      // Handed over together with a good answer, the bad one (first) is checked on the worker.
      const good = answer(client, 2);
      const before = client.counts();
      const [got] = await Promise.all([
        code(() => client.finalizePrefix!(a.xs, a.blinds, [...evaluated], a.elements, keys.publicKey, proof)),
        client.finalizePrefix!(good.xs, good.blinds, good.evaluated, good.elements, keys.publicKey, good.proof),
      ]);
      expect(got).toBe(expected);
      expect(client.counts()).toEqual({ worker: before.worker, inline: before.inline + 1 });
    }
    // The worker keeps serving after refusals.
    const b = answer(client, 3);
    expect((await client.finalizePrefix!(b.xs, b.blinds, b.evaluated, b.elements, keys.publicKey, b.proof)).map(toHex)).toEqual(b.xs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
  });

  it('checks the answer on this thread when the worker dies, and never blames the peer', async () => {
    const crashing = await createThreadedOprfClient({ threads: 1, workerUrl: new URL('./fixtures/crashing-finalize-worker.mjs', import.meta.url) });
    try {
      expect(await crashing.ready()).toBe(true);
      // Two answers at once: the first goes to the worker, which dies on it.
      const [a, b] = [answer(crashing, 4), answer(crashing, 3)];
      const tokens = await Promise.all([a, b].map((x) => crashing.finalizePrefix!(x.xs, x.blinds, x.evaluated, x.elements, keys.publicKey, x.proof)));
      tokens.forEach((t, i) => expect(t.map(toHex)).toEqual([a, b][i]!.xs.map((x) => toHex(evaluateToken(keys.secretKey, x)))));
      expect(crashing.counts()).toEqual({ worker: 0, inline: 2 });
    } finally {
      await crashing.close();
    }
    // A closed client still answers, on this thread.
    const a = answer(crashing, 2);
    expect((await crashing.finalizePrefix!(a.xs, a.blinds, a.evaluated, a.elements, keys.publicKey, a.proof)).length).toBe(2);
  });

  it('starts no worker until the first answer, and checks an answer that arrives alone here', async () => {
    const lazy = await createThreadedOprfClient({ threads: 1 });
    try {
      const a = answer(lazy, 3);
      const tokens = await lazy.finalizePrefix!(a.xs, a.blinds, a.evaluated, a.elements, keys.publicKey, a.proof);
      expect(tokens.map(toHex)).toEqual(a.xs.map((x) => toHex(evaluateToken(keys.secretKey, x))));
      expect(lazy.counts()).toEqual({ worker: 0, inline: 1 });
      // The first answer started the workers. Once they run, an answer that arrives alone is still
      // checked here (the worker would only add its hop), as is one a turn of the event loop later.
      expect(await lazy.ready()).toBe(true);
      const b = answer(lazy, 5);
      await lazy.finalizePrefix!(b.xs, b.blinds, b.evaluated, b.elements, keys.publicKey, b.proof);
      await new Promise((r) => setImmediate(r));
      await lazy.finalizePrefix!(b.xs, b.blinds, b.evaluated, b.elements, keys.publicKey, b.proof);
      expect(lazy.counts()).toEqual({ worker: 0, inline: 3 });
      // Two arriving together: the idle worker takes one.
      const c = answer(lazy, 6);
      const both = await Promise.all([b, c].map((x) => lazy.finalizePrefix!(x.xs, x.blinds, x.evaluated, x.elements, keys.publicKey, x.proof)));
      both.forEach((t, i) => expect(t.map(toHex)).toEqual([b, c][i]!.xs.map((x) => toHex(evaluateToken(keys.secretKey, x)))));
      expect(lazy.counts()).toEqual({ worker: 1, inline: 4 });
    } finally {
      await lazy.close();
    }
    // A worker script that is not there: every answer is checked here, none lost.
    const missing = await createThreadedOprfClient({ threads: 1, workerUrl: new URL('./fixtures/no-such-worker.mjs', import.meta.url) });
    try {
      expect(await missing.ready()).toBe(false);
      const c = answer(missing, 2);
      expect((await missing.finalizePrefix!(c.xs, c.blinds, c.evaluated, c.elements, keys.publicKey, c.proof)).length).toBe(2);
      expect(missing.counts()).toEqual({ worker: 0, inline: 1 });
    } finally {
      await missing.close();
    }
  });
});

