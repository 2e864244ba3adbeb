/**
 * The RFC 9497 ciphersuite Cairn uses for every token: OPRF(ristretto255,
 * SHA-512), identifier "ristretto255-SHA512" (RFC 9497 §4.1), always in
 * VOPRF mode (0x01). This module builds the context string and the
 * domain-separation tags from the `OPRF` constants, once.
 *
 * Misuse to avoid: a token computed under another mode or suite is a
 * different PRF. Never mix modes for the same key; peers would see no hits.
 */
import { concatBytes, utf8 } from '../bytes.js';
import { OPRF } from '../constants.js';

/** An RFC 9497 protocol variant. */
export type OprfMode = keyof typeof OPRF.modes;

/**
 * contextString = "OPRFV1-" || I2OSP(mode, 1) || "-" || identifier.
 * https://www.rfc-editor.org/rfc/rfc9497#section-3.1
 */
export function contextString(mode: OprfMode): Uint8Array {
  return concatBytes(utf8(OPRF.contextPrefix), Uint8Array.of(OPRF.modes[mode]), utf8('-' + OPRF.suite));
}

/** The context string of the VOPRF mode, the only mode Cairn tokens use. */
export const VOPRF_CONTEXT: Uint8Array = contextString('voprf');

/**
 * DST of HashToGroup for the VOPRF mode: "HashToGroup-" || contextString.
 * https://www.rfc-editor.org/rfc/rfc9497#section-4.1
 */
export const VOPRF_HASH_TO_GROUP_DST: Uint8Array = concatBytes(utf8(OPRF.labels.hashToGroup), VOPRF_CONTEXT);
