/**
 * Filling a node's index directly, as issue 5 allows ("the peers' indexes
 * may be filled directly with tokens of synthetic match keys, as long as the
 * search path is the real one"): tokenising a million records per peer
 * through the OPRF would take hours on this machine, and bench:import
 * measures that path already.
 *
 * What goes in is shaped like an import: one `records` row per record and,
 * per record, the key types the real derivation gives a synthetic record
 * (deriveMatchKeys over a sample of the generator's records, cycled), each
 * with a random 8-byte confirm and 8-byte index fingerprint (a token is an
 * OPRF output, so everything derived from it is pseudorandom).
 *
 * Every token is also logged as added in the owner's index change log
 * (index_changes), as an import writes it (changes.ts), so the node's own
 * code (IndexOwner, owner.ts) computes its shard hashes, root and signed
 * heads from these rows when first asked: the fill writes no hash or head.
 *
 * The indexes of both tables are dropped while filling and re-created from
 * the very SQL the migrations wrote (read back from sqlite_master), so the
 * node queries exactly the schema it created.
 */
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { deriveMatchKeys, parseIdentifiers } from '../../src/core/identity/index.js';
import { CHANGE_OP } from '../../src/core/federation/index/changes.js';
import { prng, syntheticRecord } from './synthetic-records.js';

const CATEGORIES = ['convicted_offender', 'suspect', 'identified_victim', 'missing_child', 'unaccompanied_minor', 'child_at_risk'] as const;

/** Key types of each of `n` synthetic records, as the real derivation gives them. */
export function sampleKeyMix(n: number, seed = 77): string[][] {
  const rnd = prng(seed);
  const out: string[][] = [];
  for (let i = 0; i < n; i++) {
    const r = syntheticRecord(i, rnd) as { identifiers: unknown };
    out.push(deriveMatchKeys(parseIdentifiers(r.identifiers)).map((k) => k.type));
  }
  return out;
}

export interface FillResult {
  readonly records: number;
  readonly tokens: number;
  readonly seconds: number;
  /** Tokens per key type. */
  readonly perKeyType: Readonly<Record<string, number>>;
}

/**
 * Add `records` synthetic records and their tokens to the SQLite file of a
 * stopped node (migrated, so the tables exist). References are `FILL-<n>`.
 */
export function fillIndex(
  dbFile: string,
  opts: { records: number; keyMix: readonly (readonly string[])[]; seed?: number; onProgress?: (done: number) => void },
): FillResult {
  const t0 = performance.now();
  const db = new BetterSqlite3(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const indexes = db
      .prepare(`select name, sql from sqlite_master where type = 'index' and tbl_name in ('tokens', 'index_changes') and sql is not null`)
      .all() as { name: string; sql: string }[];
    for (const ix of indexes) db.exec(`drop index "${ix.name}"`);
    const insertRecord = db.prepare(
      `insert into records (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at)
       values (?, ?, 'Unit for missing children', 'cairn-desk@police.example', '2025-06-01', '2040-12-31', ?, ?)`,
    );
    const insertToken = db.prepare('insert into tokens (record_id, key_type, category, confirm, fingerprint) values (?, ?, ?, ?, ?)');
    const logAdd = db.prepare(`insert into index_changes (category, fingerprint, op, at) values (?, ?, ${CHANGE_OP.add}, ?)`);
    const atSeconds = Math.floor(Date.now() / 1000);
    const perKeyType: Record<string, number> = {};
    const at = new Date().toISOString();
    let tokens = 0;
    const CHUNK = 20_000;
    const chunk = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const category = CATEGORIES[i % CATEGORIES.length]!;
        const types = opts.keyMix[i % opts.keyMix.length]!;
        const bytes = randomBytes(32 + 16 * types.length);
        const id = insertRecord.run(`FILL-${String(i).padStart(8, '0')}`, category, bytes.subarray(0, 32), at).lastInsertRowid;
        types.forEach((type, k) => {
          const o = 32 + 16 * k;
          const fingerprint = bytes.subarray(o + 8, o + 16);
          insertToken.run(id, type, category, bytes.subarray(o, o + 8), fingerprint);
          logAdd.run(category, fingerprint, atSeconds);
          perKeyType[type] = (perKeyType[type] ?? 0) + 1;
        });
        tokens += types.length;
      }
    });
    for (let from = 0; from < opts.records; from += CHUNK) {
      chunk(from, Math.min(opts.records, from + CHUNK));
      opts.onProgress?.(Math.min(opts.records, from + CHUNK));
    }
    for (const ix of indexes) db.exec(ix.sql);
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { records: opts.records, tokens, seconds: (performance.now() - t0) / 1000, perKeyType };
  } finally {
    db.close();
  }
}
