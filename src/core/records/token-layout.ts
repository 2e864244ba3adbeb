/**
 * The layout of a stored token (protocol/25-storage.md): a token is the
 * RFC 9497 OPRF output (already a hash), of which a node keeps two parts.
 *
 *   token[0..16)   digest   listed in bucket answers, compared in matching
 *   token[16..24)  confirm  never listed; proves, when a hit is confirmed,
 *                           that the asker computed the token itself
 *
 * The importer writes these parts and the federation client recomputes
 * them; both take them from here.
 */

/** Bytes of a token listed in bucket answers and compared in matching. */
export const TOKEN_DIGEST_BYTES = 16;
/** Bytes of a token that prove, when a hit is confirmed, that the asker computed it. */
export const TOKEN_CONFIRM_BYTES = 8;

/** The listed part of a token: its first 16 bytes. */
export const tokenDigest = (token: Uint8Array): Uint8Array => token.slice(0, TOKEN_DIGEST_BYTES);
/** The confirmation part of a token: bytes 16..23, never listed. */
export const tokenConfirm = (token: Uint8Array): Uint8Array => token.slice(TOKEN_DIGEST_BYTES, TOKEN_DIGEST_BYTES + TOKEN_CONFIRM_BYTES);
