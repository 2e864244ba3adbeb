/**
 * Text a peer wrote, made fit to show and to store: what reaches an
 * analyst's screen, a search result or a log line must not carry terminal
 * escapes, line breaks or direction overrides a peer chose.
 * Attacker-controlled input.
 */

/** C0 and C1 controls, DEL, zero-width and bidirectional formatting characters. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** `text` with every control and formatting character replaced by a space, at most `max` characters. */
export function printable(text: string, max: number): string {
  const clean = text.replace(UNPRINTABLE, ' ');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** A problem code as RFC 9457 problems of Cairn spell them: lower-case words joined by `_`. */
export const PROBLEM_CODE = /^[a-z][a-z0-9_]{0,63}$/;
