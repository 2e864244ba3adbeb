/**
 * The HTTP API contract: every route with its request and response schemas.
 * The OpenAPI document at /openapi.json is generated from this list, and the
 * handlers validate with the same schemas, so the two cannot drift apart.
 */
import { z } from 'zod';
import { FEDERATION } from '../src/core/constants.js';
import {
  auditFilterSchema,
  auditPageSchema,
  checkpointSchema,
  consistencyProofSchema,
  consistencyQuerySchema,
  cosignatureRequestSchema,
  inclusionProofSchema,
  inclusionQuerySchema,
  reconcileRequestSchema,
  verifyReportSchema,
} from './audit.js';
import { problemSchema } from './common.js';
import {
  addPeerSchema,
  repinPeerSchema,
  confirmRequestSchema,
  hitConfirmRequestSchema,
  incomingHitsQuerySchema,
  matchRequestSchema,
  matchResponseSchema,
  peerPolicySchema,
  searchListQuerySchema,
  searchRequestSchema,
  searchResultSchema,
} from './federation.js';
import { dsseEnvelopeWire, healthSchema } from './node.js';
import { indexChangesRequestSchema, indexChangesWireSchema, indexHeadsResponseSchema, indexSnapshotPageSchema, indexSnapshotRequestSchema, replicaStateSchema } from './index.js';
import { importChunkResultSchema, importIdSchema, importStateSchema, importSummarySchema, recordsBatchSchema, recordStatsSchema } from './records.js';
import { newUserSchema, userSchema } from './users.js';
import { oprfActivateRequestSchema, oprfActivateResultSchema, oprfEpochStateSchema } from './oprf-epochs.js';

/** A local user's role. */
export type Role = 'analyst' | 'dpo' | 'operator';

/** Who may call a route: anyone, a signed peer, or local users of the roles listed. */
export type Access = 'public' | 'peer' | Role | readonly Role[];

/** The roles a route's access admits (none for public and peer routes). */
export function rolesOf(access: Access): Role[] {
  if (access === 'public' || access === 'peer') return [];
  return typeof access === 'string' ? [access] : [...access];
}

/** The roles the role table admits to `method path` (the OpenAPI path template); throws for a route not in the table. */
export function routeRoles(method: RouteSpec['method'], path: string): Role[] {
  const r = routes.find((x) => x.method === method && x.path === path);
  if (!r) throw new Error(`no route ${method.toUpperCase()} ${path} in schemas/api.ts`);
  return rolesOf(r.access);
}

export interface RouteSpec {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template, e.g. /v1/records/{ref}. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: Access;
  /** `bodyContentType` / `contentType`: the request body's media type when it is not application/json. */
  request?: { body?: z.ZodType; bodyContentType?: string; query?: z.ZodObject; params?: z.ZodObject; contentType?: string };
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string }>;
}

const problem = (description: string) => ({ description, schema: problemSchema, contentType: 'application/problem+json' });

/** A stable, distinct operationId for a retired v1 path: federationMatchV1, federationConfirmV1, federationIndexHeadsV1, ... */
function retiredOperationId(path: string): string {
  const name = path.split('/').slice(3).map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('');
  return `federation${name === 'Hits' ? 'Confirm' : name}V1`;
}

export const routes: RouteSpec[] = [
  {
    method: 'get',
    path: '/.well-known/cairn/node',
    operationId: 'getNodeDescriptor',
    summary: 'The signed node descriptor (DSSE envelope, payloadType application/vnd.cairn.node+json).',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'DSSE envelope over the NodeDescriptor JSON', schema: dsseEnvelopeWire } },
  },
  {
    method: 'get',
    path: '/healthz',
    operationId: 'getHealth',
    summary: 'Liveness and readiness of the node and its database.',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'healthy', schema: healthSchema }, 503: { description: 'unhealthy', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMetrics',
    summary: 'Prometheus metrics (text exposition format).',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'metrics', contentType: 'text/plain; version=0.0.4' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document.',
    tags: ['node'],
    access: 'public',
    responses: { 200: { description: 'OpenAPI document' } },
  },
  // Records (analysts)
  {
    method: 'post', path: '/v1/records', operationId: 'importRecords', tags: ['records'], access: 'analyst',
    summary: 'Import a batch of records (at most 1,000): tokens are stored, identifiers are not. Per-record errors name row and field; a record whose identifiers give no match key is refused (field `identifiers`).',
    request: { body: recordsBatchSchema },
    responses: { 200: { description: 'summary', schema: importSummarySchema }, 422: { description: 'every record was rejected', schema: importSummarySchema } },
  },
  {
    method: 'delete', path: '/v1/records/{ref}', operationId: 'deleteRecord', tags: ['records'], access: 'analyst',
    summary: 'Delete a record and its tokens at once.',
    request: { params: z.object({ ref: z.string() }) },
    responses: { 200: { description: 'deleted', schema: z.object({ deleted: z.string(), tokens: z.number().int() }) } },
  },
  {
    method: 'get', path: '/v1/records/stats', operationId: 'recordStats', tags: ['records'], access: ['analyst', 'dpo', 'operator'],
    summary: 'Counts per category and per match-key type (any role).',
    responses: { 200: { description: 'counts', schema: recordStatsSchema } },
  },
  // Bulk import over HTTP (operators; `cairn import FILE --node URL`)
  {
    method: 'put', path: '/v1/imports/{importId}/chunks/{seq}', operationId: 'putImportChunk', tags: ['records'], access: 'operator',
    summary: 'Apply one chunk (at most 1,000 records, one JSON record per line) of a bulk import; a chunk applied before with the same body is acknowledged (replayed: true), with another body refused (409 import_conflict).',
    request: {
      params: z.object({ importId: importIdSchema, seq: z.string().regex(/^\d{1,9}$/) }),
      query: z.object({ epoch: z.enum(['current', 'next']).optional().describe('next: into the pending OPRF epoch, beside the served records (default current)') }),
      body: z.string().describe('NDJSON: one record (as in RecordsBatch.records) per line'),
      bodyContentType: 'application/x-ndjson',
    },
    responses: { 200: { description: 'applied or acknowledged', schema: importChunkResultSchema }, 409: problem('the seq was applied with another body, or the import is complete') },
  },
  {
    method: 'get', path: '/v1/imports/{importId}', operationId: 'getImport', tags: ['records'], access: 'operator',
    summary: 'Where a bulk import stands: totals, and nextSeq to resume at.',
    request: { params: z.object({ importId: importIdSchema }) },
    responses: { 200: { description: 'state', schema: importStateSchema } },
  },
  {
    method: 'post', path: '/v1/imports/{importId}/complete', operationId: 'completeImport', tags: ['records'], access: 'operator',
    summary: 'Mark a bulk import complete (further chunks are refused) and return its totals. Idempotent.',
    request: { params: z.object({ importId: importIdSchema }) },
    responses: { 200: { description: 'totals', schema: importStateSchema }, 404: problem('no chunk of this import was applied') },
  },
  // OPRF key epochs (operators; `cairn keys rotate oprf`, `cairn keys activate`; protocol/38-key-epochs.md)
  {
    method: 'get', path: '/v1/keys/oprf', operationId: 'getOprfEpochs', tags: ['node'], access: 'operator',
    summary: 'The active OPRF epoch, the pending one if a rotation is under way, and records and tokens per category in each.',
    responses: { 200: { description: 'state', schema: oprfEpochStateSchema } },
  },
  {
    method: 'post', path: '/v1/keys/oprf/rotate', operationId: 'rotateOprfKey', tags: ['node'], access: 'operator',
    summary: 'Start the next OPRF epoch with a new key (Workers: the CAIRN_OPRF_KEY_NEXT secret). The active epoch keeps answering; re-import into the new one with PUT /v1/imports/{importId}/chunks/{seq}?epoch=next.',
    responses: { 200: { description: 'the pending epoch', schema: oprfEpochStateSchema }, 400: problem('an epoch is already pending') },
  },
  {
    method: 'post', path: '/v1/keys/oprf/activate', operationId: 'activateOprfKey', tags: ['node'], access: 'operator',
    summary: 'Switch to the pending OPRF epoch atomically: its tokens and key answer, the old epoch\'s tokens and index are deleted, the old key is destroyed.',
    request: { body: oprfActivateRequestSchema },
    responses: { 200: { description: 'activated', schema: oprfActivateResultSchema }, 400: problem('no pending epoch, or records not re-imported into it') },
  },
  // Users (operators)
  { method: 'get', path: '/v1/users', operationId: 'listUsers', tags: ['users'], access: 'operator', summary: 'Local users and roles.', responses: { 200: { description: 'users', schema: z.object({ users: z.array(userSchema) }) } } },
  {
    method: 'post', path: '/v1/users', operationId: 'addUser', tags: ['users'], access: 'operator',
    summary: 'Create a user; the API token is returned once and only its hash is stored.',
    request: { body: newUserSchema },
    responses: { 201: { description: 'created', schema: z.object({ user: userSchema, token: z.string() }) } },
  },
  {
    method: 'delete', path: '/v1/users/{id}', operationId: 'revokeUser', tags: ['users'], access: 'operator', summary: 'Revoke a user\'s token.',
    request: { params: z.object({ id: z.string() }) }, responses: { 200: { description: 'revoked', schema: z.object({ user: userSchema }) } },
  },
  // Peers (operators)
  {
    method: 'get', path: '/v1/peers/replicas', operationId: 'listReplicas', tags: ['peers'], access: 'operator', summary: 'Our replicas of peers\' token indexes: status, version, count, sync progress.',
    responses: { 200: { description: 'replica states', schema: z.object({ replicas: z.array(replicaStateSchema) }) } },
  },
  { method: 'get', path: '/v1/peers', operationId: 'listPeers', tags: ['peers'], access: 'operator', summary: 'Peers with fingerprints and policy.', responses: { 200: { description: 'peers' } } },
  {
    method: 'post', path: '/v1/peers', operationId: 'addPeer', tags: ['peers'], access: 'operator',
    summary: 'Fetch a node\'s signed descriptor and pin it when its fingerprint equals the one given. Policy starts as deny-all.',
    request: { body: addPeerSchema }, responses: { 201: { description: 'added' } },
  },
  {
    method: 'put', path: '/v1/peers/{id}/policy', operationId: 'setPeerPolicy', tags: ['peers'], access: 'operator',
    summary: 'Replace a peer\'s policy: purposes → categories, rate per minute, daily element budget.',
    request: { params: z.object({ id: z.string() }), body: peerPolicySchema }, responses: { 200: { description: 'updated' } },
  },
  {
    method: 'post', path: '/v1/peers/{id}/repin', operationId: 'repinPeer', tags: ['peers'], access: 'operator',
    summary: 'Fetch the peer\'s descriptor again and pin its new signing key when its fingerprint (checked out of band) equals the one given: for a peer in repin_required (PROTOCOL.md §32).',
    request: { params: z.object({ id: z.string() }), body: repinPeerSchema }, responses: { 200: { description: 're-pinned' } },
  },
  {
    method: 'post', path: '/v1/peers/{id}/revoke', operationId: 'revokePeer', tags: ['peers'], access: 'operator', summary: 'Revoke a peer (kept for the record).',
    request: { params: z.object({ id: z.string() }) }, responses: { 200: { description: 'revoked' } },
  },
  {
    method: 'delete', path: '/v1/peers/{id}', operationId: 'removePeer', tags: ['peers'], access: 'operator', summary: 'Remove a peer.',
    request: { params: z.object({ id: z.string() }) }, responses: { 200: { description: 'removed' } },
  },
  // Searches (analysts)
  {
    method: 'post', path: '/v1/searches', operationId: 'search', tags: ['searches'], access: 'analyst',
    summary: 'Search every eligible peer in parallel; strong and probable hits are confirmed with signed receipts.',
    request: { body: searchRequestSchema }, responses: { 201: { description: 'the search with each peer\'s outcome', schema: searchResultSchema }, 400: problem('Context missing, no active peer, or identifiers that give no match key or more than 64 (one request\'s elements): field named, nothing sent'), 422: problem('Identifiers invalid (field named)') },
  },
  {
    method: 'get', path: '/v1/searches', operationId: 'listSearches', tags: ['searches'], access: 'analyst', summary: 'Recent searches, optionally for one case reference.',
    request: { query: searchListQuerySchema }, responses: { 200: { description: 'searches' }, 400: problem('A query parameter unknown or out of range (field named)') },
  },
  {
    method: 'get', path: '/v1/searches/{id}', operationId: 'getSearch', tags: ['searches'], access: 'analyst', summary: 'A search with each peer\'s outcome.',
    request: { params: z.object({ id: z.string() }) }, responses: { 200: { description: 'search', schema: searchResultSchema } },
  },
  {
    method: 'post', path: '/v1/searches/{id}/confirm', operationId: 'confirmHit', tags: ['searches'], access: 'analyst',
    summary: 'Confirm a possible hit from one peer, with a justification that both sides record.',
    request: { params: z.object({ id: z.string() }), body: confirmRequestSchema }, responses: { 200: { description: 'search', schema: searchResultSchema } },
  },
  {
    method: 'get', path: '/v1/hits/incoming', operationId: 'incomingHits', tags: ['searches'], access: 'analyst', summary: 'Hits peers confirmed on our records (disclosures).',
    request: { query: incomingHitsQuerySchema }, responses: { 200: { description: 'hits' }, 400: problem('A query parameter unknown or out of range (field named)') },
  },
  // Audit (DPOs)
  {
    method: 'get', path: '/v1/audit/entries', operationId: 'auditEntries', tags: ['audit'], access: 'dpo', summary: 'Filtered, paged audit entries (this read is itself logged).',
    request: { query: auditFilterSchema }, responses: { 200: { description: 'page', schema: auditPageSchema } },
  },
  {
    method: 'get', path: '/v1/audit/export', operationId: 'auditExport', tags: ['audit'], access: 'dpo',
    summary: 'Export every entry the filter matches, as CSV or JSON (logged), up to 100,000: a larger export is refused whole, never cut short.',
    request: { query: auditFilterSchema.extend({ format: z.enum(['csv', 'json']).optional() }) },
    responses: {
      200: { description: 'export file: every matching entry after `cursor`, oldest first', contentType: 'text/csv' },
      400: problem('A query parameter unknown or out of range (field named); or more than 100,000 entries match (code invalid_request): nothing is exported or logged, and the detail gives a time to split at, as `to` for one export and `from` for the next. `cairn audit export` has no limit'),
    },
  },
  { method: 'get', path: '/v1/audit/checkpoint', operationId: 'auditCheckpoint', tags: ['audit'], access: 'dpo', summary: 'The latest signed checkpoint (C2SP signed note).', responses: { 200: { description: 'checkpoint', schema: checkpointSchema } } },
  {
    method: 'get', path: '/v1/audit/proofs/inclusion', operationId: 'auditInclusionProof', tags: ['audit'], access: 'dpo', summary: 'RFC 9162 inclusion proof.',
    request: { query: inclusionQuerySchema }, responses: { 200: { description: 'proof', schema: inclusionProofSchema } },
  },
  {
    method: 'get', path: '/v1/audit/proofs/consistency', operationId: 'auditConsistencyProof', tags: ['audit'], access: 'dpo', summary: 'RFC 9162 consistency proof.',
    request: { query: consistencyQuerySchema }, responses: { 200: { description: 'proof', schema: consistencyProofSchema } },
  },
  { method: 'post', path: '/v1/audit/verify', operationId: 'auditVerify', tags: ['audit'], access: 'dpo', summary: 'Recompute the log and check every checkpoint.', responses: { 200: { description: 'report', schema: verifyReportSchema } } },
  {
    method: 'post',
    path: '/v1/audit/reconcile',
    operationId: 'auditReconcile',
    tags: ['audit'],
    access: 'dpo',
    summary: "Witness a peer's checkpoint, then prove each of our searches of it in its log (what `cairn audit reconcile` does).",
    request: { body: reconcileRequestSchema },
    responses: { 200: { description: 'reconcile report: checkpoint size, witness outcome and alert, searches checked, proven and missing with the reason' } },
  },
  { method: 'get', path: '/v1/audit/witness', operationId: 'auditWitness', tags: ['audit'], access: 'dpo', summary: 'Peers\' witnessed checkpoints and inconsistency alerts.', responses: { 200: { description: 'witness status' } } },
  // Federation (signed peer requests; see PROTOCOL.md)
  {
    method: 'post', path: '/federation/v2/match', operationId: 'federationMatch', tags: ['federation'], access: 'peer', summary: 'Blind padded match, cairn/2 (PROTOCOL.md §35).',
    request: { body: matchRequestSchema, contentType: FEDERATION.mediaType },
    responses: { 200: { description: 'evaluation, proof and index deltas', schema: matchResponseSchema, contentType: FEDERATION.mediaType } },
  },
  {
    method: 'post', path: '/federation/v2/hits', operationId: 'federationConfirm', tags: ['federation'], access: 'peer', summary: 'Confirm a hit: signed receipts, cairn/2 (PROTOCOL.md §35).',
    request: { body: hitConfirmRequestSchema, contentType: FEDERATION.mediaType },
    responses: { 200: { description: 'receipts', schema: z.object({ receipts: z.array(dsseEnvelopeWire) }), contentType: FEDERATION.mediaType } },
  },
  {
    method: 'post', path: '/federation/v2/index/heads', operationId: 'federationIndexHeads', tags: ['federation'], access: 'peer', summary: 'Signed heads of the token indexes the asking peer may fetch (PROTOCOL.md §37).',
    request: { contentType: FEDERATION.mediaType },
    responses: { 200: { description: 'signed heads', schema: indexHeadsResponseSchema, contentType: FEDERATION.mediaType } },
  },
  {
    method: 'post', path: '/federation/v2/index/changes', operationId: 'federationIndexChanges', tags: ['federation'], access: 'peer', summary: 'Added and removed index fingerprints since a version, or resync (PROTOCOL.md §37).',
    request: { body: indexChangesRequestSchema, contentType: FEDERATION.mediaType },
    responses: { 200: { description: 'delta or resync', schema: indexChangesWireSchema, contentType: FEDERATION.mediaType } },
  },
  {
    method: 'post', path: '/federation/v2/index/snapshot', operationId: 'federationIndexSnapshot', tags: ['federation'], access: 'peer', summary: 'One page of a full index snapshot by shard range, as of a version (PROTOCOL.md §37).',
    request: { body: indexSnapshotRequestSchema, contentType: FEDERATION.mediaType },
    responses: { 200: { description: 'sorted packed fingerprints', schema: indexSnapshotPageSchema, contentType: FEDERATION.mediaType } },
  },
  // Retired v1 paths (cairn/1 match and confirmation, early index routes): kept only to tell the peer which version this node speaks.
  ...FEDERATION.retiredPaths.map(
    (path): RouteSpec => ({
      method: 'post', path, operationId: retiredOperationId(path), tags: ['federation'], access: 'public',
      summary: 'Retired (not cairn/2): always 400 protocol_version_unsupported, naming cairn/2.',
      responses: { 400: problem('protocol_version_unsupported') },
    }),
  ),
  { method: 'post', path: '/federation/v1/audit/checkpoint', operationId: 'federationCheckpoint', tags: ['federation'], access: 'peer', summary: 'Latest checkpoint.', responses: { 200: { description: 'checkpoint', schema: z.object({ checkpoint: z.string() }) } } },
  {
    method: 'post', path: '/federation/v1/audit/consistency', operationId: 'federationConsistency', tags: ['federation'], access: 'peer', summary: 'Consistency proof for witnessing.',
    request: { body: consistencyQuerySchema }, responses: { 200: { description: 'proof', schema: consistencyProofSchema } },
  },
  {
    method: 'post', path: '/federation/v1/audit/cosignature', operationId: 'federationCosignature', tags: ['federation'], access: 'peer', summary: 'A witness returns its cosignature on a checkpoint of this node it verified (PROTOCOL.md §45).',
    request: { body: cosignatureRequestSchema }, responses: { 200: { description: 'stored: the tree size it covers', schema: z.object({ size: z.number().int() }) } },
  },
  {
    method: 'post', path: '/federation/v1/audit/inclusion', operationId: 'federationInclusion', tags: ['federation'], access: 'peer', summary: 'Inclusion proof for reconciliation (entry text only for the asker\'s own entries).',
    request: { body: inclusionQuerySchema }, responses: { 200: { description: 'proof', schema: inclusionProofSchema } },
  },
];

/** Problem responses every route may return. */
export const commonResponses = {
  400: problem('Malformed request (bad JSON, invalid field)'),
  404: problem('Unknown route or resource'),
  413: problem('Request body over the limit'),
  500: problem('Internal error (details only in the node log, by request id)'),
};

export const authResponses = {
  401: problem('Missing or unknown API token'),
  403: problem('The token\'s role may not use this route'),
};
