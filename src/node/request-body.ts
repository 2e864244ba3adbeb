/**
 * Request bodies on Node: read from the IncomingMessage that
 * @hono/node-server hands the app as `c.env.incoming`. Reaching for
 * `c.req.raw.body` instead makes the server build a full Request, an
 * AbortController and a Web stream over the socket, which cost a peer-facing
 * answer more CPU than reading its kilobyte or two.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { collectBody, readBody } from '../core/decode/json-body.js';
import type { Env } from '../http/context.js';

export async function readIncomingBody(c: Context<Env>, limit: number): Promise<Uint8Array> {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Not served by @hono/node-server (app.request() in tests): the Request's own body.
  if (incoming === undefined) return readBody(c.req.raw, limit);
  return collectBody(incoming, incoming.headers['content-length'], limit);
}
