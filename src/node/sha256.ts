/**
 * SHA-256 on OpenSSL for the core's hash port: several times faster than
 * the portable one on the index's 8 KiB groups of shard hashes, which a
 * delta rehashes by the hundred.
 */
import { createHash } from 'node:crypto';
import type { Sha256 } from '../core/ports.js';

export const nodeSha256: Sha256 = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.length);
};
