/**
 * Byte helpers. The core passes Uint8Array everywhere; text encodings happen
 * only here and at the edges.
 */
import { CairnError } from './errors.js';

const te = new TextEncoder();
const td = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** UTF-8 encode a string. */
export const utf8 = (s: string): Uint8Array => te.encode(s);

/** Strict UTF-8 decode; throws on invalid sequences. */
export const fromUtf8 = (b: Uint8Array): string => td.decode(b);

/**
 * A blob column as a Uint8Array without copying it where it already is one:
 * better-sqlite3 gives each row's blob its own Buffer, D1 may give an
 * ArrayBuffer or an array of bytes (copied here).
 */
export function asBytes(blob: Uint8Array | ArrayBuffer | ArrayLike<number>): Uint8Array {
  return blob instanceof Uint8Array ? new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength) : new Uint8Array(blob);
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Constant-time equality for equal-length inputs (length itself is not secret). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Big-endian encoding of a non-negative integer in `n` bytes (I2OSP, RFC 8017 §4.1). */
export function i2osp(value: number, n: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * n)) {
    throw new RangeError(`i2osp: ${value} does not fit in ${n} bytes`);
  }
  const out = new Uint8Array(n);
  for (let i = n - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

const HEX = '0123456789abcdef';

/** Lower-case hex. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]! >> 4]! + HEX[b[i]! & 15]!;
  return s;
}

/** Parse hex (either case); throws a typed error naming `field`. */
export function fromHex(s: string, field = 'hex'): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) {
    throw new CairnError('invalid_request', `${field}: not a hex string`, { location: { field } });
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_LOOKUP = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  t['-'.charCodeAt(0)] = 62;
  t['_'.charCodeAt(0)] = 63;
  return t;
})();

function encode64(b: Uint8Array, url: boolean): string {
  const alpha = url ? B64.slice(0, 62) + '-_' : B64;
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += alpha[n >> 18]! + alpha[(n >> 12) & 63]! + alpha[(n >> 6) & 63]! + alpha[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    s += alpha[n >> 18]! + alpha[(n >> 12) & 63]! + (url ? '' : '==');
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    s += alpha[n >> 18]! + alpha[(n >> 12) & 63]! + alpha[(n >> 6) & 63]! + (url ? '' : '=');
  }
  return s;
}

function decode64(s: string, url: boolean, field: string): Uint8Array {
  const bad = () => new CairnError('invalid_request', `${field}: not valid ${url ? 'base64url' : 'base64'}`, { location: { field } });
  let str = s;
  if (!url) {
    if (str.length % 4 !== 0) throw bad();
    const pad = str.endsWith('==') ? 2 : str.endsWith('=') ? 1 : 0;
    str = str.slice(0, str.length - pad);
    if (str.includes('=')) throw bad();
  }
  if (str.length % 4 === 1) throw bad();
  const out = new Uint8Array(Math.floor((str.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < str.length; i++) {
    const c = str.charCodeAt(i);
    const ch = str[i]!;
    if (url ? ch === '+' || ch === '/' : ch === '-' || ch === '_') throw bad();
    const v = c < 128 ? B64_LOOKUP[c]! : -1;
    if (v < 0) throw bad();
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Reject non-canonical trailing bits so each byte string has one encoding.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw bad();
  return out;
}

/** Standard base64 with padding (RFC 4648 §4). */
export const toBase64 = (b: Uint8Array): string => encode64(b, false);
/** Parse standard padded base64; strict. */
export const fromBase64 = (s: string, field = 'base64'): Uint8Array => decode64(s, false, field);
/** base64url without padding (RFC 4648 §5). */
export const toBase64Url = (b: Uint8Array): string => encode64(b, true);
/** Parse unpadded base64url; strict. */
export const fromBase64Url = (s: string, field = 'base64url'): Uint8Array => decode64(s, true, field);
