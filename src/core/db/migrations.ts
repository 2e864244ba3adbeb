/**
 * Migrations as a static registry (no file-system scanning), so the same list
 * runs under kysely's Migrator on Node and on Workers. Names sort in the order
 * they apply. Never edit a migration that has shipped: add a new one.
 */
import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { CairnError } from '../errors.js';

export const migrations: Record<string, Migration> = {
  '0001_meta': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0002_users_records_tokens_audit': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'blob', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('records')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('ref', 'text', (c) => c.notNull().unique())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('owning_unit', 'text', (c) => c.notNull())
        .addColumn('contact_point', 'text', (c) => c.notNull())
        .addColumn('record_date', 'text', (c) => c.notNull())
        .addColumn('retention_until', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'blob', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('records_retention').on('records').column('retention_until').execute();
      await db.schema
        .createTable('tokens')
        .addColumn('record_id', 'integer', (c) => c.notNull().references('records.id').onDelete('cascade'))
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('bucket', 'integer', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('digest', 'blob', (c) => c.notNull())
        .addColumn('confirm', 'blob', (c) => c.notNull())
        .execute();
      // Covering index for the federation's bucket query.
      await db.schema.createIndex('tokens_bucket').on('tokens').columns(['key_type', 'bucket', 'category', 'digest']).execute();
      await db.schema.createIndex('tokens_record').on('tokens').column('record_id').execute();
      await db.schema.createIndex('tokens_digest').on('tokens').column('digest').execute();
      await db.schema
        .createTable('audit_entries')
        .addColumn('idx', 'integer', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('entry', 'text')
        .addColumn('leaf_hash', 'blob', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_type_at').on('audit_entries').columns(['type', 'at']).execute();
    },
  },
  '0003_federation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('peers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('base_url', 'text', (c) => c.notNull())
        .addColumn('signing_key_id', 'text', (c) => c.notNull().unique())
        .addColumn('signing_public_key', 'blob', (c) => c.notNull())
        .addColumn('oprf_public_key', 'blob', (c) => c.notNull())
        .addColumn('bucket_bits', 'integer', (c) => c.notNull())
        .addColumn('match_key_types', 'text', (c) => c.notNull())
        .addColumn('descriptor', 'text', (c) => c.notNull())
        .addColumn('policy', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('added_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'text')
        .execute();
      await db.schema
        .createTable('peer_usage')
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('elements', 'integer', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('peer_usage_pk', ['peer_id', 'day'])
        .execute();
      await db.schema
        .createTable('nonces')
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('nonces_pk', ['peer_id', 'nonce'])
        .execute();
      await db.schema.createIndex('nonces_expiry').on('nonces').column('expires_at').execute();
      await db.schema
        .createTable('searches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('legal_basis', 'text', (c) => c.notNull())
        .addColumn('case_reference', 'text', (c) => c.notNull())
        .addColumn('key_types', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('search_results')
        .addColumn('search_id', 'text', (c) => c.notNull())
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('strength', 'text')
        .addColumn('key_types', 'text')
        .addColumn('confirmation', 'text')
        .addColumn('receipts', 'text')
        .addColumn('error', 'text')
        .addColumn('ms', 'integer')
        .addColumn('pending', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('search_results_pk', ['search_id', 'peer_id'])
        .execute();
      await db.schema
        .createTable('hits_incoming')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('peer_country', 'text', (c) => c.notNull())
        .addColumn('record_ref', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('owning_unit', 'text', (c) => c.notNull())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('search_id', 'text', (c) => c.notNull())
        .addColumn('case_reference', 'text', (c) => c.notNull())
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('justification', 'text')
        .execute();
      await db.schema.createIndex('hits_incoming_at').on('hits_incoming').column('at').execute();
    },
  },
  '0004_audit_tree': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('audit_tree')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('state', 'blob', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('merkle_nodes')
        .addColumn('level', 'integer', (c) => c.notNull())
        .addColumn('idx', 'integer', (c) => c.notNull())
        .addColumn('hash', 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('merkle_nodes_pk', ['level', 'idx'])
        .execute();
      await db.schema
        .createTable('audit_checkpoints')
        .addColumn('size', 'integer', (c) => c.primaryKey())
        .addColumn('root', 'blob', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('witnessed_checkpoints')
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('root', 'blob', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('witnessed_checkpoints_pk', ['peer_id', 'size'])
        .execute();
      await db.schema
        .createTable('witness_alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('detail', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text', (c) => c.notNull())
        .execute();
      await db.schema.alterTable('search_results').addColumn('peer_log_index', 'integer').execute();
      await db.schema.createIndex('audit_at').on('audit_entries').column('at').execute();
    },
  },
  '0005_console_sessions': {
    async up(db: Kysely<unknown>) {
      // Web console sign-ins: only the SHA-256 of the session id is stored.
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'blob', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('last_seen_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_expiry').on('sessions').column('expires_at').execute();
    },
  },
  '0006_confirm_by_bucket': {
    async up(db: Kysely<unknown>) {
      // Confirmations name the bucket and use tokens_bucket; an index on the
      // random digests alone was the costliest part of every token insert.
      await db.schema.dropIndex('tokens_digest').ifExists().execute();
    },
  },
  '0007_peer_rate': {
    async up(db: Kysely<unknown>) {
      // Requests per peer per fixed one-minute window, counted in the same
      // unit that reserves the budget, so the rate holds across processes
      // and Workers isolates (the per-process limiter did not).
      await db.schema
        .createTable('peer_rate')
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('minute', 'integer', (c) => c.notNull())
        .addColumn('requests', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('peer_rate_pk', ['peer_id', 'minute'])
        .execute();
    },
  },
  '0008_import_chunks': {
    async up(db: Kysely<unknown>) {
      // Chunks of bulk imports over HTTP, so a resent chunk is acknowledged
      // instead of applied twice and a client can resume where it stopped.
      await db.schema
        .createTable('import_chunks')
        .ifNotExists()
        .addColumn('import_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'integer', (c) => c.notNull())
        .addColumn('digest', 'blob', (c) => c.notNull())
        .addColumn('rows', 'integer', (c) => c.notNull())
        .addColumn('imported', 'integer', (c) => c.notNull())
        .addColumn('updated', 'integer', (c) => c.notNull())
        .addColumn('unchanged', 'integer', (c) => c.notNull())
        .addColumn('rejected', 'integer', (c) => c.notNull())
        .addColumn('errors', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('import_chunks_pk', ['import_id', 'seq'])
        .execute();
      await db.schema
        .createTable('imports_completed')
        .ifNotExists()
        .addColumn('import_id', 'text', (c) => c.primaryKey())
        .addColumn('chunks', 'integer', (c) => c.notNull())
        .addColumn('completed_at', 'text', (c) => c.notNull())
        .execute();
    },
  },
  '0009_audit_cosignatures': {
    async up(db: Kysely<unknown>) {
      // Peers' cosignatures on our checkpoints (c2sp.org/tlog-cosignature):
      // evidence, held by someone else, of how far our log had grown.
      await db.schema
        .createTable('audit_cosignatures')
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('root', 'blob', (c) => c.notNull())
        .addColumn('note', 'text', (c) => c.notNull())
        .addColumn('cosigned_at', 'integer', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_cosignatures_pk', ['peer_id', 'size'])
        .execute();
    },
  },
  '0010_token_index': {
    async up(db: Kysely<unknown>) {
      // cairn/2 token indexes (protocol/37-token-index.md). Tokens gain their
      // index fingerprint. cairn/1 rows cannot be given one (it hashes the
      // whole token, which was not kept), so they are dropped and each record's
      // content fingerprint is cleared: the next import of a record derives
      // its tokens again. No node was deployed with cairn/1.
      await db.schema.alterTable('tokens').addColumn('fingerprint', 'blob').execute();
      await sql`delete from tokens`.execute(db);
      await sql`update records set fingerprint = x''`.execute(db);
      await db.schema.createIndex('tokens_index').on('tokens').columns(['category', 'fingerprint']).execute();
      // The owner's change log: one row per token added or removed.
      await db.schema
        .createTable('index_changes')
        .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'blob', (c) => c.notNull())
        .addColumn('op', 'integer', (c) => c.notNull())
        .addColumn('at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('index_changes_category').on('index_changes').columns(['category', 'seq']).execute();
      await db.schema
        .createTable('index_state')
        .addColumn('category', 'text', (c) => c.primaryKey())
        .addColumn('floor', 'integer', (c) => c.notNull())
        .addColumn('rooted_version', 'integer', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('group_hashes', 'blob', (c) => c.notNull())
        .addColumn('compacted_at', 'integer', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('index_groups')
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('grp', 'integer', (c) => c.notNull())
        .addColumn('shard_hashes', 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('index_groups_pk', ['category', 'grp'])
        .modifyEnd(sql`without rowid`)
        .execute();
      await db.schema
        .createTable('index_heads')
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('envelope', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('index_heads_pk', ['category', 'version'])
        .execute();
      // The searcher's replicas of its peers' indexes: sorted fingerprints
      // packed per shard, shard hashes packed per group of 256.
      await db.schema
        .createTable('replicas')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('head', 'text')
        .addColumn('group_hashes', 'blob')
        .addColumn('shards_done', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('replicas_peer_category', ['peer_id', 'category'])
        .execute();
      await db.schema
        .createTable('replica_shards')
        .addColumn('replica_id', 'integer', (c) => c.notNull())
        .addColumn('shard', 'integer', (c) => c.notNull())
        .addColumn('fingerprints', 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('replica_shards_pk', ['replica_id', 'shard'])
        .modifyEnd(sql`without rowid`)
        .execute();
      await db.schema
        .createTable('replica_groups')
        .addColumn('replica_id', 'integer', (c) => c.notNull())
        .addColumn('grp', 'integer', (c) => c.notNull())
        .addColumn('shard_hashes', 'blob', (c) => c.notNull())
        .addPrimaryKeyConstraint('replica_groups_pk', ['replica_id', 'grp'])
        .modifyEnd(sql`without rowid`)
        .execute();
    },
  },
  '0011_key_history': {
    async up(db: Kysely<unknown>) {
      // Every signing key this node has used: retired keys stay, so old
      // receipts and checkpoints still verify (protocol/32-key-rotation.md).
      await db.schema
        .createTable('signing_keys')
        .ifNotExists()
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('public_key', 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .addColumn('overlap_until', 'text')
        .addColumn('compromised', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      // Every signing key a peer has used since we pinned it, the same way.
      await db.schema
        .createTable('peer_signing_keys')
        .ifNotExists()
        .addColumn('peer_id', 'text', (c) => c.notNull())
        .addColumn('key_id', 'text', (c) => c.notNull())
        .addColumn('public_key', 'blob', (c) => c.notNull())
        .addColumn('pinned_at', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .addPrimaryKeyConstraint('peer_signing_keys_pk', ['peer_id', 'key_id'])
        .execute();
      await sql`insert or ignore into peer_signing_keys (peer_id, key_id, public_key, pinned_at) select id, signing_key_id, signing_public_key, added_at from peers`.execute(db);
    },
  },
  '0012_oprf_epochs': {
    async up(db: Kysely<unknown>) {
      // OPRF key epochs (protocol/38-key-epochs.md). One row per key the node
      // has answered or will answer with; the first row is written when the
      // node next opens its home (the migration cannot read the key).
      await db.schema
        .createTable('oprf_epochs')
        .addColumn('epoch', 'integer', (c) => c.primaryKey())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('public_key', 'blob', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('activated_at', 'text')
        .addColumn('retired_at', 'text')
        .execute();
      // A re-import into the pending epoch: records and tokens beside the
      // served ones, keyed by reference, swapped in by activation.
      await db.schema
        .createTable('pending_records')
        .addColumn('ref', 'text', (c) => c.primaryKey())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('owning_unit', 'text', (c) => c.notNull())
        .addColumn('contact_point', 'text', (c) => c.notNull())
        .addColumn('record_date', 'text', (c) => c.notNull())
        .addColumn('retention_until', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'blob', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('pending_tokens')
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('confirm', 'blob', (c) => c.notNull())
        .addColumn('fingerprint', 'blob', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('pending_tokens_ref').on('pending_tokens').column('ref').execute();
      // The epoch a peer's pinned VOPRF key belongs to, and the epoch of each replica's head.
      await db.schema.alterTable('peers').addColumn('oprf_epoch', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('replicas').addColumn('epoch', 'integer', (c) => c.notNull().defaultTo(1)).execute();
    },
  },
  '0014_drop_cairn1_buckets': {
    async up(db: Kysely<unknown>) {
      // cairn/2 sends no buckets and lists no digests: the bucket of each
      // token row (a public hash of its match key), the digest token[0..16)
      // and their covering index are read by nothing, and a peer's bucket
      // bits are no longer in its descriptor. Every token keeps what cairn/2
      // needs (key type, category, confirmation bytes, index fingerprint),
      // so nothing a node still uses is lost. The index goes first: SQLite
      // (and D1) refuse to drop an indexed column.
      await db.schema.dropIndex('tokens_bucket').ifExists().execute();
      await db.schema.alterTable('tokens').dropColumn('bucket').execute();
      await db.schema.alterTable('tokens').dropColumn('digest').execute();
      await db.schema.alterTable('peers').dropColumn('bucket_bits').execute();
    },
  },
  '0015_index_chain': {
    async up(db: Kysely<unknown>) {
      // Heads carry a change chain (protocol/37 "Change chain"), so a replica
      // checks a delta at a cost proportional to the delta and merges it
      // into its shards later. An owner's chain starts at 32 zero bytes at
      // its current version (no replica has a chain to compare yet); heads
      // signed without one are signed again at the next request.
      await db.schema.alterTable('index_state').addColumn('chain', 'blob').execute();
      await sql`delete from index_heads`.execute(db);
      await db.schema.alterTable('replicas').addColumn('chain', 'blob').execute();
      await db.schema.alterTable('replicas').addColumn('pending', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema
        .createTable('replica_changes')
        .addColumn('replica_id', 'integer', (c) => c.notNull())
        .addColumn('fingerprint', 'blob', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('n', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('replica_changes_pk', ['replica_id', 'fingerprint', 'version'])
        .modifyEnd(sql`without rowid`)
        .execute();
      // A replica without a chain cannot check the next delta: it transfers its peer's index again.
      await sql`update replicas set status = 'stale', error = 'index heads now carry a change chain: the replica is transferred again' where status <> 'error'`.execute(db);
    },
  },
  '0016_search_undisclosed': {
    async up(db) {
      // A peer discloses at most 20 records per confirmed token; how many more its index lists is kept for the analyst.
      await db.schema.alterTable('search_results').addColumn('undisclosed', 'integer').execute();
    },
  },
  '0017_witness_alert_events': {
    async up(db) {
      // One alert per event (protocol/45 "Witnessing"): a check that finds the same evidence
      // again counts it on that alert instead of adding one. Alerts raised before have no
      // event and stay one each (a unique index lets any number of rows hold null).
      await db.schema.alterTable('witness_alerts').addColumn('event', 'text').execute();
      await db.schema.alterTable('witness_alerts').addColumn('last_seen_at', 'text').execute();
      await db.schema.alterTable('witness_alerts').addColumn('seen', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.createIndex('witness_alerts_event').on('witness_alerts').columns(['peer_id', 'event']).unique().execute();
    },
  },
};

/**
 * Apply every pending migration. `transactional` is false on D1, which has
 * no interactive transactions; each migration there is idempotent DDL.
 */
export async function migrateToLatest(db: Kysely<any>, opts: { transactional?: boolean } = {}): Promise<string[]> {
  await refuseNewerDatabase(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    disableTransactions: opts.transactional === false,
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed) {
    const why = error instanceof Error ? `: ${error.message}` : '';
    throw new CairnError('internal', failed ? `database migration ${failed.migrationName} failed${why}` : `database migrations failed${why}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * For a reader that must not write (`cairn audit verify` on evidence): the
 * database must be at exactly this program's migrations. Refuses, naming
 * what is missing, rather than migrate.
 */
export async function requireMigrated(db: Kysely<any>): Promise<void> {
  await refuseNewerDatabase(db);
  let done: Set<string>;
  try {
    done = new Set((await db.selectFrom('kysely_migration').select('name').execute()).map((r) => String(r.name)));
  } catch {
    done = new Set();
  }
  const pending = Object.keys(migrations)
    .sort()
    .filter((name) => !done.has(name));
  if (pending.length > 0) {
    throw new CairnError(
      'database_older',
      `the database lacks migrations ${pending.join(', ')} of this version of Cairn, and this command opens it read-only (it changes nothing): verify it with the version that wrote it, or start \`cairn serve\` once to migrate it (which writes to it)`,
    );
  }
}

/**
 * A database that a newer Cairn migrated (an upgrade rolled back to the
 * older program) holds migrations this program does not know; migrating
 * would fail on it, and serving from it could misread its tables. Say so,
 * with what to do, before touching anything.
 */
async function refuseNewerDatabase(db: Kysely<any>): Promise<void> {
  let done: string[];
  try {
    done = (await db.selectFrom('kysely_migration').select('name').execute()).map((r) => String(r.name));
  } catch {
    return; // a new database: no migration table yet
  }
  const unknown = done.filter((name) => !(name in migrations)).sort();
  if (unknown.length === 0) return;
  const known = Object.keys(migrations).sort();
  throw new CairnError(
    'database_newer',
    `the database was migrated by a newer version of Cairn: it has ${unknown.join(', ')}, and this version knows migrations up to ${known[known.length - 1]}. Run the newer version again, or restore the backup taken before the upgrade with this one (nothing was changed)`,
  );
}
