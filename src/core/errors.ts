/**
 * One error type for the whole core, in the manner of sigstore-js: a closed
 * union of machine-readable codes plus a human message and an optional cause.
 * Only the HTTP layer turns a CairnError into an RFC 9457 problem; the cause
 * goes to the log, never into a response.
 */

/** Every error code Cairn raises. Stable: clients and peers match on them. */
export const ERROR_CODES = [
  // generic request handling
  'not_found',
  'method_not_allowed',
  'body_too_large',
  'malformed_json',
  'invalid_request',
  'unsupported_media_type',
  'internal',
  'unavailable',
  // configuration, keys and storage
  'config_invalid',
  'key_file_insecure',
  'key_invalid',
  'home_exists',
  'home_missing',
  'home_locked',
  'listen_failed',
  'backup_invalid',
  'database_newer',
  'database_older',
  // signatures and envelopes
  'signature_invalid',
  'envelope_invalid',
  // federation request/response authentication (protocol/30-federation-auth.md)
  'signature_missing',
  'peer_unknown',
  'peer_revoked',
  'peer_repin_required',
  'timestamp_skew',
  'nonce_replayed',
  'digest_mismatch',
  // identifiers and match keys
  'identifier_invalid',
  // crypto
  'oprf_invalid_input',
  'oprf_invalid_element',
  'oprf_proof_invalid',
  'oprf_derive_key_failed',
  // audit log / Merkle proofs
  'proof_invalid',
  'checkpoint_invalid',
  // auth (local users)
  'unauthenticated',
  'forbidden',
  // federation policy and peers
  'purpose_denied',
  'rate_limited',
  'budget_exceeded',
  'batch_too_large',
  'peer_unreachable',
  'peer_timeout',
  'peer_response_invalid',
  'hit_not_found',
  // bulk import over HTTP
  'import_conflict',
  // token indexes and their replicas (protocol/37-token-index.md)
  'index_resync',
  'index_invalid',
  // protocol versions (cairn/2)
  'protocol_version_unsupported',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Codes a peer never receives: local configuration, storage and operator
 * routes, local users, and what a searching node concludes about its peers.
 * PROTOCOL.md documents every other code (a test checks it).
 */
export const LOCAL_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'config_invalid',
  'key_file_insecure',
  'key_invalid',
  'home_exists',
  'home_missing',
  'home_locked',
  'listen_failed',
  'backup_invalid',
  'database_newer',
  'database_older',
  'unauthenticated',
  'forbidden',
  'internal',
  'not_found',
  'method_not_allowed',
  'unsupported_media_type',
  'identifier_invalid',
  'oprf_invalid_input',
  'oprf_derive_key_failed',
  'oprf_proof_invalid',
  'proof_invalid',
  'checkpoint_invalid',
  'envelope_invalid',
  'peer_unreachable',
  'peer_timeout',
  'peer_response_invalid',
  'import_conflict',
]);

/** Where in the input the problem is: a field path, a row, a byte offset. */
export interface ErrorLocation {
  /** Dotted field path, e.g. `identifiers.names[0].family`. */
  field?: string;
  /** 1-based row or line number in an imported file. */
  row?: number;
  /** 0-based byte or character offset. */
  position?: number;
  /** 0-based index of the failing item of a batch; `field` then names that item. */
  index?: number;
}

/** Base error of the Cairn core. */
export class CairnError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation | undefined;
  /** Extra, safe-to-show details (never raw identifiers or key material). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { cause?: unknown; location?: ErrorLocation; details?: Record<string, unknown> } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CairnError';
    this.code = code;
    this.location = opts.location;
    this.details = opts.details;
  }
}

/** Narrowing helper that also works across realms (worker threads, bundles). */
export function isCairnError(e: unknown, code?: ErrorCode): e is CairnError {
  if (typeof e !== 'object' || e === null || (e as { name?: unknown }).name !== 'CairnError') return false;
  return code === undefined || (e as { code?: unknown }).code === code;
}

/**
 * Whether an error is SQLite's busy timeout running out (better-sqlite3's
 * SQLITE_BUSY and its extended codes): another process held the write lock
 * longer than we wait for it (the serving node or a CLI command writing to
 * the same home, an sqlite3 shell). The statement wrote nothing; the same
 * request or command can succeed a little later.
 */
export function isDatabaseBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return !isCairnError(err) && typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Codes for "no room": the disk is full, or the user's quota is spent.
 * SQLITE_IOERR_SHMSIZE is SQLite failing to grow its shared-memory file
 * (-shm) when a connection opens a WAL database, as it does on a full disk.
 */
const NO_SPACE_CODES = new Set(['SQLITE_FULL', 'SQLITE_IOERR_SHMSIZE', 'ENOSPC', 'EDQUOT']);

/**
 * Whether an error means the storage under the node is full: SQLite could
 * not grow the database or its WAL (better-sqlite3's SQLITE_FULL), or a
 * file write found no room (Node's ENOSPC, EDQUOT). D1 reports SQLite's
 * error as text only, so its message is read too. SQLite rolls back the
 * statement or transaction that failed, so nothing of it was stored; the
 * same request succeeds once space is freed, with no restart.
 */
export function isStorageFull(err: unknown): boolean {
  if (isCairnError(err) || typeof err !== 'object' || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return true;
  return typeof message === 'string' && (message.includes('SQLITE_FULL') || message.includes('database or disk is full'));
}
