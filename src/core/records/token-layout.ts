/**
 * The layout of a stored token (protocol/25-storage.md): a token is the
 * RFC 9497 OPRF output (already a hash). A node lists a hash of the whole
 * token in its index (protocol/37-token-index.md) and keeps one slice of it
 * unlisted:
 *
 *   token[16..24)  confirm  never listed; proves, when a hit is confirmed,
 *                           that the asker computed the token itself
 *
 * The importer writes the confirmation bytes and the federation client
 * recomputes them; both take them from here. (Bytes 0..15 were the digest
 * that cairn/1 listed in bucket answers; the offset stays so tokens stored
 * before are confirmed the same way.)
 */

/** Where the confirmation bytes start in a token. */
export const TOKEN_CONFIRM_OFFSET = 16;
/** Bytes of a token that prove, when a hit is confirmed, that the asker computed it. */
export const TOKEN_CONFIRM_BYTES = 8;

/** The confirmation part of a token: bytes 16..23, never listed. */
export const tokenConfirm = (token: Uint8Array): Uint8Array => token.slice(TOKEN_CONFIRM_OFFSET, TOKEN_CONFIRM_OFFSET + TOKEN_CONFIRM_BYTES);
