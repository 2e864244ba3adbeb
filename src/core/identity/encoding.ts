/**
 * Canonical byte encoding of a match key (protocol/10-identifiers.md,
 * "Encoding"). Two nodes that derive the same key must produce the same
 * bytes, because the bytes are what gets OPRF-evaluated and bucketed.
 *
 *   struct {
 *     opaque prefix[8] = "cairn-mk";   // domain separation from every other hash input
 *     uint8  version;                  // MATCH_KEYS.version
 *     uint8  type_id;                  // MATCH_KEYS.types[*].id
 *     Field  fields[n];                // n fixed by type_id
 *   } EncodedMatchKey;
 *   struct { uint16 length; opaque value[length]; } Field;   // big-endian length
 *
 * String fields are UTF-8 (after normalisation they are ASCII except e-mail
 * local parts, handles and document numbers, which are NFKC).
 */
import { concatBytes, i2osp, utf8 } from '../bytes.js';
import { CairnError } from '../errors.js';
import { MATCH_KEYS } from '../constants.js';

const PREFIX = utf8(MATCH_KEYS.prefix);

/** Encode a key of type `typeId` from its fields, in the type's field order. */
export function encodeMatchKey(typeId: number, fields: readonly (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [PREFIX, i2osp(MATCH_KEYS.version, 1), i2osp(typeId, 1)];
  for (const f of fields) {
    const b = typeof f === 'string' ? utf8(f) : f;
    if (b.length > 0xffff) throw new RangeError('match key field longer than 65535 bytes');
    parts.push(i2osp(b.length, 2), b);
  }
  return concatBytes(...parts);
}

/** The parts of an encoded key. */
export interface DecodedMatchKey {
  version: number;
  typeId: number;
  fields: Uint8Array[];
}

/** Split an encoded key into version, type id and raw fields; strict. */
export function decodeMatchKey(encoded: Uint8Array): DecodedMatchKey {
  const fail = (why: string) => new CairnError('invalid_request', `match key: ${why}`, { location: { field: 'matchKey' } });
  if (encoded.length < PREFIX.length + 2) throw fail('too short');
  for (let i = 0; i < PREFIX.length; i++) if (encoded[i] !== PREFIX[i]) throw fail('wrong prefix');
  const version = encoded[PREFIX.length]!;
  const typeId = encoded[PREFIX.length + 1]!;
  const fields: Uint8Array[] = [];
  let off = PREFIX.length + 2;
  while (off < encoded.length) {
    if (off + 2 > encoded.length) throw fail('truncated field length');
    const len = (encoded[off]! << 8) | encoded[off + 1]!;
    off += 2;
    if (off + len > encoded.length) throw fail('truncated field');
    fields.push(encoded.slice(off, off + len));
    off += len;
  }
  return { version, typeId, fields };
}
