/**
 * The parts of one answer, timed in-process on a peer's real database, and
 * the floor issue 7 asks for: HMAC-keyed hashing with an indexed lookup, the
 * approach of filter-based systems, for the same match keys against the
 * same index. Cairn's answer costs more by design (an OPRF evaluation with a
 * DLEQ proof, signed requests and answers, an audit entry); the ratio says
 * how much more.
 */
import { createHmac, randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { blindEvaluateBatch, blind, generateOprfKeyPair } from '../../src/core/oprf/index.js';
import { deriveQueryKeys, parseIdentifiers } from '../../src/core/identity/index.js';
import { createSodiumEvaluator } from '../../src/node/oprf/sodium-evaluate.js';
import { ALL_CATEGORIES } from './bench-federation.js';

/** Milliseconds per search (all of one person's match keys), averaged. */
export interface AnswerParts {
  readonly elementsPerSearch: number;
  /** HMAC-SHA256 of every key and an indexed lookup of (category, 8-byte fingerprint) each: the floor. */
  readonly hmacLookupMs: number;
  /** BlindEvaluateBatch with one DLEQ proof, libsodium (the Node node's evaluator). */
  readonly sodiumEvaluateMs: number;
  /** The same with the portable noble path (the Workers node's evaluator). */
  readonly portableEvaluateMs: number;
}

function timeMs(reps: number, f: () => unknown): number {
  f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

async function timeMsAsync(reps: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

/** Time the parts of an answer for `persons` against the SQLite file `dbFile` (opened read-only). */
export async function measureAnswerParts(dbFile: string, persons: readonly unknown[]): Promise<AnswerParts> {
  const keysOf = persons.map((p) => deriveQueryKeys(parseIdentifiers(p)));
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    const hmacKey = randomBytes(32);
    // Through the node's index on (category, fingerprint), as a confirmation looks tokens up.
    const byFingerprint = db.prepare(`select 1 from tokens where category in (${ALL_CATEGORIES.map(() => '?').join(', ')}) and fingerprint = ? limit 1`);
    let person = 0;
    const hmacLookupMs = timeMs(persons.length * 3, () => {
      for (const k of keysOf[person++ % keysOf.length]!) {
        byFingerprint.get(...ALL_CATEGORIES, createHmac('sha256', hmacKey).update(k.encoded).digest().subarray(0, 8));
      }
    });
    const { secretKey, publicKey } = generateOprfKeyPair();
    const batches = keysOf.slice(0, 20).map((ks) => ks.map((k) => blind(k.encoded).blindedElement));
    const sodium = await createSodiumEvaluator(secretKey, publicKey);
    person = 0;
    const sodiumEvaluateMs = await timeMsAsync(batches.length * 3, () => sodium.blindEvaluateBatch(batches[person++ % batches.length]!));
    person = 0;
    const portableEvaluateMs = timeMs(Math.min(batches.length, 10), () => blindEvaluateBatch(secretKey, publicKey, batches[person++ % batches.length]!));
    secretKey.fill(0);
    return {
      elementsPerSearch: keysOf.reduce((a, k) => a + k.length, 0) / keysOf.length,
      hmacLookupMs,
      sodiumEvaluateMs,
      portableEvaluateMs,
    };
  } finally {
    db.close();
  }
}
