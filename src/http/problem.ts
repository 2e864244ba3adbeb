/**
 * RFC 9457 problem details. The only place where errors become responses:
 * a CairnError's code picks the status; its cause never leaves the process.
 */
import { PROBLEM_TYPE_BASE, MEDIA_TYPES } from '../core/constants.js';
import { CairnError, isCairnError, isDatabaseBusy, isStorageFull, type ErrorCode } from '../core/errors.js';
import type { Problem } from '../../schemas/common.js';

const STATUS: Record<ErrorCode, number> = {
  not_found: 404,
  method_not_allowed: 405,
  body_too_large: 413,
  malformed_json: 400,
  invalid_request: 400,
  unsupported_media_type: 415,
  internal: 500,
  unavailable: 503,
  config_invalid: 500,
  key_file_insecure: 500,
  key_invalid: 500,
  home_exists: 409,
  home_missing: 500,
  home_locked: 409,
  listen_failed: 500,
  backup_invalid: 400,
  database_newer: 500,
  database_older: 500,
  signature_invalid: 401,
  envelope_invalid: 400,
  signature_missing: 401,
  peer_unknown: 401,
  peer_revoked: 403,
  peer_repin_required: 403,
  timestamp_skew: 401,
  nonce_replayed: 409,
  digest_mismatch: 400,
  identifier_invalid: 422,
  oprf_invalid_input: 400,
  oprf_invalid_element: 400,
  oprf_proof_invalid: 502,
  oprf_derive_key_failed: 500,
  proof_invalid: 400,
  checkpoint_invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  purpose_denied: 403,
  rate_limited: 429,
  budget_exceeded: 429,
  batch_too_large: 413,
  peer_unreachable: 502,
  peer_timeout: 504,
  peer_response_invalid: 502,
  import_conflict: 409,
  hit_not_found: 404,
  index_resync: 410,
  index_invalid: 502,
  protocol_version_unsupported: 400,
};

const TITLES: Partial<Record<ErrorCode, string>> = {
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  body_too_large: 'Request body too large',
  malformed_json: 'Malformed JSON',
  invalid_request: 'Invalid request',
  unsupported_media_type: 'Unsupported media type',
  internal: 'Internal error',
  unavailable: 'Service unavailable',
  identifier_invalid: 'Invalid identifiers',
  unauthenticated: 'Authentication required',
  forbidden: 'Forbidden',
  signature_invalid: 'Signature invalid',
};

/** HTTP status for an error code. */
export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/**
 * What a request that needed to write is told while the node's storage is
 * full. Every request a peer sends writes at least its nonce and audit
 * entry, so a peer hears this as `unavailable`, never as a no-hit.
 */
export const STORAGE_FULL_DETAIL = "the node's storage is full, so it cannot store this request or its audit entry; nothing was done. Its operator must free space; the node takes requests again as soon as there is room, without a restart";

/** Any thrown error as the CairnError its response is made from. */
export function asCairnError(err: unknown): CairnError {
  if (isCairnError(err)) return err;
  if (isDatabaseBusy(err)) return new CairnError('unavailable', "the node's database is held by another writer (another process, or a key activation running for a while) for longer than the node waits for it; nothing was done, try again shortly");
  if (isStorageFull(err)) return new CairnError('unavailable', STORAGE_FULL_DETAIL);
  return new CairnError('internal', 'internal error');
}

/** Build the problem body for an error (internal errors are opaque). */
export function problemOf(err: unknown, requestId?: string, instance?: string): Problem {
  const e = asCairnError(err);
  const status = statusOf(e.code);
  const p: Problem = {
    type: PROBLEM_TYPE_BASE + e.code,
    title: TITLES[e.code] ?? e.code.replace(/_/g, ' '),
    status,
    code: e.code,
    // 5xx details could reveal internals: keep them generic.
    detail: status >= 500 && e.code === 'internal' ? 'The node could not complete the request; the request id identifies it in the node log.' : e.message,
  };
  if (instance !== undefined) p.instance = instance;
  if (requestId !== undefined) p.requestId = requestId;
  if (e.location?.field !== undefined) p.field = e.location.field;
  if (e.location?.row !== undefined) p.row = e.location.row;
  if (e.location?.position !== undefined) p.position = e.location.position;
  const d = e.details;
  if (d) {
    if (typeof d.line === 'number') p.line = d.line;
    if (typeof d.column === 'number') p.column = d.column;
    if (Array.isArray(d.errors)) p.errors = d.errors as Problem['errors'];
  }
  return p;
}

/** A problem+json Response. */
export function problemResponse(p: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(p), {
    status: p.status,
    headers: { 'content-type': MEDIA_TYPES.problem, ...headers },
  });
}
