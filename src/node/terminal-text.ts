/**
 * Text from a peer or the database, made safe to print on a terminal.
 *
 * Attacker-controlled: a peer chooses its name and the fields of its
 * receipts, and rows stored before today's rules may hold anything. Raw
 * control characters would let that text move the cursor, clear the screen,
 * hide a line, draw a hyperlink or forge a line of our own output (say, a
 * fake fingerprint); bidi overrides would make it read otherwise than it
 * is. Every command prints such text through `terminalSafe` (or
 * `terminalJson` for --json output), so it reaches the screen as visible
 * escapes, never as raw characters.
 */

/**
 * What is never printed raw: control characters (C0, DEL, C1), bidi
 * embeddings, overrides, isolates and marks, and the Unicode line and
 * paragraph separators.
 */
const UNSAFE = /[\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/** A character as a visible escape: `\x1b` below U+0100, `\u{202e}` above. */
function visible(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

/** `s` with every control and bidi character shown as a visible escape (`ESC` as `\x1b`), never emitted raw. */
export function terminalSafe(s: unknown): string {
  return String(s).replace(UNSAFE, visible);
}

/** `s` made terminalSafe line by line: the line breaks a message of ours is written with stay, nothing else unsafe does. */
export function terminalLines(s: unknown): string {
  return String(s)
    .split('\n')
    .map((line) => terminalSafe(line))
    .join('\n');
}

/** The unsafe characters JSON.stringify leaves raw (it escapes C0 itself). */
const UNSAFE_IN_JSON = /[\u007F-\u009F\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/**
 * JSON for a terminal: JSON.stringify already escapes C0 controls; the rest
 * of the unsafe set (DEL, C1, bidi, separators) becomes `\uXXXX` too, which
 * is still valid JSON for the same value.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `io` with every string it prints made terminalSafe, whole: a line with a
 * newline a peer put in it stays one line. JSON goes to the unwrapped `io`
 * through terminalJson, whose layout needs its newlines.
 */
export function terminalOut(io: { out: (s: string) => void; err: (s: string) => void }): { out: (s: string) => void; err: (s: string) => void } {
  return { out: (s) => io.out(terminalSafe(s)), err: (s) => io.err(terminalSafe(s)) };
}
