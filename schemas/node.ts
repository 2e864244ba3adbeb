/**
 * The node descriptor: what a node publishes about itself at
 * /.well-known/cairn/node, inside a DSSE envelope signed by its Ed25519 key.
 */
import { z } from 'zod';
import { ED25519, KEYS, OPRF, PROTOCOL_VERSION } from '../src/core/constants.js';
import { base64url, countryCode, sha256Hex } from './common.js';
import { BIDI_CONTROL, peerText } from './records.js';

/**
 * Why `url` cannot be a node's base URL, or undefined when it can: an
 * absolute http(s) URL without user name, password, query or fragment, and
 * without spaces, control or bidi characters (the URL parser would drop or
 * encode them silently, so the text shown would not be the URL used).
 */
export function nodeBaseUrlProblem(url: string): string | undefined {
  if (url.length > 2048) return 'must be at most 2048 characters';
  if (/[\s\p{Cc}]/u.test(url) || BIDI_CONTROL.test(url)) return 'must not contain spaces, control or bidirectional characters';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return `must be an absolute http(s) URL, not ${u.protocol}`;
  if (u.hostname === '') return 'must name a host';
  if (u.username !== '' || u.password !== '') return 'must not carry a user name or password';
  if (url.includes('#')) return 'must not have a fragment (#…)';
  if (url.includes('?')) return 'must not have a query (?…)';
  return undefined;
}

/** A node's base URL (descriptor `baseUrl`, a peer's URL): the rule of nodeBaseUrlProblem. */
export const nodeBaseUrl = z
  .string()
  .superRefine((url, ctx) => {
    const problem = nodeBaseUrlProblem(url);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({ format: 'uri' })
  .describe('absolute http(s) URL, without credentials, query or fragment');

/** RFC 3339, UTC, whole seconds, `Z`: the descriptor's times (overview, "The node descriptor"). */
const wholeSeconds = z.iso.datetime({ offset: false, precision: 0 }).describe('RFC 3339 timestamp, UTC, whole seconds');

// Attacker-controlled until the operator compares the fingerprint, and shown
// to operators before that: its text carries no control or bidi character.
export const nodeDescriptorSchema = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION}: this node speaks no other protocol version` }),
    nodeId: peerText(128),
    country: countryCode,
    name: peerText(200),
    baseUrl: nodeBaseUrl,
    signingKey: z
      .object({
        algorithm: z.literal('Ed25519'),
        keyId: sha256Hex,
        publicKey: base64url(ED25519.publicKeySize),
      })
      .strict(),
    retiringSigningKeys: z
      .array(
        z
          .object({
            algorithm: z.literal('Ed25519'),
            keyId: sha256Hex,
            publicKey: base64url(ED25519.publicKeySize),
            overlapUntil: wholeSeconds,
          })
          .strict(),
      )
      .min(1)
      .max(KEYS.maxRetiringKeys)
      .optional()
      .describe('during a signing-key rotation: the key being retired, which also signs the envelope until overlapUntil (protocol/32-key-rotation.md)'),
    oprfKey: z
      .object({
        suite: z.literal('ristretto255-SHA512'),
        mode: z.literal('VOPRF'),
        keyId: sha256Hex,
        publicKey: base64url(OPRF.elementSize),
        epoch: z.number().int().min(1).optional().describe('the OPRF key epoch this key answers in (absent: 1); it grows by one at each activation'),
      })
      .strict(),
    matchKeyTypes: z.array(peerText(64)).max(64),
    issuedAt: wholeSeconds,
  })
  .strict()
  .meta({ id: 'NodeDescriptor' });

export type NodeDescriptor = z.infer<typeof nodeDescriptorSchema>;

export const dsseEnvelopeWire = z
  .object({
    payloadType: z.string(),
    payload: z.string().describe('standard base64 of the payload bytes'),
    signatures: z.array(z.object({ keyid: z.string(), sig: z.string().describe('standard base64 Ed25519 signature') })),
  })
  .meta({ id: 'DsseEnvelope' });

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    version: z.string(),
    nodeId: z.string(),
    country: countryCode,
    uptimeSeconds: z.number(),
    checks: z
      .object({
        database: z.enum(['ok', 'failing']),
        storage: z
          .enum(['ok', 'low', 'full'])
          .optional()
          .describe('room on the disk under the database, where the runtime sees it (Node): low under 256 MiB free; full under 16 MiB, when a write may be refused at any moment (status degraded, 503)'),
      })
      .describe('database: answers a query; storage: only on Node'),
  })
  .meta({ id: 'Health' });
