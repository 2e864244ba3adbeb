/**
 * A large audit log for `cairn audit verify` to check: entries written
 * directly into a node's SQLite file, each the canonical entry text of a
 * plausible event with its RFC 6962 leaf hash computed by the core
 * (entryText, leafHashOf), so every one verifies; integration into the
 * Merkle tree and the signed checkpoints come from the real code
 * (latestCheckpoint, which integrates and signs), every `checkpointEvery`
 * entries as a node answering searches would sign them.
 *
 * Also the floor verification is measured against: reading the same leaves
 * and recomputing the tree with node:crypto SHA-256, nothing else.
 */
import { createHash } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { appendStatement, entryText, leafHashOf, type AuditEvent } from '../../src/core/audit/entry.js';
import { openCheckpoint } from '../../src/core/audit/checkpoint.js';
import { createAuditLog, logVerifierKey, originOf, rootAt } from '../../src/core/audit/log.js';
import { verifyConsistency } from '../../src/core/audit/merkle/index.js';
import { openNodeContext } from '../../src/node/context.js';

const PURPOSES = ['missing_child_tracing', 'victim_identification', 'criminal_investigation'] as const;

/** The i-th synthetic event: mostly incoming match requests, as on a node that answers searches. */
export function syntheticEvent(i: number): AuditEvent {
  const peer = ['FR', 'PL', 'SE'][i % 3]!;
  const nodeId = `00000000-0000-4000-8000-00000000000${i % 3}`;
  if (i % 50 === 0) {
    return { type: 'records.import', actor: 'cli', data: { source: 'import:records.ndjson', imported: 500, updated: 0, unchanged: 0, tokens: 8900, importedRefs: [`REF-${i}`, `REF-${i + 1}`], updatedRefs: [] } };
  }
  if (i % 10 === 0) {
    return {
      type: 'search.outgoing',
      actor: 'user:u_analyst',
      data: { searchId: `s_${i.toString(16).padStart(24, '0')}`, user: 'u_analyst', purpose: PURPOSES[i % 3]!, legalBasis: 'Art. 8 national child protection act', caseReference: `CASE-${i}`, keyTypes: ['phoneticPairYear'], peers: [{ peer: nodeId, country: peer, result: 'no_hit', peerLogIndex: i }] },
    };
  }
  return {
    type: 'match.incoming',
    actor: `peer:${peer}:${nodeId}`,
    data: {
      peer: nodeId,
      country: peer,
      searchId: `s_${i.toString(16).padStart(24, '0')}`,
      purpose: PURPOSES[i % 3]!,
      legalBasis: 'Art. 8 national child protection act',
      caseReference: `CASE-${i}`,
      elements: 17,
      keyTypes: ['phoneticPairDob', 'phoneticPairYear'],
      buckets: [((i * 7919) % 65536), ((i * 104729) % 65536), ((i * 1299709) % 65536)],
      categories: ['missing_child', 'unaccompanied_minor'],
      decision: 'answered',
    },
  };
}

export interface AuditLogFill {
  readonly entries: number;
  readonly checkpoints: number;
  readonly seconds: number;
}

/** Append `entries` synthetic entries to the (empty or not) log of the node at `home`, with checkpoints. */
export async function fillAuditLog(home: string, o: { entries: number; checkpointEvery: number; onProgress?: (done: number) => void }): Promise<AuditLogFill> {
  const t0 = performance.now();
  const ctx = await openNodeContext(home);
  try {
    const raw = ctx.sqlite.raw;
    const start = Number((raw.prepare('select coalesce(max(idx) + 1, 0) as n from audit_entries').get() as { n: number }).n);
    const insert = raw.prepare('insert into audit_entries (idx, at, type, actor, entry, leaf_hash) values (?, ?, ?, ?, ?, ?)');
    const base = Date.now() - o.entries * 50;
    const deps = { db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, signer: ctx.keys.signer, baseUrl: ctx.config.node.url };
    const log = createAuditLog(deps);
    const chunk = raw.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const e = syntheticEvent(i);
        const at = new Date(base + i * 50);
        const text = entryText(e, at);
        insert.run(start + i, at.toISOString(), e.type, e.actor, text, leafHashOf(text));
      }
    });
    let checkpoints = 0;
    for (let from = 0; from < o.entries; from += o.checkpointEvery) {
      chunk(from, Math.min(o.entries, from + o.checkpointEvery));
      log.resetCheckpointCache();
      await log.latestCheckpoint(0);
      checkpoints++;
      if ((from / o.checkpointEvery) % 100 === 99) o.onProgress?.(from + o.checkpointEvery);
    }
    return { entries: o.entries, checkpoints, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await ctx.close();
  }
}

/** Seconds to read every leaf hash of the log at `dbFile` and recompute the RFC 6962 root with node:crypto. */
export function hashingFloorSeconds(dbFile: string): { seconds: number; leaves: number } {
  const db = new BetterSqlite3(dbFile, { readonly: true, fileMustExist: true });
  try {
    const t0 = performance.now();
    // Compact range of perfect subtrees (RFC 6962 §2.1): leaves hashed again from their entries.
    const stack: Buffer[] = [];
    const sizes: number[] = [];
    let leaves = 0;
    const nodeHash = (l: Buffer, r: Buffer) => createHash('sha256').update(Buffer.from([1])).update(l).update(r).digest();
    for (const row of db.prepare('select entry from audit_entries order by idx').raw().iterate() as Iterable<[string]>) {
      let h = createHash('sha256').update(Buffer.from([0])).update(row[0]).digest();
      let size = 1;
      while (sizes.length && sizes[sizes.length - 1] === size) {
        h = nodeHash(stack.pop()!, h);
        sizes.pop();
        size *= 2;
      }
      stack.push(h);
      sizes.push(size);
      leaves++;
    }
    return { seconds: (performance.now() - t0) / 1000, leaves };
  } finally {
    db.close();
  }
}

/** Milliseconds of each audit operation on a search's path, in-process on a large log. */
export interface AuditOpCosts {
  readonly logSize: number;
  /** appendStatement in its own transaction. */
  readonly appendMs: number;
  /** One new entry, then latestCheckpoint: integrate it and sign a checkpoint (the answering side). */
  readonly checkpointMs: number;
  /** Open a peer's checkpoint note: Ed25519 signature and parse (the searching side, every answer). */
  readonly openCheckpointMs: number;
  /** Build a consistency proof between two recent sizes and verify it (a new checkpoint, both sides). */
  readonly consistencyMs: number;
}

function avgMs(reps: number, f: () => unknown): number {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t0) / reps;
}

async function avgMsAsync(reps: number, f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  return (performance.now() - t0) / reps;
}

/** Time the audit operations a search meets, on the log of the node at `home` (it grows by a few hundred entries). */
export async function measureAuditOps(home: string, reps = 100): Promise<AuditOpCosts> {
  const ctx = await openNodeContext(home);
  try {
    const deps = { db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, signer: ctx.keys.signer, baseUrl: ctx.config.node.url };
    const log = createAuditLog(deps);
    const append = () => ctx.atomic.run([appendStatement(ctx.db, syntheticEvent(7), ctx.clock.now())]);
    await append();
    const appendMs = await avgMsAsync(reps, append);
    const checkpointMs = await avgMsAsync(reps, async () => {
      await append();
      log.resetCheckpointCache();
      return log.latestCheckpoint(0);
    });
    // The time of the extra append inside each checkpoint round is not the checkpoint's.
    const cp = await log.latestCheckpoint(0);
    const vkey = logVerifierKey(deps.baseUrl, ctx.keys.signer.publicKey);
    const origin = originOf(deps.baseUrl);
    const openCheckpointMs = avgMs(reps, () => openCheckpoint(cp.note, vkey, { origin }));
    const older = cp.size - 17;
    const rootOld = await rootAt(ctx.db, older);
    const consistencyMs = await avgMsAsync(reps, async () => {
      const proof = await log.consistencyProof(older, cp.size);
      verifyConsistency(older, cp.size, proof.hashes, rootOld, cp.root);
    });
    return { logSize: cp.size, appendMs, checkpointMs: checkpointMs - appendMs, openCheckpointMs, consistencyMs };
  } finally {
    await ctx.close();
  }
}
