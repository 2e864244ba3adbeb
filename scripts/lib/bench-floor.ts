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
import { bucketOf, deriveMatchKeys, parseIdentifiers } from '../../src/core/identity/index.js';
import { createSodiumEvaluator } from '../../src/node/oprf/sodium-evaluate.js';
import { ALL_CATEGORIES } from './bench-federation.js';

/** Milliseconds per search (all of one person's match keys), averaged. */
export interface AnswerParts {
  readonly elementsPerSearch: number;
  /** HMAC-SHA256 of every key and an indexed lookup of (key type, bucket, digest) each: the floor. */
  readonly hmacLookupMs: number;
  /** The answer's bucket queries (the node's covering index, every category). */
  readonly bucketQueryMs: number;
  /** Digests listed per search (all buckets). */
  readonly digestsPerSearch: number;
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
export async function measureAnswerParts(dbFile: string, persons: readonly unknown[], bucketBits: number): Promise<AnswerParts> {
  const keysOf = persons.map((p) => deriveMatchKeys(parseIdentifiers(p)));
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    const hmacKey = randomBytes(32);
    // Through the node's own covering index (there is no index on digests alone).
    const byDigest = db.prepare(
      `select 1 from tokens where key_type = ? and bucket = ? and category in (${ALL_CATEGORIES.map(() => '?').join(', ')}) and digest = ? limit 1`,
    );
    const byBucket = db.prepare(
      `select digest from tokens where key_type = ? and bucket = ? and category in (${ALL_CATEGORIES.map(() => '?').join(', ')}) limit 100000`,
    );
    let person = 0;
    const hmacLookupMs = timeMs(persons.length * 3, () => {
      for (const k of keysOf[person++ % keysOf.length]!) {
        byDigest.get(k.type, bucketOf(k.encoded, bucketBits), ...ALL_CATEGORIES, createHmac('sha256', hmacKey).update(k.encoded).digest().subarray(0, 16));
      }
    });
    let digests = 0;
    let searches = 0;
    person = 0;
    const bucketQueryMs = timeMs(persons.length * 3, () => {
      for (const k of keysOf[person++ % keysOf.length]!) digests += byBucket.all(k.type, bucketOf(k.encoded, bucketBits), ...ALL_CATEGORIES).length;
      searches++;
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
      bucketQueryMs,
      digestsPerSearch: digests / Math.max(1, searches),
      sodiumEvaluateMs,
      portableEvaluateMs,
    };
  } finally {
    db.close();
  }
}
