/**
 * Streaming a file as numbered lines with constant memory: bytes are split
 * on LF, each line is decoded as strict UTF-8 on its own (so one bad line is
 * one rejected row, not a failed import), and over-long lines are skipped
 * without being buffered.
 */
import { createReadStream } from 'node:fs';

export type Line =
  | { kind: 'line'; row: number; text: string; bytesRead: number }
  | { kind: 'bad'; row: number; reason: string; bytesRead: number };

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Position of the first byte that does not begin a valid UTF-8 sequence
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), for
 * the error message: in "Müller" written in Windows-1252 it is the ü.
 */
function firstBadUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    // Sequence length and the range of its second byte (the rest are 0x80–0xBF).
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b < 0x80) n = 1;
    else if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n;
  }
  return bytes.length;
}

export async function* readLines(file: string, maxLineBytes: number): AsyncGenerator<Line> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let parts: Buffer[] = [];
  let partLen = 0;
  let skipping = false;
  let row = 0;
  let bytesRead = 0;
  const emit = (buf: Buffer): Line => {
    row++;
    let b: Uint8Array = buf;
    if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    if (row === 1 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    try {
      return { kind: 'line', row, text: decoder.decode(b), bytesRead };
    } catch {
      const at = firstBadUtf8(b);
      const hex = b[at]?.toString(16).toUpperCase().padStart(2, '0') ?? '';
      // A lone byte from 0x80 up is how Windows-1252 and ISO 8859 write ä, é, ñ, ł…: Excel's plain "CSV".
      return { kind: 'bad', row, reason: `not valid UTF-8 (byte 0x${hex} at column ${at + 1}: was the file saved in a legacy encoding such as Windows-1252?); save the file as UTF-8`, bytesRead };
    }
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    bytesRead += chunk.length;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!skipping) {
        const piece = chunk.subarray(start, end);
        if (partLen + piece.length > maxLineBytes) {
          skipping = true;
          parts = [];
          partLen = 0;
        } else {
          parts.push(piece);
          partLen += piece.length;
        }
      }
      if (nl === -1) break;
      if (skipping) {
        row++;
        yield { kind: 'bad', row, reason: `line longer than ${maxLineBytes} bytes; skipped`, bytesRead };
        skipping = false;
      } else {
        const line = parts.length === 1 ? parts[0]! : Buffer.concat(parts, partLen);
        parts = [];
        partLen = 0;
        yield emit(line);
      }
      start = nl + 1;
    }
  }
  if (skipping) {
    row++;
    yield { kind: 'bad', row, reason: `line longer than ${maxLineBytes} bytes; skipped`, bytesRead };
  } else if (partLen > 0) {
    yield emit(parts.length === 1 ? parts[0]! : Buffer.concat(parts, partLen));
  }
}
