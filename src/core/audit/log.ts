/**
 * The node's audit log as a Certificate-Transparency-style Merkle log.
 *
 * Entries are appended in the same atomic unit as the act they record
 * (entry.ts). Integration then folds new leaves into the tree: it advances
 * the stored AppendState and stores the perfect nodes of every 4th level
 * (merkle/storage.ts explains why), so proofs for a large log read a few
 * hundred small rows. Checkpoints are C2SP signed notes over the integrated
 * tree, signed with the node's Ed25519 key under the origin
 * `<host>/cairn-audit`.
 */
import { sql } from 'kysely';
import type { AtomicWriter } from '../atomic.js';
import { equalBytes } from '../bytes.js';
import type { Db } from '../db/schema.js';
import { CairnError } from '../errors.js';
import type { Clock } from '../ports.js';
import type { Ed25519Verify, Signer } from '../signing.js';
import { checkpointOrigin, openCheckpoint, signCheckpoint } from './checkpoint.js';
import { openCosignedCheckpoint } from './cosignatures.js';
import { appendStatement, leafHashOf } from './entry.js';
import { AppendState, proveConsistency, proveInclusion, rootAtSize, strideNodeSource, type MerkleNodeSource } from './merkle/index.js';
import { ed25519NoteSigner, ed25519NoteVerifier, formatVerifierKey } from './note.js';
import { historyKeys, signingKeyHistory, withAnyKey } from '../keys/history.js';
import { keyIdOf } from '../signing.js';
import { openPrune, openSuccession, signPrune } from './statements.js';

/** Levels of the tree stored in merkle_nodes: every STRIDE-th. */
export const STRIDE = 4;
/** Entries integrated per read. */
const CHUNK = 2000;

export interface LogDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  signer: Signer;
  /** The node's base URL: its host names the log. */
  baseUrl: string;
  /** Cairn's Ed25519 rule for checkpoints and cosignatures (default: portable; Node passes its fast path). */
  verify?: Ed25519Verify;
}

/** The checkpoint origin of a node, from its base URL. */
export function originOf(baseUrl: string): string {
  return checkpointOrigin(new URL(baseUrl).host.toLowerCase());
}

/** The C2SP vkey that verifies a node's checkpoints (name+keyid+base64 key). */
export function logVerifierKey(baseUrl: string, publicKey: Uint8Array): string {
  return formatVerifierKey(originOf(baseUrl), publicKey);
}

async function readState(db: Db): Promise<AppendState> {
  const row = await db.selectFrom('audit_tree').select(['size', 'state']).where('id', '=', 1).executeTakeFirst();
  return row ? AppendState.deserialize(new Uint8Array(row.state)) : AppendState.empty();
}

async function doIntegrate({ db, atomic }: Pick<LogDeps, 'db' | 'atomic'>): Promise<number> {
  for (;;) {
    const state = await readState(db);
    const from = state.size;
    const rows = await db.selectFrom('audit_entries').select(['idx', 'leaf_hash']).where('idx', '>=', from).orderBy('idx').limit(CHUNK).execute();
    if (rows.length === 0) return from;
    const nodes: { level: number; idx: number; hash: Uint8Array }[] = [];
    rows.forEach((r, i) => {
      if (r.idx !== from + i) throw new CairnError('internal', `audit log has a gap: expected entry ${from + i}, found ${r.idx}`);
      state.append(new Uint8Array(r.leaf_hash), (node, hash) => {
        if (node.level > 0 && node.level % STRIDE === 0) nodes.push({ level: node.level, idx: node.index, hash: hash.slice() });
      });
    });
    const statements = nodes.map((n) =>
      sql`insert into merkle_nodes (level, idx, hash) values (${n.level}, ${n.idx}, ${n.hash}) on conflict (level, idx) do nothing`.compile(db),
    );
    statements.push(
      from === 0
        ? sql`insert into audit_tree (id, size, state) values (1, ${state.size}, ${state.serialize()}) on conflict (id) do update set size = excluded.size, state = excluded.state where audit_tree.size < excluded.size`.compile(db)
        : sql`update audit_tree set size = ${state.size}, state = ${state.serialize()} where id = 1 and size = ${from}`.compile(db),
    );
    await atomic.run(statements);
    if (rows.length < CHUNK) return state.size;
  }
}

/** Proof source over the database: leaf hashes from audit_entries, stored nodes from merkle_nodes. */
export function nodeSource(db: Db): MerkleNodeSource {
  return strideNodeSource(
    {
      async readLevel(level, start, end) {
        if (level === 0) {
          const rows = await db.selectFrom('audit_entries').select('leaf_hash').where('idx', '>=', start).where('idx', '<', end).orderBy('idx').execute();
          return rows.map((r) => new Uint8Array(r.leaf_hash));
        }
        const rows = await db.selectFrom('merkle_nodes').select('hash').where('level', '=', level).where('idx', '>=', start).where('idx', '<', end).orderBy('idx').execute();
        return rows.map((r) => new Uint8Array(r.hash));
      },
    },
    STRIDE,
  );
}

export interface SignedCheckpoint {
  size: number;
  root: Uint8Array;
  note: string;
}

/**
 * The background checkpointer (PROTOCOL.md §40): `poke()` after the log may
 * have grown; within `intervalMs` a checkpoint covering every entry appended
 * before the poke is signed (only if the log grew). Pokes while one is
 * waiting join it; a poke while one is signing starts the next, so no entry
 * is left uncovered. The runtime drives it: a timer on Node, `waitUntil`
 * after each request on Workers. One per audit log instance (services-audit.ts).
 */
export class Checkpointer {
  readonly #log: Pick<AuditLog, 'latestCheckpoint'>;
  readonly #delayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #onError: (e: unknown) => void;
  readonly #onSigned: () => void;
  #waiting: Promise<void> | undefined;
  #signing: Promise<unknown> = Promise.resolve();

  constructor(log: Pick<AuditLog, 'latestCheckpoint'>, opts: { intervalMs: number; sleep: (ms: number) => Promise<void>; onError: (e: unknown) => void; onSigned?: () => void }) {
    this.#log = log;
    // Half the interval waiting, leaving the other half for integrating and signing.
    this.#delayMs = Math.floor(opts.intervalMs / 2);
    this.#sleep = opts.sleep;
    this.#onError = opts.onError;
    this.#onSigned = opts.onSigned ?? (() => {});
  }

  /** Make sure a checkpoint follows soon; resolves once it is signed (or was not needed). */
  poke(): Promise<void> {
    this.#waiting ??= (async () => {
      await this.#sleep(this.#delayMs);
      this.#waiting = undefined;
      // One signing at a time: the next waits for the previous to finish.
      const run = this.#signing.then(() => this.#log.latestCheckpoint(0));
      this.#signing = run.catch(() => undefined);
      await run;
      this.#onSigned();
    })().catch((e: unknown) => this.#onError(e));
    return this.#waiting;
  }
}

function checkSizes(index: number | undefined, size: number, integrated: number): void {
  if (!Number.isSafeInteger(size) || size < 1) throw new CairnError('invalid_request', `tree size must be a positive integer, got ${size}`, { location: { field: 'size' } });
  if (size > integrated) throw new CairnError('invalid_request', `tree size ${size} is beyond the log's size ${integrated}`, { location: { field: 'size' } });
  if (index !== undefined && (!Number.isSafeInteger(index) || index < 0 || index >= size)) {
    throw new CairnError('invalid_request', `index ${index} is outside 0..${size - 1}`, { location: { field: 'index' } });
  }
}

/** An RFC 9162 §2.1.3 inclusion proof with the entry it proves. */
export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  leafHash: Uint8Array;
  /** The entry's canonical JSON, or null once pruned. */
  entry: string | null;
  hashes: Uint8Array[];
}

/** An RFC 9162 §2.1.4 consistency proof. */
export interface ConsistencyProof {
  size1: number;
  size2: number;
  hashes: Uint8Array[];
}

/** RFC 9162 §2.1.3 inclusion proof of entry `index` in the tree of `size`. */
async function inclusionProof(deps: Pick<LogDeps, 'db'>, integrated: number, index: number, size: number): Promise<InclusionProof> {
  checkSizes(index, size, integrated);
  const row = await deps.db.selectFrom('audit_entries').select(['leaf_hash', 'entry']).where('idx', '=', index).executeTakeFirstOrThrow();
  const hashes = await proveInclusion(nodeSource(deps.db), index, size);
  return { leafIndex: index, treeSize: size, leafHash: new Uint8Array(row.leaf_hash), entry: row.entry, hashes: [...hashes] };
}

/** RFC 9162 §2.1.4 consistency proof between two tree sizes. */
async function consistencyProof(deps: Pick<LogDeps, 'db'>, integrated: number, from: number, to: number): Promise<ConsistencyProof> {
  checkSizes(undefined, to, integrated);
  if (!Number.isSafeInteger(from) || from < 1 || from > to) throw new CairnError('invalid_request', `from must be in 1..${to}, got ${from}`, { location: { field: 'from' } });
  return { size1: from, size2: to, hashes: [...(await proveConsistency(nodeSource(deps.db), from, to))] };
}

/** The root of the tree at `size` (from stored nodes). */
export async function rootAt(db: Db, size: number): Promise<Uint8Array> {
  return rootAtSize(nodeSource(db), size);
}

export interface VerifyReport {
  ok: boolean;
  size: number;
  checkpoints: number;
  /** Peers' cosignatures on our checkpoints, checked like our own checkpoints. */
  cosignatures: number;
  /** Entries after the largest signed or cosigned size: not yet covered by any checkpoint. */
  uncovered: number;
  pruned: number;
  /** The first problem found, with the entry index it concerns. */
  problem?: { index?: number; size?: number; message: string };
}

/** A signed statement of the tree at `size`: our checkpoint, or a peer's cosignature on one. */
interface Commitment {
  size: number;
  root: Uint8Array;
  /** "the checkpoint at size 12" / "XB's cosignature on size 12". */
  what: string;
  /** Throws if the note's signatures do not verify; else the tree head and the key id of our key that signed it. */
  open(): { size: number; root: Uint8Array; keyId: string };
}

async function commitments(
  deps: Pick<LogDeps, 'db' | 'signer' | 'baseUrl' | 'verify'>,
): Promise<{ list: Commitment[]; checkpoints: number; cosignatures: number; ownKeys: Uint8Array[] }> {
  const { db } = deps;
  // Every key the key-history table names: a checkpoint opens under the key
  // of its time. Whether that key is to be trusted is settled afterwards,
  // from the successions in the log (verifyLog), never from this table.
  const ownKeys = historyKeys(deps.signer.publicKey, await signingKeyHistory(db));
  const verifiers = ownKeys.map((k) => ({ keyId: keyIdOf(k), verifier: ed25519NoteVerifier(logVerifierKey(deps.baseUrl, k), deps.verify) }));
  const origin = originOf(deps.baseUrl);
  const peerKeys = new Map<string, Uint8Array[]>();
  for (const r of await db.selectFrom('peer_signing_keys').select(['peer_id', 'public_key']).orderBy('pinned_at').execute()) {
    peerKeys.set(r.peer_id, [...(peerKeys.get(r.peer_id) ?? []), new Uint8Array(r.public_key)]);
  }
  const openOwn = (note: string) =>
    withAnyKey(verifiers, ({ keyId, verifier }) => {
      const cp = openCheckpoint(note, verifier, { origin }).checkpoint;
      return { size: cp.treeSize, root: cp.rootHash, keyId };
    });
  const own = await db.selectFrom('audit_checkpoints').selectAll().orderBy('size').execute();
  const cosigned = await db
    .selectFrom('audit_cosignatures')
    .leftJoin('peers', 'peers.id', 'audit_cosignatures.peer_id')
    .select(['audit_cosignatures.peer_id', 'audit_cosignatures.size', 'audit_cosignatures.root', 'audit_cosignatures.note', 'peers.country', 'peers.base_url', 'peers.signing_public_key'])
    .orderBy('audit_cosignatures.size')
    .execute();
  const list: Commitment[] = [
    ...own.map((c) => ({
      size: c.size,
      root: new Uint8Array(c.root),
      what: `the checkpoint at size ${c.size}`,
      open: () => openOwn(c.note),
    })),
    ...cosigned.map((c) => ({
      size: c.size,
      root: new Uint8Array(c.root),
      what: `${c.country ?? c.peer_id}'s cosignature on size ${c.size}`,
      open: () => {
        // A peer removed since keeps its evidence: our own signature on the note still verifies.
        if (c.base_url === null || c.signing_public_key === null || c.country === null) return openOwn(c.note);
        // Ours and the peer's keys of any time: either side may have rotated since.
        const theirs = historyKeys(new Uint8Array(c.signing_public_key), (peerKeys.get(c.peer_id) ?? []).map((publicKey) => ({ publicKey })));
        const pairs = ownKeys.flatMap((mine) => theirs.map((peerKey) => ({ mine, peerKey })));
        return withAnyKey(pairs, ({ mine, peerKey }) => ({
          ...openCosignedCheckpoint(c.note, { baseUrl: deps.baseUrl, publicKey: mine }, { baseUrl: c.base_url!, signingPublicKey: peerKey, country: c.country! }, deps.verify),
          keyId: keyIdOf(mine),
        }));
      },
    })),
  ].sort((a, b) => a.size - b.size);
  return { list, checkpoints: own.length, cosignatures: cosigned.length, ownKeys };
}

/** A `keys.rotate` or `audit.prune` entry, kept from the pass over the log for the trust checks after it. */
interface SignedAct {
  idx: number;
  data: Record<string, unknown>;
}

/**
 * Recompute the whole log: every entry against its leaf hash and its stored
 * columns, the tree from the leaves, every checkpoint's signature and root —
 * and every peer's cosignature on one — against the tree at its size (which
 * also proves them consistent with each other). A log shorter than, or
 * different from, any of them fails, naming the first entry no matching
 * checkpoint vouches for.
 *
 * Nothing in the database is trusted for being there (PROTOCOL.md §40
 * "Verifying a log"): the keys come from the node's current key and the key
 * successions it and its predecessors signed into the log, and a payload may
 * be missing only where a prune the node signed says it removed it.
 */
async function verifyLog(deps: Pick<LogDeps, 'db' | 'signer' | 'baseUrl' | 'verify'>, onProgress?: (done: number) => void): Promise<VerifyReport> {
  const { db } = deps;
  const { list, checkpoints, cosignatures, ownKeys } = await commitments(deps);
  const storedNodes = new Map<string, Uint8Array>();
  const state = AppendState.empty();
  let ci = 0;
  let pruned = 0;
  // The largest size a signed statement matched: entries below it are vouched for.
  let vouched = 0;
  const counts = { checkpoints, cosignatures };
  // Which of our keys signed each commitment; the successions and prunes found on the way.
  const signedBy: { size: number; keyId: string; what: string }[] = [];
  const successions: SignedAct[] = [];
  const prunes: SignedAct[] = [];
  // Runs of entries without a payload, [first, last].
  const missing: [number, number][] = [];
  const report = (problem: VerifyReport['problem']): VerifyReport => ({ ok: false, size: state.size, ...counts, uncovered: Math.max(0, state.size - vouched), pruned, ...(problem ? { problem } : {}) });
  const checkCommitmentsAt = (size: number): VerifyReport | undefined => {
    while (ci < list.length && list[ci]!.size === size) {
      const c = list[ci++]!;
      let opened;
      try {
        opened = c.open();
      } catch (e) {
        return report({ size: c.size, message: `${c.what}: ${(e as Error).message}` });
      }
      const root = state.root();
      if (opened.size !== c.size || !equalBytes(opened.root, root) || !equalBytes(c.root, root)) {
        return report({
          index: vouched,
          size: c.size,
          message: `entry ${vouched} is the first bad entry at the latest: ${c.what} does not match the tree recomputed from entries 0..${c.size - 1}, and nothing signed vouches for entries from ${vouched} on (entries were changed, inserted or removed)`,
        });
      }
      signedBy.push({ size: c.size, keyId: opened.keyId, what: c.what });
      vouched = size;
    }
    return undefined;
  };
  if (list[0]?.size === 0) {
    const bad = checkCommitmentsAt(0);
    if (bad) return bad;
  }
  for (let from = 0; ; from += CHUNK) {
    const rows = await db.selectFrom('audit_entries').select(['idx', 'at', 'type', 'actor', 'entry', 'leaf_hash']).where('idx', '>=', from).orderBy('idx').limit(CHUNK).execute();
    for (const [i, r] of rows.entries()) {
      const idx = from + i;
      if (r.idx !== idx) return report({ index: idx, message: `entry ${idx} is missing (the next stored entry is ${r.idx})` });
      const leaf = new Uint8Array(r.leaf_hash);
      if (r.entry === null) {
        pruned++;
        const run = missing[missing.length - 1];
        if (run && run[1] === idx - 1) run[1] = idx;
        else missing.push([idx, idx]);
      } else {
        if (!equalBytes(leafHashOf(r.entry), leaf)) return report({ index: idx, message: `entry ${idx} does not match its leaf hash: its content was changed` });
        // Filters and exports read the columns: they must say what the hashed entry says.
        const e = JSON.parse(r.entry) as { at?: unknown; type?: unknown; actor?: unknown; data?: unknown };
        const differ = (['at', 'type', 'actor'] as const).filter((k) => e[k] !== r[k]);
        if (differ.length > 0) {
          return report({
            index: idx,
            message: `entry ${idx}'s stored ${differ.join(', ')} (${differ.map((k) => JSON.stringify(r[k])).join(', ')}) differ${differ.length === 1 ? 's' : ''} from the entry itself (${differ.map((k) => JSON.stringify(e[k])).join(', ')}): filters and exports would misreport it`,
          });
        }
        const data = typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : {};
        if (e.type === 'keys.rotate' && data.key === 'signing') successions.push({ idx, data });
        else if (e.type === 'audit.prune') prunes.push({ idx, data });
      }
      state.append(leaf, (node, hash) => {
        if (node.level > 0 && node.level % STRIDE === 0) storedNodes.set(`${node.level}/${node.index}`, hash);
      });
      const bad = checkCommitmentsAt(state.size);
      if (bad) return bad;
    }
    onProgress?.(state.size);
    if (rows.length < CHUNK) break;
  }
  if (ci < list.length) {
    const c = list[list.length - 1]!;
    return report({
      index: state.size,
      size: c.size,
      message: `entry ${state.size} is missing: the log ends after ${state.size} entries, but ${c.what} covers ${c.size} (entries ${state.size}..${c.size - 1} were removed: truncated)`,
    });
  }
  // The stored subtree hashes must agree with the recomputed ones (proofs are built from them).
  for (let from = 0; ; from += CHUNK) {
    const rows = await db.selectFrom('merkle_nodes').selectAll().orderBy('level').orderBy('idx').limit(CHUNK).offset(from).execute();
    for (const n of rows) {
      const want = storedNodes.get(`${n.level}/${n.idx}`);
      if (want && !equalBytes(want, new Uint8Array(n.hash))) {
        return report({ index: n.idx * 2 ** n.level, message: `stored tree node (level ${n.level}, index ${n.idx}) covering entries ${n.idx * 2 ** n.level}..${(n.idx + 1) * 2 ** n.level - 1} differs from the recomputed tree` });
      }
    }
    if (rows.length < CHUNK) break;
  }
  const trust = trustedKeys(deps, ownKeys, successions);
  const untrusted = signedBy.find((s) => !trust.keyIds.has(s.keyId));
  if (untrusted) {
    const named = successions.find((l) => l.data.previousKeyId === untrusted.keyId);
    return report({
      size: untrusted.size,
      message: named
        ? `${untrusted.what} is signed by key ${untrusted.keyId}, which the rotation at entry ${named.idx} names, but its succession does not verify under the key that replaced it (${trust.problems.get(named.idx) ?? 'no signed succession'}): nothing links that key to the node's current key ${trust.current}`
        : `${untrusted.what} is signed by key ${untrusted.keyId}, which the key history in the database lists but no key succession in the log names: nothing links it to the node's current key ${trust.current} (a key written into the database signs nothing this log trusts)`,
    });
  }
  // Payloads may be missing only up to the last entry a signed prune names.
  let through = -1;
  const origin = originOf(deps.baseUrl);
  const keys = ownKeys.filter((k) => trust.keyIds.has(keyIdOf(k)));
  let badPrune: string | undefined;
  for (const p of prunes) {
    try {
      const st = withAnyKey(keys, (key) => openPrune(p.data.statement, key, origin, deps.verify));
      if (st.through !== p.data.through || st.through >= p.idx) throw new Error(`it names entry ${st.through}, its entry says ${JSON.stringify(p.data.through)}`);
      through = Math.max(through, st.through);
    } catch (e) {
      badPrune ??= `the prune at entry ${p.idx} does not count: ${(e as Error).message}`;
    }
  }
  const beyond = missing.find(([, last]) => last > through);
  if (beyond) {
    const first = Math.max(beyond[0], through + 1);
    return report({
      index: first,
      message: `entry ${first} has no payload, but ${through < 0 ? 'no prune the node signed' : `the prunes the node signed reach entry ${through} only`}${badPrune ? ` (${badPrune})` : ''}: its content was removed, not pruned by retention`,
    });
  }
  return { ok: true, size: state.size, ...counts, uncovered: state.size - vouched, pruned };
}

/**
 * The keys the log trusts: the node's current key, and every key a trusted
 * key's signed succession names as the one it replaced, back to the first.
 */
function trustedKeys(
  deps: Pick<LogDeps, 'signer' | 'baseUrl' | 'verify'>,
  ownKeys: readonly Uint8Array[],
  successions: readonly SignedAct[],
): { keyIds: Set<string>; current: string; problems: Map<number, string> } {
  const current = keyIdOf(deps.signer.publicKey);
  const byId = new Map(ownKeys.map((k) => [keyIdOf(k), k]));
  const keyIds = new Set([current]);
  const problems = new Map<number, string>();
  const origin = originOf(deps.baseUrl);
  for (let grew = true; grew; ) {
    grew = false;
    for (const l of successions) {
      const { previousKeyId, keyId } = l.data;
      if (typeof previousKeyId !== 'string' || typeof keyId !== 'string' || keyIds.has(previousKeyId) || !keyIds.has(keyId)) continue;
      try {
        const s = openSuccession(l.data.succession, byId.get(keyId)!, origin, deps.verify);
        if (s.previousKeyId !== previousKeyId || s.keyId !== keyId) throw new Error(`it names ${s.previousKeyId} → ${s.keyId}, its entry ${previousKeyId} → ${keyId}`);
        keyIds.add(previousKeyId);
        grew = true;
      } catch (e) {
        problems.set(l.idx, (e as Error).message);
      }
    }
  }
  return { keyIds, current, problems };
}

/**
 * Prune the payload of entries written before `before` (their leaf hashes
 * stay, so the tree still verifies), in one unit with an `audit.prune` entry
 * that carries the node's signed statement of the last entry pruned. The age
 * is the entry's own `at`, not the column beside it, which anyone with the
 * database could backdate.
 */
export async function pruneEntries(deps: Pick<LogDeps, 'db' | 'atomic' | 'clock' | 'signer' | 'baseUrl'>, before: Date, actor: string): Promise<number> {
  const { db } = deps;
  const iso = before.toISOString();
  const old = sql<boolean>`at < ${iso} and entry is not null and json_extract(entry, '$.at') < ${iso}`;
  const row = await db
    .selectFrom('audit_entries')
    .select((eb) => [eb.fn.max('idx').as('through'), eb.fn.countAll<number>().as('n')])
    .where(old)
    .executeTakeFirst();
  const n = Number(row?.n ?? 0);
  if (n === 0 || row?.through == null) return 0;
  const through = Number(row.through);
  const statement = signPrune(deps.signer, { origin: originOf(deps.baseUrl), through, before: iso });
  await deps.atomic.run([
    sql`update audit_entries set entry = null where idx <= ${through} and ${old}`.compile(db),
    appendStatement(db, { type: 'audit.prune', actor, data: { before: iso, through, pruned: n, statement } }, deps.clock.now()),
  ]);
  return n;
}

/**
 * One node's audit log with its instance state: the integration lock and the
 * cached checkpoint. Two nodes in one process (tests, the demo) each have
 * their own, so neither sees the other's tree or checkpoint.
 */
export interface AuditLog {
  /** Fold every appended entry into the tree; returns the integrated size. */
  integrate(): Promise<number>;
  /**
   * The latest signed checkpoint, integrating first. A new checkpoint is
   * signed only when the tree grew and at most every `minIntervalMs`, so
   * answering many searches does not mean signing as many notes.
   */
  latestCheckpoint(minIntervalMs?: number): Promise<SignedCheckpoint>;
  /** Forget the cached checkpoint (benchmarks, or after a key change). */
  resetCheckpointCache(): void;
  /** RFC 9162 §2.1.3 inclusion proof of entry `index` in the tree of `size`. */
  inclusionProof(index: number, size: number): Promise<InclusionProof>;
  /** RFC 9162 §2.1.4 consistency proof between two tree sizes. */
  consistencyProof(from: number, to: number): Promise<ConsistencyProof>;
  /** Recompute and check the whole log (see verifyLog). */
  verify(onProgress?: (done: number) => void): Promise<VerifyReport>;
  /** Prune the payload of entries written before `before`, with a signed `audit.prune` entry (see pruneEntries). */
  prune(before: Date, actor?: string): Promise<number>;
}

/** Open the audit log of the node whose storage and key `deps` give. */
export function createAuditLog(deps: LogDeps): AuditLog {
  // One integration at a time per log; across processes the conditional
  // update in doIntegrate keeps a stale integrator from moving the state backwards.
  let integrating: Promise<number> | undefined;
  let lastCheckpoint: { at: number; cp: SignedCheckpoint } | undefined;
  const integrate = (): Promise<number> =>
    (integrating ??= doIntegrate(deps).finally(() => {
      integrating = undefined;
    }));
  return {
    integrate,
    async latestCheckpoint(minIntervalMs = 0) {
      const now = deps.clock.now().getTime();
      if (lastCheckpoint && now - lastCheckpoint.at < minIntervalMs) return lastCheckpoint.cp;
      const cp = await signLatest(deps, await integrate());
      lastCheckpoint = { at: now, cp };
      return cp;
    },
    resetCheckpointCache() {
      lastCheckpoint = undefined;
    },
    inclusionProof: async (index, size) => inclusionProof(deps, await integrate(), index, size),
    consistencyProof: async (from, to) => consistencyProof(deps, await integrate(), from, to),
    verify: (onProgress) => verifyLog(deps, onProgress),
    prune: (before, actor = 'system') => pruneEntries(deps, before, actor),
  };
}

/** Whether `note` carries a valid signature by the node's current key. */
function signedByCurrentKey(deps: Pick<LogDeps, 'signer' | 'baseUrl' | 'verify'>, note: string, origin: string): boolean {
  try {
    openCheckpoint(note, ed25519NoteVerifier(logVerifierKey(deps.baseUrl, deps.signer.publicKey), deps.verify), { origin });
    return true;
  } catch {
    return false;
  }
}

/** The stored checkpoint at `size` or above, else a new one signed over the integrated tree. */
async function signLatest(deps: LogDeps, size: number): Promise<SignedCheckpoint> {
  const stored = await deps.db.selectFrom('audit_checkpoints').selectAll().orderBy('size', 'desc').limit(1).executeTakeFirst();
  const origin = originOf(deps.baseUrl);
  if (stored && stored.size >= size) {
    const root = new Uint8Array(stored.root);
    if (signedByCurrentKey(deps, stored.note, origin)) return { size: stored.size, root, note: stored.note };
    // Signed before a key rotation: peers that re-pinned trust the new key
    // only, so the same tree head goes out signed by it (the stored note,
    // under the key of its time, stays as it was).
    const note = await signCheckpoint({ origin, treeSize: stored.size, rootHash: root, extensions: [] }, ed25519NoteSigner(origin, deps.signer));
    return { size: stored.size, root, note };
  }
  const state = await readState(deps.db);
  const root = state.root();
  const note = await signCheckpoint({ origin, treeSize: state.size, rootHash: root, extensions: [] }, ed25519NoteSigner(origin, deps.signer));
  await deps.atomic.run([
    sql`insert into audit_checkpoints (size, root, note, at) values (${state.size}, ${root}, ${note}, ${deps.clock.now().toISOString()}) on conflict (size) do nothing`.compile(deps.db),
  ]);
  return { size: state.size, root, note };
}
