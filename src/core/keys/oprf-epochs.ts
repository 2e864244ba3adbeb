/**
 * OPRF key epochs (protocol/38-key-epochs.md). The node answers with one
 * VOPRF key at a time, its *active epoch*. `rotate` starts a *pending* epoch
 * with a new key; records re-imported from the source system into it get
 * their tokens under the new key in `pending_records` / `pending_tokens`,
 * beside the served ones and never served. `activate` swaps them in within
 * one atomic unit: the pending epoch becomes the active one, the old
 * epoch's tokens and index (change log, hashes, heads) are deleted and the
 * index of the new epoch starts above every version served before, so a
 * replica can never mistake one epoch's fingerprints for the other's. Then
 * the old secret key is destroyed (the key store overwrites and removes it)
 * and that is audited too: from then on no one, not even this node, can
 * evaluate a token of the old epoch again.
 *
 * Secret keys never enter the database: a key store holds them (Node: 0600
 * files; Workers: secrets) and the table keeps only each epoch's public key,
 * by which the secret at hand is found.
 */
import { sql } from 'kysely';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { equalBytes } from '../bytes.js';
import type { Db } from '../db/schema.js';
import { CairnError } from '../errors.js';
import { CHANGE_OP } from '../federation/index/changes.js';
import { emptyGroupHashes } from '../federation/index/tree.js';
import { oprfPublicKey } from '../oprf/index.js';
import type { Clock, Logger } from '../ports.js';
import { keyIdOf } from '../signing.js';

/** Where the node's OPRF secret keys live. */
export interface OprfKeyStore {
  /** Every secret key at hand: the active one first (Node: the key file, then a pending key file; Workers: the secrets). */
  secretKeys(): Uint8Array[];
  /**
   * Make and keep a new secret key for the next epoch (Node: a 0600 file).
   * Absent where keys come from outside (Workers: the operator puts the
   * next key as a secret first, and `rotate` takes the one not in use).
   */
  create?(): Uint8Array;
  /**
   * Destroy a key `create` made whose epoch was never recorded (the
   * database unit after it failed): no epoch used it, and the rotation run
   * again makes its own. With `create`.
   */
  discard?(secretKey: Uint8Array): void;
  /**
   * After activation: destroy every key but `keep` (overwritten, then
   * removed) and make `keep` the one loaded first. Returns what was
   * destroyed and what the operator must still do, for the audit entry.
   */
  retire(keep: Uint8Array): Promise<{ destroyed: string[]; operatorAction?: string }>;
}

/** A store over fixed keys (tests, and runtimes that cannot destroy a key themselves). */
export function fixedKeyStore(keys: Uint8Array[], operatorAction?: string): OprfKeyStore {
  return {
    secretKeys: () => keys,
    retire: async () => ({ destroyed: [], ...(operatorAction ? { operatorAction } : {}) }),
  };
}

export type EpochStatus = 'active' | 'pending' | 'retired';

/** One epoch's key, with its secret when the store holds it. */
export interface EpochKey {
  epoch: number;
  publicKey: Uint8Array;
  keyId: string;
  secretKey: Uint8Array;
}

/** How far the re-import into the pending epoch has got, per category, against the active epoch. */
export interface EpochProgress {
  active: { epoch: number; keyId: string; createdAt: string; activatedAt: string | null };
  pending?: { epoch: number; keyId: string; createdAt: string };
  categories: Array<{ category: string; active: number; pending: number; activeTokens: number; pendingTokens: number }>;
  /** Records served now that the pending epoch does not hold (they would lose their tokens at activation). */
  missing: number;
}

export interface ActivateResult {
  epoch: number;
  previous: number;
  keyId: string;
  records: number;
  tokens: number;
  dropped: number;
  destroyed: string[];
  operatorAction?: string;
}

export interface OprfEpochDeps {
  db: Db;
  atomic: AtomicWriter;
  /** Runs the activation's unit, which rewrites every token (Ports.bulkAtomic); default `atomic`. */
  bulkAtomic?: AtomicWriter;
  clock: Clock;
  logger: Logger;
  store: OprfKeyStore;
  /** Ports.dataVersion: with it, the active epoch is read once and kept until another connection writes. */
  dataVersion?: () => number;
}

/** Public keys of the secrets at hand, derived once. */
const SECRET_CACHE = new WeakMap<Uint8Array, Uint8Array>();

function publicOf(secretKey: Uint8Array): Uint8Array {
  let pk = SECRET_CACHE.get(secretKey);
  if (!pk) {
    pk = oprfPublicKey(secretKey);
    SECRET_CACHE.set(secretKey, pk);
  }
  return pk;
}

/** The node's OPRF epochs: which key answers, which is being prepared, and the switch. */
export class OprfEpochs {
  readonly #deps: OprfEpochDeps;
  #initialised = false;
  /** Told after this process activated an epoch (engines drop the old key's evaluator and backend). */
  readonly #listeners: Array<(epoch: number) => void> = [];
  /**
   * The active epoch as last read, under the data version read before it.
   * Another process's activation changes the version; this process's own
   * (activate below, the only writer of the active row) drops it.
   */
  #activeCache: { key: EpochKey; version: number } | undefined;
  /** Counts this process's activations: a read that an activation overtook is not kept. */
  #activations = 0;

  constructor(deps: OprfEpochDeps) {
    this.#deps = deps;
  }

  onActivated(f: (epoch: number) => void): void {
    this.#listeners.push(f);
  }

  /** The first epoch: the key the node was initialised with (written once, on first use). */
  async #init(): Promise<void> {
    if (this.#initialised) return;
    const { db, atomic, clock } = this.#deps;
    const any = await db.selectFrom('oprf_epochs').select('epoch').limit(1).executeTakeFirst();
    if (!any) {
      const first = this.#deps.store.secretKeys()[0];
      if (!first) throw new CairnError('home_missing', 'no OPRF key at hand: the node cannot answer');
      const now = clock.now().toISOString();
      await atomic.run([
        sql`insert or ignore into oprf_epochs (epoch, status, public_key, created_at, activated_at, retired_at) values (1, 'active', ${publicOf(first)}, ${now}, ${now}, null)`.compile(db),
      ]);
    }
    this.#initialised = true;
  }

  #secretFor(publicKey: Uint8Array): Uint8Array | undefined {
    return this.#deps.store.secretKeys().find((k) => equalBytes(publicOf(k), publicKey));
  }

  async #row(status: 'active' | 'pending') {
    await this.#init();
    return this.#deps.db.selectFrom('oprf_epochs').selectAll().where('status', '=', status).orderBy('epoch', 'desc').limit(1).executeTakeFirst();
  }

  /** The number of the epoch answering now (what heads and answers name). */
  async activeEpoch(): Promise<{ epoch: number; publicKey: Uint8Array }> {
    const row = await this.#row('active');
    if (!row) throw new CairnError('internal', 'no active OPRF epoch');
    return { epoch: row.epoch, publicKey: new Uint8Array(row.public_key) };
  }

  /**
   * The epoch answering now, with its secret key: read from the database
   * again whenever another process or isolate may have switched it (every
   * call, without a data version).
   */
  async active(): Promise<EpochKey> {
    const version = this.#deps.dataVersion?.();
    const cached = this.#activeCache;
    if (version !== undefined && cached?.version === version) return cached.key;
    const activations = this.#activations;
    const key = await this.#readActive();
    if (version !== undefined && activations === this.#activations) this.#activeCache = { key, version };
    return key;
  }

  async #readActive(): Promise<EpochKey> {
    const row = await this.#row('active');
    if (!row) throw new CairnError('internal', 'no active OPRF epoch');
    const publicKey = new Uint8Array(row.public_key);
    const secretKey = this.#secretFor(publicKey);
    if (!secretKey) {
      throw new CairnError('key_invalid', `the OPRF key of the active epoch ${row.epoch} (key id ${keyIdOf(publicKey)}) is not at hand: no key file or secret holds it`);
    }
    return { epoch: row.epoch, publicKey, keyId: keyIdOf(publicKey), secretKey };
  }

  /** The pending epoch, if a rotation is under way. */
  async pending(): Promise<EpochKey | undefined> {
    const row = await this.#row('pending');
    if (!row) return undefined;
    const publicKey = new Uint8Array(row.public_key);
    const secretKey = this.#secretFor(publicKey);
    if (!secretKey) throw new CairnError('key_invalid', `the OPRF key of the pending epoch ${row.epoch} (key id ${keyIdOf(publicKey)}) is not at hand`);
    return { epoch: row.epoch, publicKey, keyId: keyIdOf(publicKey), secretKey };
  }

  /**
   * Start epoch n+1 with a new key (the store makes it, or takes the key at
   * hand that no epoch used yet). Epoch n keeps answering.
   */
  async rotate(actor: string): Promise<EpochKey> {
    const { db, atomic, clock, store } = this.#deps;
    const active = await this.active();
    const pending = await this.pending();
    if (pending) {
      throw new CairnError('invalid_request', `epoch ${pending.epoch} (key id ${pending.keyId}) is already pending: re-import into it and activate it (\`cairn keys activate\`) first`);
    }
    const used = await db.selectFrom('oprf_epochs').select('public_key').execute();
    const isUsed = (k: Uint8Array) => used.some((u) => equalBytes(new Uint8Array(u.public_key), publicOf(k)));
    // A key at hand that no epoch used (put there by the operator, or left by
    // a rotation killed before its unit committed) is taken as it is.
    let secretKey = store.secretKeys().find((k) => !isUsed(k));
    let created = false;
    if (!secretKey) {
      if (!store.create) throw new CairnError('key_invalid', 'no new OPRF key at hand: put the next key in place (Workers: the CAIRN_OPRF_KEY_NEXT secret) and rotate again');
      secretKey = store.create();
      created = true;
    }
    const publicKey = publicOf(secretKey);
    const epoch = active.epoch + 1;
    const now = clock.now();
    try {
      await atomic.run([
        sql`insert into oprf_epochs (epoch, status, public_key, created_at, activated_at, retired_at) values (${epoch}, 'pending', ${publicKey}, ${now.toISOString()}, null, null)`.compile(db),
        appendStatement(db, { type: 'keys.oprf.rotate', actor, data: { epoch, keyId: keyIdOf(publicKey), activeEpoch: active.epoch, activeKeyId: active.keyId } }, now),
      ]);
    } catch (e) {
      // The unit rolled back (a full disk, a busy database): no epoch names
      // the key this call made, so it goes and the failed rotation leaves
      // nothing behind.
      if (created) await this.#discardUnused(secretKey, publicKey);
      throw e;
    }
    return { epoch, publicKey, keyId: keyIdOf(publicKey), secretKey };
  }

  /**
   * Destroy a key made for a rotation that failed, unless an epoch names it
   * after all (another process's rotation took it meanwhile). A failure here
   * is logged, not thrown over the rotation's own error.
   */
  async #discardUnused(secretKey: Uint8Array, publicKey: Uint8Array): Promise<void> {
    try {
      const named = await this.#deps.db.selectFrom('oprf_epochs').select('epoch').where('public_key', '=', publicKey).executeTakeFirst();
      if (!named) this.#deps.store.discard?.(secretKey);
    } catch (e) {
      this.#deps.logger.warn({ err: String(e), keyId: keyIdOf(publicKey) }, 'could not destroy the OPRF key of a failed rotation; the next rotation takes it');
    }
  }

  /** Counts per category of the active epoch and of the pending one (records and tokens). */
  async progress(): Promise<EpochProgress> {
    const { db } = this.#deps;
    const activeRow = (await this.#row('active'))!;
    const pendingRow = await this.#row('pending');
    const activeCounts = await sql<{ category: string; n: number }>`select category, count(*) as n from records group by category`.execute(db);
    const activeTokens = await sql<{ category: string; n: number }>`select category, count(*) as n from tokens group by category`.execute(db);
    const pendingCounts = await sql<{ category: string; n: number }>`select category, count(*) as n from pending_records group by category`.execute(db);
    const pendingTokens = await sql<{ category: string; n: number }>`select category, count(*) as n from pending_tokens group by category`.execute(db);
    const missing = await sql<{ n: number }>`select count(*) as n from records r where not exists (select 1 from pending_records p where p.ref = r.ref)`.execute(db);
    const cats = new Set([...activeCounts.rows, ...pendingCounts.rows].map((r) => r.category));
    const of = (rows: { category: string; n: number }[], c: string) => Number(rows.find((r) => r.category === c)?.n ?? 0);
    return {
      active: { epoch: activeRow.epoch, keyId: keyIdOf(new Uint8Array(activeRow.public_key)), createdAt: activeRow.created_at, activatedAt: activeRow.activated_at },
      ...(pendingRow ? { pending: { epoch: pendingRow.epoch, keyId: keyIdOf(new Uint8Array(pendingRow.public_key)), createdAt: pendingRow.created_at } } : {}),
      categories: [...cats].sort().map((c) => ({
        category: c,
        active: of(activeCounts.rows, c),
        pending: of(pendingCounts.rows, c),
        activeTokens: of(activeTokens.rows, c),
        pendingTokens: of(pendingTokens.rows, c),
      })),
      missing: pendingRow ? Number(missing.rows[0]?.n ?? 0) : 0,
    };
  }

  /**
   * Switch to the pending epoch in one atomic unit, then destroy the old
   * key. Refused while records served now are missing from the pending
   * epoch, unless `dropMissing` (they are then deleted, by reference, in
   * the audit entry): a record must never lose its tokens unseen.
   */
  async activate(actor: string, opts: { dropMissing?: boolean } = {}): Promise<ActivateResult> {
    const { db, atomic, clock, store } = this.#deps;
    const active = await this.active();
    const pending = await this.pending();
    if (!pending) {
      // An activation interrupted after its commit left the old key at hand: finish destroying it.
      const leftover = this.#deps.store.secretKeys().some((k) => !equalBytes(k, active.secretKey));
      if (leftover) {
        const retired = await this.destroyRetired(actor);
        return { epoch: active.epoch, previous: active.epoch - 1, keyId: active.keyId, records: 0, tokens: 0, dropped: 0, destroyed: retired.destroyed, ...(retired.operatorAction ? { operatorAction: retired.operatorAction } : {}) };
      }
      throw new CairnError('invalid_request', 'no pending OPRF epoch: start one with `cairn keys rotate oprf` and re-import into it');
    }
    const missingRows = await sql<{ ref: string }>`select ref from records r where not exists (select 1 from pending_records p where p.ref = r.ref) order by ref limit 1001`.execute(db);
    const missing = missingRows.rows.map((r) => r.ref);
    if (missing.length > 0 && !opts.dropMissing) {
      const progress = await this.progress();
      throw new CairnError(
        'invalid_request',
        `${progress.missing} record(s) served in epoch ${active.epoch} are not in the pending epoch ${pending.epoch} (e.g. ${missing.slice(0, 3).map((r) => JSON.stringify(r)).join(', ')}): re-import them with \`cairn import FILE --epoch next\`, or activate with --drop-missing to delete them; nothing was changed`,
      );
    }
    const now = clock.now();
    const nowS = Math.floor(now.getTime() / 1000);
    const stamp = now.toISOString();
    const counts = await sql<{ r: number; t: number }>`select (select count(*) from pending_records) as r, (select count(*) from pending_tokens) as t`.execute(db);
    const records = Number(counts.rows[0]?.r ?? 0);
    const tokens = Number(counts.rows[0]?.t ?? 0);
    const empty = emptyGroupHashes();
    await (this.#deps.bulkAtomic ?? atomic).run([
      // The epoch row guards the unit: if another activation won, nothing below may run on stale assumptions.
      sql`update oprf_epochs set status = 'retired', retired_at = ${stamp} where epoch = ${active.epoch} and status = 'active'`.compile(db),
      sql`update oprf_epochs set status = 'active', activated_at = ${stamp} where epoch = ${pending.epoch} and status = 'pending'`.compile(db),
      // The new epoch's indexes start empty at a version above every version
      // served so far, which is also their floor: a marker change takes the
      // next sequence number S, so every old version is below S and any
      // delta or snapshot page asked from one is refused (resync), never
      // served from the other epoch's tokens.
      sql`insert into index_changes (category, fingerprint, op, at) values ('', ${new Uint8Array(0)}, ${CHANGE_OP.remove}, ${nowS})`.compile(db),
      sql`update index_state set floor = (select max(seq) from index_changes), rooted_version = (select max(seq) from index_changes),
        count = 0, group_hashes = ${empty}, chain = null, compacted_at = ${nowS}`.compile(db),
      sql`delete from index_changes`.compile(db),
      sql`delete from index_groups`.compile(db),
      sql`delete from index_heads`.compile(db),
      // The old epoch's tokens go; records not re-imported go with them (only with dropMissing, checked above).
      sql`delete from tokens`.compile(db),
      sql`delete from records where not exists (select 1 from pending_records p where p.ref = records.ref)`.compile(db),
      sql`insert into records (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at)
        select ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at from pending_records where true
        on conflict (ref) do update set category = excluded.category, owning_unit = excluded.owning_unit, contact_point = excluded.contact_point,
          record_date = excluded.record_date, retention_until = excluded.retention_until, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`.compile(db),
      sql`insert into tokens (record_id, key_type, category, confirm, fingerprint)
        select r.id, p.key_type, r.category, p.confirm, p.fingerprint from pending_tokens p join records r on r.ref = p.ref`.compile(db),
      sql`delete from pending_tokens`.compile(db),
      sql`delete from pending_records`.compile(db),
      // Every token of the new epoch is an add of its index, in one pass.
      sql`insert into index_changes (category, fingerprint, op, at) select category, fingerprint, ${CHANGE_OP.add}, ${nowS} from tokens where fingerprint is not null order by category, fingerprint`.compile(db),
      appendStatement(
        db,
        {
          type: 'keys.oprf.activate',
          actor,
          data: { epoch: pending.epoch, keyId: pending.keyId, previousEpoch: active.epoch, previousKeyId: active.keyId, records, tokens, droppedRefs: missing.slice(0, 1000), dropped: missing.length },
        },
        now,
      ),
    ]).finally(() => {
      // Answers read the active epoch again, and a read begun before this one is not kept.
      this.#activations++;
      this.#activeCache = undefined;
    });
    for (const f of this.#listeners) f(pending.epoch);
    // The switch is committed: the old key can go. A crash here leaves it on disk; the next `cairn keys activate` finishes the job.
    const retired = await this.destroyRetired(actor);
    return {
      epoch: pending.epoch,
      previous: active.epoch,
      keyId: pending.keyId,
      records,
      tokens,
      dropped: missing.length,
      destroyed: retired.destroyed,
      ...(retired.operatorAction ? { operatorAction: retired.operatorAction } : {}),
    };
  }

  /** Destroy every secret key at hand but the active one, with an audit entry (idempotent: nothing to do is not audited). */
  async destroyRetired(actor: string): Promise<{ destroyed: string[]; operatorAction?: string }> {
    const active = await this.active();
    const stale = this.#deps.store.secretKeys().filter((k) => !equalBytes(k, active.secretKey));
    const pending = await this.pending();
    const toDestroy = stale.filter((k) => !pending || !equalBytes(k, pending.secretKey));
    if (toDestroy.length === 0 && this.#deps.store.secretKeys()[0] === active.secretKey) return { destroyed: [] };
    const keyIds = toDestroy.map((k) => keyIdOf(publicOf(k)));
    const out = await this.#deps.store.retire(active.secretKey);
    const now = this.#deps.clock.now();
    await this.#deps.atomic.run([
      appendStatement(this.#deps.db, { type: 'keys.oprf.destroy', actor, data: { epoch: active.epoch, destroyedKeyIds: keyIds, files: out.destroyed, operatorAction: out.operatorAction } }, now),
    ]);
    this.#deps.logger.info({ epoch: active.epoch, destroyed: keyIds.length }, 'retired OPRF keys destroyed');
    return out;
  }
}
