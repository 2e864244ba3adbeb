/**
 * Where one cairn/2 answer's time goes, timed in-process on the answering
 * peer's real database and keys while its node serves: the OPRF
 * BlindEvaluateBatch of 8 elements with one batch DLEQ proof (libsodium, as
 * the node's evaluate worker runs it, and the portable noble path for
 * scale), the index deltas of every category (empty: the searcher is in
 * sync, but each still reads the head and the change log), and the two
 * Ed25519 operations of the signed exchange (verify the request, sign the
 * answer). What the node's measured CPU per answer holds beyond these is
 * HTTP, JSON, the replay check, the budget reservation and the audit entry.
 *
 * The raw evaluation rate is also the same-run baseline of answers/s: one
 * core doing nothing but BlindEvaluateBatch calls is an upper bound on what
 * one evaluate thread can answer.
 */
import { blind, blindEvaluateBatch, generateOprfKeyPair } from '../../src/core/oprf/index.js';
import { createSodiumEvaluator } from '../../src/node/oprf/sodium-evaluate.js';
import { nodeEd25519Verify } from '../../src/node/ed25519.js';
import { nodeServices, openNodeContext } from '../../src/node/context.js';
import { webRandom } from '../../src/core/ports.js';
import { ALL_CATEGORIES } from './bench-federation.js';

/** Milliseconds per answer of each measured part. */
export interface PrivateAnswerParts {
  readonly elements: number;
  /** BlindEvaluateBatch with one DLEQ proof, libsodium, one thread. */
  readonly sodiumEvaluateMs: number;
  /** The same on the portable noble path (the Workers node's evaluator). */
  readonly portableEvaluateMs: number;
  /** changesSince of every category at the current version (empty deltas): what an in-sync searcher costs the owner. */
  readonly deltasMs: number;
  /** Ed25519 verify of a request plus sign of an answer (about 1 KiB each). */
  readonly signaturesMs: number;
}

async function timeMs(reps: number, f: () => unknown): Promise<number> {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

/** Time the parts of one answer of `elements` elements at the node whose home is `peerHome`. */
export async function measurePrivateAnswerParts(peerHome: string, elements = 8, reps = 200): Promise<PrivateAnswerParts> {
  const { secretKey, publicKey } = generateOprfKeyPair();
  const batches = Array.from({ length: 16 }, () => Array.from({ length: elements }, () => blind(webRandom.bytes(32)).blindedElement));
  const sodium = await createSodiumEvaluator(secretKey, publicKey);
  let i = 0;
  const sodiumEvaluateMs = await timeMs(reps, () => sodium.blindEvaluateBatch(batches[i++ % batches.length]!));
  const portableEvaluateMs = await timeMs(Math.max(5, Math.floor(reps / 20)), () => blindEvaluateBatch(secretKey, publicKey, batches[i++ % batches.length]!));
  secretKey.fill(0);

  const ctx = await openNodeContext(peerHome);
  try {
    const services = await nodeServices(ctx);
    const versions = await services.index.currentVersions([...ALL_CATEGORIES]);
    const deltasMs = await timeMs(reps, () => Promise.all(ALL_CATEGORIES.map((c) => services.index.changesSince(c, versions[c] ?? 0))));
    const message = webRandom.bytes(1024);
    const signature = ctx.keys.signer.sign(message);
    const publicSigningKey = ctx.keys.signer.publicKey;
    const signaturesMs = await timeMs(reps, () => {
      if (!nodeEd25519Verify(publicSigningKey, message, signature)) throw new Error('signature did not verify');
      ctx.keys.signer.sign(message);
    });
    return { elements, sodiumEvaluateMs, portableEvaluateMs, deltasMs, signaturesMs };
  } finally {
    await ctx.close();
  }
}
