/**
 * The database as the core sees it: table types for kysely. The same schema
 * runs on SQLite (better-sqlite3) and on Cloudflare D1. Nothing here holds a
 * raw identifier: records keep tokens (keyed OPRF outputs, truncated), the
 * reference, category, dates and contact point only.
 */
import type { Generated, Kysely } from 'kysely';

export interface MetaTable {
  key: string;
  value: string;
}

/** Local users: analysts, DPOs, operators. Only a hash of the API token is kept. */
export interface UsersTable {
  id: string;
  name: string;
  role: 'analyst' | 'dpo' | 'operator';
  /** SHA-256 of the API token. */
  token_hash: Uint8Array;
  created_at: string;
  revoked_at: string | null;
}

export interface RecordsTable {
  id: Generated<number>;
  /** Opaque reference of the national system. */
  ref: string;
  category: string;
  owning_unit: string;
  contact_point: string;
  /** Date the record was registered nationally (YYYY-MM-DD). */
  record_date: string;
  /** Purge after this date (YYYY-MM-DD). */
  retention_until: string;
  /**
   * Keyed fingerprint of the record's content (HMAC under a key derived from
   * the node's OPRF key): tells "unchanged" on re-import without recomputing
   * tokens, and reveals nothing without the key.
   */
  fingerprint: Uint8Array;
  updated_at: string;
}

export interface TokensTable {
  record_id: number;
  /** Match-key type name, e.g. "phoneticPairDob" (what a receipt reports; never sent to a searcher). */
  key_type: string;
  /** Category of the record, denormalised so the index and a confirmation filter without a join. */
  category: string;
  /**
   * Bytes 16..23 of the token: never listed, so presenting them when asking
   * for a hit's reference proves the asker evaluated the token itself rather
   * than copying a fingerprint out of the index.
   */
  confirm: Uint8Array;
  /** Index fingerprint of the token (protocol/37-token-index.md); null only for rows of before 0007, which it dropped. */
  fingerprint: Uint8Array | null;
}

/** The owner's index change log: one row per token added to or removed from a category's index. */
export interface IndexChangesTable {
  seq: Generated<number>;
  category: string;
  fingerprint: Uint8Array;
  /** 1 add, 0 remove. */
  op: number;
  /** Unix seconds. */
  at: number;
}

/** Per category: how far the owner's shard hashes are computed, and how far back its change log reaches. */
export interface IndexStateTable {
  category: string;
  /** Changes up to this sequence number are compacted away: deltas start at or after it. */
  floor: number;
  /** The version the stored shard and group hashes describe. */
  rooted_version: number;
  count: number;
  /** The 256 group hashes, concatenated. */
  group_hashes: Uint8Array;
  /** Unix seconds of the last compaction. */
  compacted_at: number;
  /** The change chain at rooted_version (protocol/37 "Change chain"); null: 32 zero bytes. */
  chain: Uint8Array | null;
}

/** The owner's shard hashes, 256 per group, concatenated. */
export interface IndexGroupsTable {
  category: string;
  grp: number;
  shard_hashes: Uint8Array;
}

/** Signed heads the owner has issued (each also in the audit log). */
export interface IndexHeadsTable {
  category: string;
  version: number;
  /** The DSSE envelope, JSON. */
  envelope: string;
  at: string;
}

/** A replica of one peer's index of one category. */
export interface ReplicasTable {
  id: Generated<number>;
  peer_id: string;
  category: string;
  status: 'ready' | 'syncing' | 'stale' | 'error';
  version: number;
  count: number;
  /** The peer's signed head this replica matches (JSON DSSE envelope). */
  head: string | null;
  /** The 256 group hashes, concatenated. */
  group_hashes: Uint8Array | null;
  /** Progress of a full sync, in shards. */
  shards_done: number;
  error: string | null;
  updated_at: string;
  /** The OPRF key epoch of the head this replica holds: fingerprints of two epochs are never compared. */
  epoch: Generated<number>;
  /** The peer's change chain at `version`, checked against each head a delta reaches. */
  chain: Uint8Array | null;
  /** Rows in replica_changes: verified changes not yet merged into the shards. */
  pending: Generated<number>;
}

/** A replica's fingerprints of one shard: sorted, 8 bytes each, concatenated. */
export interface ReplicaShardsTable {
  replica_id: number;
  shard: number;
  fingerprints: Uint8Array;
}

/** A replica's shard hashes, 256 per group, concatenated. */
export interface ReplicaGroupsTable {
  replica_id: number;
  grp: number;
  shard_hashes: Uint8Array;
}

/**
 * Changes a replica applied and verified against its peer's change chain
 * but has not yet merged into its shards: the net count per fingerprint
 * that one delta (ending at `version`) brought. A lookup adds them to the
 * shard's listing; a merge folds those up to the replica's version into the
 * shards and checks the root.
 */
export interface ReplicaChangesTable {
  replica_id: number;
  fingerprint: Uint8Array;
  version: number;
  /** Net listings added (negative: removed). */
  n: number;
}

/** The audit log: one row per leaf of the Merkle tree. */
export interface AuditEntriesTable {
  /** Leaf index, 0-based, dense. */
  idx: number;
  at: string;
  type: string;
  actor: string;
  /** Canonical JSON of the entry (null once pruned by retention). */
  entry: string | null;
  /** RFC 6962 leaf hash of the canonical entry; survives pruning. */
  leaf_hash: Uint8Array;
}

/** A registered peer node, pinned to the keys of the descriptor the operator confirmed. */
export interface PeersTable {
  id: string;
  country: string;
  name: string;
  base_url: string;
  signing_key_id: string;
  signing_public_key: Uint8Array;
  oprf_public_key: Uint8Array;
  match_key_types: string;
  /** The DSSE envelope as fetched, for the record. */
  descriptor: string;
  /** PeerPolicy JSON; deny by default. */
  policy: string;
  status: 'active' | 'revoked' | 'repin_required';
  added_at: string;
  updated_at: string;
  revoked_at: string | null;
  /** The OPRF key epoch of the pinned `oprf_public_key` (1 until the peer first rotates). */
  oprf_epoch: number;
}

/** Evaluated elements per peer per UTC day, for the daily budget. */
export interface PeerUsageTable {
  peer_id: string;
  day: string;
  elements: number;
  requests: number;
}

/** Requests per peer per one-minute window (minutes since the epoch), for the rate limit. */
export interface PeerRateTable {
  peer_id: string;
  minute: number;
  requests: number;
}

/** Nonces of authenticated federation requests, kept until they expire. */
export interface NoncesTable {
  peer_id: string;
  nonce: string;
  expires_at: number;
}

/** Searches made by our analysts. */
export interface SearchesTable {
  id: string;
  created_at: string;
  user_id: string;
  purpose: string;
  legal_basis: string;
  case_reference: string;
  key_types: string;
}

/** One peer's answer to one of our searches. */
export interface SearchResultsTable {
  search_id: string;
  peer_id: string;
  status: string;
  strength: string | null;
  key_types: string | null;
  confirmation: string | null;
  receipts: string | null;
  /** Records the peer's index lists under a confirmed token beyond those its confirmation disclosed (at most 20 each). */
  undisclosed: number | null;
  error: string | null;
  ms: number | null;
  /** Material to confirm possible hits later: [{keyType, digest, confirm}] (tokens under the peer's key, never audited). */
  pending: string | null;
  /** Index of our match request in the peer's audit log, for reconciliation. */
  peer_log_index: number | null;
  updated_at: string;
}

/** Hits on our records disclosed to peers (what owning units see). */
export interface HitsIncomingTable {
  id: string;
  at: string;
  peer_id: string;
  peer_country: string;
  record_ref: string;
  category: string;
  owning_unit: string;
  key_type: string;
  search_id: string;
  case_reference: string;
  purpose: string;
  justification: string | null;
}

/** The integrated state of the audit tree: AppendState at `size`. */
export interface AuditTreeTable {
  id: number;
  size: number;
  state: Uint8Array;
}

/** Perfect subtree hashes of every 4th level (4, 8, 12, …) of the audit tree; level 0 is audit_entries.leaf_hash. */
export interface MerkleNodesTable {
  level: number;
  idx: number;
  hash: Uint8Array;
}

/** Our signed checkpoints (C2SP tlog-checkpoint notes). */
export interface AuditCheckpointsTable {
  size: number;
  root: Uint8Array;
  note: string;
  at: string;
}

/** Checkpoints peers showed us, verified and consistent with what we saw before. */
export interface WitnessedCheckpointsTable {
  peer_id: string;
  size: number;
  root: Uint8Array;
  note: string;
  at: string;
}

/** A peer's cosignature on one of our checkpoints: the note with our signature and theirs. */
export interface AuditCosignaturesTable {
  peer_id: string;
  size: number;
  root: Uint8Array;
  /** The checkpoint note carrying our signature and the peer's cosignature line. */
  note: string;
  /** The cosignature's own timestamp (POSIX seconds). */
  cosigned_at: number;
  at: string;
}

/** A peer whose log is inconsistent with what it showed us before: evidence kept for the DPO. */
export interface WitnessAlertsTable {
  id: string;
  at: string;
  peer_id: string;
  kind: string;
  detail: string;
  /** The conflicting checkpoints and proof, as JSON: those of the check that first raised it. */
  evidence: string;
  /** The event the evidence shows, named by a checkpoint (`gone:<size>:<root hex>`: the log no longer reaches it); a later check that finds it again counts it here. Null on alerts raised before events were kept. */
  event: string | null;
  /** The last check that found this event (null: only the first, at `at`). */
  last_seen_at: string | null;
  /** How many checks found it. */
  seen: Generated<number>;
}

/**
 * Web console sessions. The cookie holds a random session id; only its
 * SHA-256 is kept, so a copy of the database cannot be replayed as a cookie.
 */
export interface SessionsTable {
  id_hash: Uint8Array;
  user_id: string;
  /** Per-session CSRF token, echoed by every console form. */
  csrf_token: string;
  created_at: string;
  /** Idle expiry runs from here. */
  last_seen_at: string;
  /** Absolute expiry, whatever the activity. */
  expires_at: string;
}

/** One applied chunk of a bulk import over HTTP (PUT /v1/imports/{id}/chunks/{seq}). */
export interface ImportChunksTable {
  import_id: string;
  seq: number;
  /** SHA-256 of the chunk's body: the same seq with other content is a conflict. */
  digest: Uint8Array;
  rows: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** JSON array of { row, ref?, field, reason } (never values). */
  errors: string;
  actor: string;
  applied_at: string;
}

/** Bulk imports whose client said they are complete. */
export interface ImportsCompletedTable {
  import_id: string;
  chunks: number;
  completed_at: string;
}

/** The node's OPRF keys, one per epoch (protocol/38-key-epochs.md); secret keys live in files or secrets, never here. */
export interface OprfEpochsTable {
  epoch: number;
  status: 'active' | 'pending' | 'retired';
  public_key: Uint8Array;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
}

/** A record as re-imported into the pending epoch; swapped into `records` by activation. */
export interface PendingRecordsTable {
  ref: string;
  category: string;
  owning_unit: string;
  contact_point: string;
  record_date: string;
  retention_until: string;
  /** Content fingerprint under the pending key's fingerprint key. */
  fingerprint: Uint8Array;
  updated_at: string;
}

/** A token of a pending record under the pending epoch's key; never served until activation. */
export interface PendingTokensTable {
  ref: string;
  key_type: string;
  category: string;
  confirm: Uint8Array;
  fingerprint: Uint8Array;
}

/** A signing key of this node, current or retired (migration 0011). */
export interface SigningKeysTable {
  key_id: string;
  public_key: Uint8Array;
  created_at: string;
  /** When a rotation replaced it; null while it is the current key. */
  retired_at: string | null;
  /** Until when it cross-signs the descriptor after its retirement. */
  overlap_until: string | null;
  /** 1 when retired with --compromised: never cross-signs. */
  compromised: number;
}

/** A signing key a peer has used since we pinned it. */
export interface PeerSigningKeysTable {
  peer_id: string;
  key_id: string;
  public_key: Uint8Array;
  pinned_at: string;
  retired_at: string | null;
}

export interface Database {
  oprf_epochs: OprfEpochsTable;
  pending_records: PendingRecordsTable;
  pending_tokens: PendingTokensTable;
  signing_keys: SigningKeysTable;
  peer_signing_keys: PeerSigningKeysTable;
  import_chunks: ImportChunksTable;
  imports_completed: ImportsCompletedTable;
  audit_tree: AuditTreeTable;
  merkle_nodes: MerkleNodesTable;
  audit_checkpoints: AuditCheckpointsTable;
  witnessed_checkpoints: WitnessedCheckpointsTable;
  witness_alerts: WitnessAlertsTable;
  audit_cosignatures: AuditCosignaturesTable;
  peers: PeersTable;
  peer_usage: PeerUsageTable;
  peer_rate: PeerRateTable;
  nonces: NoncesTable;
  searches: SearchesTable;
  search_results: SearchResultsTable;
  hits_incoming: HitsIncomingTable;
  meta: MetaTable;
  users: UsersTable;
  records: RecordsTable;
  tokens: TokensTable;
  audit_entries: AuditEntriesTable;
  sessions: SessionsTable;
  index_changes: IndexChangesTable;
  index_state: IndexStateTable;
  index_groups: IndexGroupsTable;
  index_heads: IndexHeadsTable;
  replicas: ReplicasTable;
  replica_shards: ReplicaShardsTable;
  replica_groups: ReplicaGroupsTable;
  replica_changes: ReplicaChangesTable;
}

export type Db = Kysely<Database>;
