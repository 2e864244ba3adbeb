/**
 * Shared building blocks of the API contract.
 */
import { z } from 'zod';

/** ISO 3166-1 alpha-2 shape; membership in the code list is checked where the list is needed. */
export const countryCode = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case, e.g. "DE"')
  .describe('ISO 3166-1 alpha-2 country code');

/** base64url without padding (RFC 4648 §5). */
export const base64url = (bytes?: number) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]*$/, 'must be base64url without padding')
    .refine((s) => bytes === undefined || s.length === Math.ceil((bytes * 4) / 3), {
      message: `must encode exactly ${bytes} bytes`,
    });

/** Lowercase hex of SHA-256 (key ids). */
export const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits');

/** RFC 3339 timestamp in UTC. */
export const timestamp = z.iso.datetime({ offset: false }).describe('RFC 3339 timestamp, UTC');

/** RFC 9457 problem details as Cairn emits them. */
export const problemSchema = z
  .object({
    type: z.string().describe('urn:cairn:problem:<code>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    code: z.string().describe('stable machine-readable error code'),
    requestId: z.string().optional(),
    field: z.string().optional().describe('the input field at fault, when known'),
    row: z.number().int().optional(),
    position: z.number().int().optional().describe('0-based character offset in the body, for malformed JSON'),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

export type Problem = z.infer<typeof problemSchema>;
