/**
 * Records as national systems hand them to a node. Only the reference,
 * category, owning unit, contact point and dates are stored; the identifiers
 * are turned into tokens and dropped.
 */
import { z } from 'zod';

export const RECORD_CATEGORIES = [
  'convicted_offender',
  'suspect',
  'identified_victim',
  'missing_child',
  'unaccompanied_minor',
  'child_at_risk',
] as const;

export const recordCategorySchema = z.enum(RECORD_CATEGORIES);
export type RecordCategory = z.infer<typeof recordCategorySchema>;

/** No control character (Unicode Cc: C0, DEL, C1): text that reaches terminals and web pages. */
export const NO_CONTROL = /^[^\p{Cc}]*$/u;
const noControl = NO_CONTROL;

/**
 * Bidirectional embedding, override and isolate controls (U+202A–U+202E,
 * U+2066–U+2069): they make text read otherwise than it is stored
 * ("\u202emoc.live@ksed" shows as "desk@evil.com").
 */
export const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * Text a peer sends that operators and analysts read (terminal, console):
 * 1 to `max` characters, no control character, no bidi override or isolate.
 * Not trimmed: what was signed is what is shown.
 */
export const peerText = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .regex(NO_CONTROL, 'must not contain control characters')
    .refine((s) => !BIDI_CONTROL.test(s), 'must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)');

/** The record fields a hit receipt carries too, with their limits: one rule for imports and receipts. */
export const RECORD_TEXT = {
  ref: { max: 128, pattern: /^[A-Za-z0-9._:/#-]+$/, patternMessage: 'may contain only letters, digits and . _ : / # -' },
  owningUnit: { max: 200 },
  contactPoint: { max: 300 },
} as const;

/** YYYY-MM-DD that names a real calendar day. */
export const isoDate = z
  .string()
  // A value in another form is not also "not a real calendar date": one reason, the one that helps.
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date as YYYY-MM-DD', abort: true })
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, 'is not a real calendar date');

/** The record fields around the identifiers (validated before the identifiers). */
export const recordEnvelopeSchema = z
  .object({
    ref: z
      .string()
      .min(1, 'must not be empty')
      .max(RECORD_TEXT.ref.max, `must be at most ${RECORD_TEXT.ref.max} characters`)
      .regex(RECORD_TEXT.ref.pattern, RECORD_TEXT.ref.patternMessage),
    category: z.enum(RECORD_CATEGORIES, { error: `must be one of ${RECORD_CATEGORIES.join(', ')}` }),
    // What a receipt discloses to a peer, which refuses it with a control or bidi character (peerText): refused here first.
    owningUnit: z.string().trim().pipe(peerText(RECORD_TEXT.owningUnit.max)),
    contactPoint: z.string().trim().pipe(peerText(RECORD_TEXT.contactPoint.max)),
    recordDate: isoDate,
    retentionUntil: isoDate,
    identifiers: z.unknown(),
  })
  .strict();

export type RecordEnvelope = z.infer<typeof recordEnvelopeSchema>;

export const recordsBatchSchema = z
  .object({
    records: z.array(z.unknown()).min(1, 'must hold at least one record').max(1000, 'at most 1000 records per request'),
  })
  .strict()
  .meta({ id: 'RecordsBatch' });

export const rowErrorSchema = z.object({
  row: z.number().int().describe('1-based position in the batch or file'),
  ref: z.string().optional(),
  field: z.string(),
  reason: z.string(),
});

export const importSummarySchema = z
  .object({
    imported: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(rowErrorSchema),
  })
  .meta({ id: 'ImportSummary' });

export const recordStatsSchema = z
  .object({
    records: z.number().int(),
    tokens: z.number().int(),
    byCategory: z.record(z.string(), z.number().int()),
    byMatchKeyType: z.record(z.string(), z.number().int()),
  })
  .meta({ id: 'RecordStats' });

/** Bulk import over HTTP: a client-chosen id, safe in a URL path. */
export const importIdSchema = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'must be 8 to 64 letters, digits, _ or -');

/** One chunk's outcome (PUT /v1/imports/{importId}/chunks/{seq}). */
export const importChunkResultSchema = z
  .object({
    importId: importIdSchema,
    seq: z.number().int().min(0),
    rows: z.number().int(),
    imported: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    errors: z.array(rowErrorSchema).describe('row = 1-based line in the chunk'),
    replayed: z.boolean().describe('true when the chunk had been applied before and was only acknowledged'),
    searches: z.number().int().optional().describe('searches fired by federation.searchOnRegistration'),
  })
  .meta({ id: 'ImportChunkResult' });

/** Where a bulk import stands (GET /v1/imports/{importId}, POST …/complete). */
export const importStateSchema = z
  .object({
    importId: importIdSchema,
    chunks: z.number().int(),
    nextSeq: z.number().int().describe('the lowest seq not applied yet: where a client resumes'),
    rows: z.number().int(),
    imported: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    completed: z.boolean(),
    completedAt: z.string().nullable(),
  })
  .meta({ id: 'ImportState' });
