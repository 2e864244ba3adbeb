/**
 * The node descriptor: what a node publishes about itself at
 * /.well-known/cairn/node, inside a DSSE envelope signed by its Ed25519 key.
 */
import { z } from 'zod';
import { ED25519, KEYS, OPRF, PROTOCOL_VERSION } from '../src/core/constants.js';
import { base64url, countryCode, sha256Hex, timestamp } from './common.js';

export const nodeDescriptorSchema = z
  .object({
    protocol: z.literal(PROTOCOL_VERSION, { error: `must be ${PROTOCOL_VERSION}: this node speaks no other protocol version` }),
    nodeId: z.string().min(1).max(128),
    country: countryCode,
    name: z.string().min(1).max(200),
    baseUrl: z.url(),
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
            overlapUntil: timestamp,
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
    matchKeyTypes: z.array(z.string().min(1).max(64)).max(64),
    issuedAt: timestamp,
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
