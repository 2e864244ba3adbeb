/**
 * Cross-check against an independent RFC 9497 implementation,
 * @cloudflare/voprf-ts (with its noble-based crypto provider, its own copy of
 * noble-curves 1.x): its client against our server, our client against its
 * server, and both servers' full evaluations, on random inputs.
 */
import { randomBytes } from 'node:crypto';
import {
  DLEQProof,
  Evaluation,
  EvaluationRequest,
  Oprf,
  VOPRFClient,
  VOPRFServer,
  type Elt,
} from '@cloudflare/voprf-ts';
import { CryptoNoble } from '@cloudflare/voprf-ts/crypto-noble';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/core/bytes.js';
import {
  blind,
  blindEvaluateBatch,
  evaluateToken,
  finalizeBatch,
  generateOprfKeyPair,
} from '../src/core/oprf/index.js';

const SUITE = Oprf.Suite.RISTRETTO255_SHA512;
const group = Oprf.getGroup(SUITE, CryptoNoble);
const { secretKey, publicKey } = generateOprfKeyPair();

function randomInputs(n: number): Uint8Array[] {
  return Array.from({ length: n }, () => new Uint8Array(randomBytes(1 + (randomBytes(1)[0]! % 64))));
}

describe('cross-check with @cloudflare/voprf-ts (VOPRF, ristretto255-SHA512)', () => {
  it('their client finalizes our batch evaluation into our evaluateToken', async () => {
    const inputs = randomInputs(24);
    const client = new VOPRFClient(SUITE, publicKey, CryptoNoble);
    const [finData, request] = await client.blind(inputs);
    const ours = blindEvaluateBatch(
      secretKey,
      publicKey,
      request.blinded.map((e: Elt) => e.serialize()),
    );
    const evaluation = new Evaluation(
      Oprf.Mode.VOPRF,
      ours.evaluatedElements.map((b) => group.desElt(b)),
      DLEQProof.deserialize(group.id, ours.proof, CryptoNoble),
    );
    const outputs = await client.finalize(finData, evaluation);
    expect(outputs.map(toHex)).toEqual(inputs.map((x) => toHex(evaluateToken(secretKey, x))));
  });

  it('our client finalizes their batch evaluation (proof verified) into their evaluate', async () => {
    const inputs = randomInputs(24);
    const server = new VOPRFServer(SUITE, secretKey, CryptoNoble);
    const blinded = inputs.map((x) => blind(x));
    const theirs = await server.blindEvaluate(
      new EvaluationRequest(blinded.map((b) => group.desElt(b.blindedElement))),
    );
    const outputs = finalizeBatch(
      inputs,
      blinded.map((b) => b.blind),
      theirs.evaluated.map((e: Elt) => e.serialize()),
      blinded.map((b) => b.blindedElement),
      publicKey,
      theirs.proof!.serialize(),
    );
    const expected = await Promise.all(inputs.map((x) => server.evaluate(x)));
    expect(outputs.map(toHex)).toEqual(expected.map(toHex));
  });

  it('full evaluations agree on random inputs, including the empty input', async () => {
    const server = new VOPRFServer(SUITE, secretKey, CryptoNoble);
    for (const x of [new Uint8Array(0), ...randomInputs(40)]) {
      expect(toHex(evaluateToken(secretKey, x))).toBe(toHex(await server.evaluate(x)));
    }
  });
});
