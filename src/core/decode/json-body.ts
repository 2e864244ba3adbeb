/**
 * Reading request bodies: enforce the size limit while streaming, decode
 * strict UTF-8, parse JSON with the failing position reported, then validate
 * with zod, naming the field. Attacker-controlled input: parse defensively.
 */
import type { z } from 'zod';
import { concatBytes } from '../bytes.js';
import { CairnError } from '../errors.js';
import { locateJsonError, locateStrictJsonIssue, type JsonSyntaxError } from './json-locate.js';

/** Read at most `limit` bytes of a request or response body; throws body_too_large beyond. */
export async function readBody(req: { headers: Headers; body: ReadableStream<Uint8Array> | null }, limit: number): Promise<Uint8Array> {
  return collectBody(req.body === null ? [] : chunksOf(req.body), req.headers.get('content-length'), limit);
}

/**
 * Collect a body's chunks, at most `limit` bytes; throws body_too_large
 * beyond, before reading on when the declared length already says so.
 * Stopping early closes `chunks` (its iterator's return): the rest is never read.
 * Runtimes with a body stream of their own (Node's request) call it directly.
 */
export async function collectBody(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, declaredLength: string | null | undefined, limit: number): Promise<Uint8Array> {
  if (declaredLength !== null && declaredLength !== undefined && Number(declaredLength) > limit) {
    throw new CairnError('body_too_large', `request body of ${declaredLength} bytes exceeds the limit of ${limit} bytes`);
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  for await (const value of chunks) {
    total += value.length;
    if (total > limit) throw new CairnError('body_too_large', `request body exceeds the limit of ${limit} bytes`);
    parts.push(value);
  }
  // A copy of its own: a runtime's chunks may be views into a larger buffer (Node's socket reads).
  return concatBytes(...parts);
}

/** A Web stream's chunks; cancels the stream when the reader stops before its end. */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      yield value;
    }
  } finally {
    if (!ended) await reader.cancel().catch(() => {});
  }
}

/** Line and column (1-based) of a character offset. */
function lineColumn(text: string, position: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < position && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: position - last };
}

/**
 * Parse JSON text, refusing what I-JSON (RFC 7493) refuses: duplicate member
 * names and escaped lone surrogates (json-locate.ts). On failure the error
 * names the offset, line and column, never the text.
 */
export function parseJsonText(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw malformed(text, locateJsonError(text) ?? { position: text.length, reason: 'invalid JSON' }, cause);
  }
  // Only an object can repeat a name, only an escape can be a lone surrogate.
  if (text.includes('{') || text.includes('\\u')) {
    const issue = locateStrictJsonIssue(text);
    if (issue !== undefined) throw malformed(text, issue);
  }
  return value;
}

function malformed(text: string, found: JsonSyntaxError, cause?: unknown): CairnError {
  const { line, column } = lineColumn(text, found.position);
  return new CairnError('malformed_json', `malformed JSON at position ${found.position} (line ${line}, column ${column}): ${found.reason}`, {
    location: { position: found.position },
    details: { line, column },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Strict UTF-8 decoding of a body; invalid bytes are the client's error (malformed_json, 400). */
export function decodeUtf8Body(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new CairnError('malformed_json', 'request body is not valid UTF-8', { cause });
  }
}

/** Read, decode and parse a JSON body, then validate it with a zod schema. */
export async function readJson<T extends z.ZodType>(req: Request, limit: number, schema: T): Promise<z.infer<T>> {
  const ct = req.headers.get('content-type') ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\b/i.test(ct)) {
    throw new CairnError('unsupported_media_type', `expected content-type application/json, got ${ct === '' ? 'none' : JSON.stringify(ct)}`);
  }
  const bytes = await readBody(req, limit);
  return validate(schema, parseJsonText(decodeUtf8Body(bytes)));
}

/** Validate a value with zod, turning issues into one invalid_request error listing every field. */
export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  return validateAs(schema, value, 'field');
}

/**
 * Validate a request's query parameters (`c.req.query()`) with a strict
 * zod object: an unknown or misspelt parameter is named as itself.
 */
export function validateQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  return validateAs(schema, query, 'query parameter');
}

function validateAs<T extends z.ZodType>(schema: T, value: unknown, what: 'field' | 'query parameter'): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  // An unknown key is named by itself, not by the object holding it.
  const errors = r.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ field: formatPath([...i.path, k]), message: `unknown ${what}` })) : [{ field: formatPath(i.path), message: i.message }],
  );
  const first = errors[0]!;
  throw new CairnError('invalid_request', `${first.field}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, {
    location: { field: first.field },
    details: { errors },
  });
}

/** `a.b[0].c` style path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(body)' : s;
}
