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

/** Position of the first invalid UTF-8 byte, for the error message. */
function firstBadUtf8(bytes: Uint8Array): number {
  for (let end = 1; end <= bytes.length; end++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
    } catch {
      return end - 1;
    }
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
      return { kind: 'bad', row, reason: `not valid UTF-8 (first bad byte at column ${firstBadUtf8(b) + 1}); save the file as UTF-8`, bytesRead };
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
