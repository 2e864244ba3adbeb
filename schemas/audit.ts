/**
 * The audit log's API contract: DPO filters, proofs and checkpoints.
 */
import { z } from 'zod';

export const AUDIT_EVENT_TYPES = [
  'records.import',
  'records.delete',
  'records.purge',
  'users.add',
  'users.revoke',
  'peers.add',
  'peers.update',
  'peers.remove',
  'peers.revoke',
  'peers.key_rotated',
  'peers.repin_required',
  'keys.rotate',
  'search.outgoing',
  'match.incoming',
  'match.denied',
  'hit.confirm.incoming',
  'hit.confirm.outgoing',
  'witness.checkpoint',
  'witness.alert',
  'index.head',
  'index.sync',
  'keys.oprf.rotate',
  'keys.oprf.activate',
  'keys.oprf.destroy',
  'peers.oprf_key',
  'audit.read',
  'audit.export',
  'audit.prune',
  'console.signin',
  'console.signout',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const auditFilterSchema = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().describe('entries at or after this time'),
    to: z.iso.datetime({ offset: true }).optional().describe('entries before this time'),
    type: z.enum(AUDIT_EVENT_TYPES).optional(),
    actor: z.string().max(200).optional(),
    user: z.string().max(100).optional().describe('local user id (actor user:<id>)'),
    peer: z.string().max(128).optional().describe('peer node id or country code'),
    purpose: z.string().max(64).optional(),
    caseReference: z.string().max(128).optional(),
    cursor: z.coerce.number().int().min(0).optional().describe('continue after this entry index'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict()
  // An empty range is a mistake (from and to swapped), not "no entries".
  .refine((f) => f.from === undefined || f.to === undefined || Date.parse(f.from) < Date.parse(f.to), { path: ['to'], message: 'must be after from (the range is empty: from and to swapped?)' })
  .meta({ id: 'AuditFilter' });

export type AuditFilter = z.infer<typeof auditFilterSchema>;

export const auditEntrySchema = z
  .object({
    idx: z.number().int(),
    at: z.string(),
    type: z.string(),
    actor: z.string(),
    data: z.record(z.string(), z.unknown()).nullable().describe('null once pruned by retention'),
    leafHash: z.string().describe('hex RFC 6962 leaf hash'),
  })
  .meta({ id: 'AuditEntry' });

export const auditPageSchema = z.object({ entries: z.array(auditEntrySchema), next: z.number().int().nullable() }).meta({ id: 'AuditPage' });

const size = (what: string) => z.coerce.number().int().min(0).describe(what);
export const inclusionQuerySchema = z.object({ index: size('leaf index'), size: size('tree size') }).strict().meta({ id: 'InclusionQuery' });
export const consistencyQuerySchema = z.object({ from: size('older tree size'), to: size('newer tree size') }).strict().meta({ id: 'ConsistencyQuery' });

export const inclusionProofSchema = z
  .object({
    leafIndex: z.number().int(),
    treeSize: z.number().int(),
    leafHash: z.string().describe('standard base64'),
    hashes: z.array(z.string()).describe('standard base64, RFC 9162 §2.1.3 order'),
    entry: z.string().nullable().describe('canonical JSON of the entry (peers: only their own entries)'),
  })
  .meta({ id: 'InclusionProof' });

export const consistencyProofSchema = z
  .object({ size1: z.number().int(), size2: z.number().int(), hashes: z.array(z.string()) })
  .meta({ id: 'ConsistencyProof' });

export const checkpointSchema = z
  .object({ size: z.number().int(), root: z.string(), checkpoint: z.string().describe('C2SP signed note') })
  .meta({ id: 'Checkpoint' });

export const verifyReportSchema = z
  .object({
    ok: z.boolean(),
    size: z.number().int(),
    checkpoints: z.number().int(),
    cosignatures: z.number().int().describe("peers' cosignatures on this node's checkpoints, checked like its own"),
    uncovered: z.number().int().describe('entries after the largest signed or cosigned size: not yet covered by a checkpoint'),
    pruned: z.number().int(),
    problem: z.object({ index: z.number().int().optional(), size: z.number().int().optional(), message: z.string() }).optional(),
  })
  .meta({ id: 'VerifyReport' });

/** A peer's cosignature on one of our checkpoints (PROTOCOL.md §45): our note with its cosignature line added. */
/** `POST /v1/audit/reconcile`: the peer, by node id or country code. */
export const reconcileRequestSchema = z
  .object({ peer: z.string().min(1).max(128).describe('peer node id or country code') })
  .strict()
  .meta({ id: 'ReconcileRequest' });

export const cosignatureRequestSchema = z
  .object({ checkpoint: z.string().min(1).max(8192) })
  .strict()
  .meta({ id: 'CosignatureRequest' });
