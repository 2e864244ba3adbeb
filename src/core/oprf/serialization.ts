/**
 * Wire forms of the ristretto255-SHA512 suite (RFC 9497 §4.1):
 *
 *   Element  32 bytes  canonical ristretto255 encoding (RFC 9496 §4.3.2)
 *   Scalar   32 bytes  little-endian integer in [0, L), L the group order
 *   Proof    64 bytes  Scalar c || Scalar s (RFC 9497 §2.2)
 *
 * Everything decoded here may come from a peer: attacker-controlled, parsed
 * defensively. Elements must be canonical and not the identity (RFC 9497
 * §3.3: "applications MUST reject ... the group identity element").
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { OPRF } from '../constants.js';
import { oprfError, requireBytes, type OprfField } from './checks.js';

/** A ristretto255 group element (noble-curves point). */
export type RistrettoPoint = InstanceType<typeof ristretto255.Point>;

const { Point } = ristretto255;
const Fn = Point.Fn;

/**
 * DeserializeElement: decode a canonical, non-identity ristretto255 element.
 * Fails with `oprf_invalid_element` on wrong length, a non-canonical or
 * invalid encoding, or the identity.
 * https://www.rfc-editor.org/rfc/rfc9497#section-4.1
 */
export function deserializeElement(bytes: unknown, field: OprfField = 'element'): RistrettoPoint {
  const b = requireBytes(bytes, field, OPRF.elementSize, 'oprf_invalid_element');
  let point: RistrettoPoint;
  try {
    // RFC 9496 §4.3.1 decode rejects non-canonical field encodings, negative s, and non-square cases.
    point = Point.fromBytes(b);
  } catch (cause) {
    throw oprfError('oprf_invalid_element', field, 'not a canonical ristretto255 encoding', cause);
  }
  if (point.is0()) throw oprfError('oprf_invalid_element', field, 'is the identity element');
  return point;
}

/** Check that bytes are a valid serialized element; returns them unchanged. */
export function requireElement(bytes: unknown, field: OprfField = 'element'): Uint8Array {
  deserializeElement(bytes, field);
  return bytes as Uint8Array;
}

/** SerializeElement: the 32-byte canonical encoding. */
export function serializeElement(point: RistrettoPoint): Uint8Array {
  return point.toBytes();
}

/**
 * DeserializeScalar: a 32-byte little-endian integer strictly below the group
 * order. `nonzero` additionally rejects 0 (secret keys and blinds).
 * https://www.rfc-editor.org/rfc/rfc9497#section-4.1
 */
export function deserializeScalar(
  bytes: unknown,
  field: OprfField = 'scalar',
  opts: { nonzero?: boolean; code?: 'oprf_invalid_input' | 'oprf_proof_invalid' } = {},
): bigint {
  const code = opts.code ?? 'oprf_invalid_input';
  const b = requireBytes(bytes, field, OPRF.scalarSize, code);
  const n = bytesToNumberLE(b);
  if (n >= Fn.ORDER) throw oprfError(code, field, 'not a canonical scalar (not below the group order)');
  if (opts.nonzero === true && n === 0n) throw oprfError(code, field, 'is zero');
  return n;
}

/** SerializeScalar: 32 bytes little-endian. */
export function serializeScalar(scalar: bigint): Uint8Array {
  return Fn.toBytes(Fn.create(scalar));
}

/**
 * Check a DLEQ proof's shape: 64 bytes, two canonical scalars c || s.
 * Whether it verifies is decided in the client. Fails with `oprf_proof_invalid`.
 * https://www.rfc-editor.org/rfc/rfc9497#section-2.2
 */
export function requireProof(bytes: unknown, field = 'proof'): Uint8Array {
  const b = requireBytes(bytes, field, OPRF.proofSize, 'oprf_proof_invalid');
  deserializeScalar(b.subarray(0, OPRF.scalarSize), `${field}.c`, { code: 'oprf_proof_invalid' });
  deserializeScalar(b.subarray(OPRF.scalarSize), `${field}.s`, { code: 'oprf_proof_invalid' });
  return b;
}
