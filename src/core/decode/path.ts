/**
 * Request paths: a percent-encoding that does not decode (a stray `%`, a
 * truncated escape, bytes that are not UTF-8) is the client's error, named
 * as such, never a 500. Attacker-controlled input.
 */
import { CairnError } from '../errors.js';

/** Throws invalid_request when `pathname` holds a malformed percent-encoding (RFC 3986 §2.1, UTF-8). */
export function checkPathEncoding(pathname: string): void {
  try {
    decodeURIComponent(pathname);
  } catch (cause) {
    const at = pathname.search(/%(?![0-9A-Fa-f]{2})/);
    throw new CairnError('invalid_request', `the request path has a malformed percent-encoding${at >= 0 ? ` at position ${at}` : ' (the escaped bytes are not UTF-8)'}`, {
      location: { field: 'path', ...(at >= 0 ? { position: at } : {}) },
      cause,
    });
  }
}
