/**
 * The Node runtime's outgoing fetch (src/node/peer-fetch.ts) against a real
 * node:http server on loopback: bytes and headers as sent, kept-alive
 * sockets, an answer's body that streams (so readBody's limit stops a peer
 * that sends too much, and the socket goes), timeouts, no redirects followed,
 * and the runtime's fetch for anything else.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody } from '../src/core/decode/json-body.js';
import { isCairnError } from '../src/core/errors.js';
import { createNodeFetch } from '../src/node/peer-fetch.js';

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

describe('node fetch', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  async function serve(handler: Handler): Promise<{ url: string; ports: number[] }> {
    const ports: number[] = [];
    const server = createServer((req, res) => {
      ports.push(req.socket.remotePort!);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => handler(req, Buffer.concat(chunks), res));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, ports };
  }

  it('sends the method, headers and bytes, and gives status, every header and the body; sockets are kept', async () => {
    const seen: Array<{ method?: string; type?: string; sig?: string; body: string }> = [];
    const { url, ports } = await serve((req, body, res) => {
      seen.push({ method: req.method, type: req.headers['content-type'], sig: req.headers['signature'] as string, body: body.toString() });
      res.setHeader('content-type', 'application/json');
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(202);
      res.end('{"ok":true}');
    });
    const f = createNodeFetch();
    for (let i = 0; i < 3; i++) {
      const res = await f(new URL('/federation/v2/match', url), { method: 'POST', headers: new Headers({ 'content-type': 'application/json', signature: `sig${i}` }), body: new TextEncoder().encode(`{"i":${i}}`) });
      expect(res.status).toBe(202);
      expect(res.ok).toBe(true);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(new TextDecoder().decode(await readBody(res, 1024))).toBe('{"ok":true}');
    }
    expect(seen).toEqual([0, 1, 2].map((i) => ({ method: 'POST', type: 'application/json', sig: `sig${i}`, body: `{"i":${i}}` })));
    // One socket for all three: kept alive between requests.
    expect(new Set(ports).size).toBe(1);
    // A GET without a body, a body given as text.
    const got = await f(`${url}/descriptor`);
    expect(await got.text()).toBe('{"ok":true}');
    await f(url, { method: 'PUT', body: 'plain' });
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', body: 'plain' });
  });

  it('sends a request once more when the kept-alive socket it reused was closed by the other side', async () => {
    // A server that drops every connection the moment a second request arrives on it, as a restarted or idle-closing peer does.
    const served = new Map<object, number>();
    const { url, ports } = await serve((req, body, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      res.end(`answer to ${body.toString()}`);
    });
    const f = createNodeFetch();
    expect(await (await f(url, { method: 'POST', body: 'first' })).text()).toBe('answer to first');
    expect(await (await f(url, { method: 'POST', body: 'second' })).text()).toBe('answer to second');
    // The second went out on the first socket, was dropped, and went again on a new one.
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(2);
  });

  it('lets readBody stop an answer past its limit, and the socket goes', async () => {
    let closed = false;
    const { url } = await serve((_req, _body, res) => {
      res.on('close', () => (closed = true));
      res.writeHead(200, { 'content-type': 'application/json' });
      // No content-length: the limit is found while reading, chunk by chunk.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const res = await createNodeFetch()(url, { method: 'POST', body: new Uint8Array(1) });
    const err = await readBody(res, 256 * 1024).catch((e: unknown) => e);
    expect(isCairnError(err, 'body_too_large')).toBe(true);
    await expect.poll(() => closed).toBe(true);
  });

  it('fails a request that outlives its signal with the signal\'s reason, and an unreachable peer as fetch does', async () => {
    const { url } = await serve(() => {
      /* never answers */
    });
    const err = (await createNodeFetch()(url, { method: 'POST', body: new Uint8Array(1), signal: AbortSignal.timeout(100) }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('TimeoutError');
    // A body that stops half way: the signal fails the read.
    const { url: slow } = await serve((_req, _body, res) => {
      res.writeHead(200);
      res.write('{"half":');
    });
    const res = await createNodeFetch()(slow, { method: 'POST', body: new Uint8Array(1), signal: AbortSignal.timeout(200) });
    expect(((await readBody(res, 1024).catch((e: unknown) => e)) as Error).name).toBe('TimeoutError');
    // Nothing listens on port 9 of loopback.
    const refused = (await createNodeFetch()('http://127.0.0.1:9/', { method: 'POST', body: new Uint8Array(1) }).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.message).toBe('fetch failed');
  });

  it('leaves redirects and what it does not handle to the runtime\'s fetch', async () => {
    const { url } = await serve((req, _body, res) => {
      if (req.url === '/moved') {
        res.writeHead(302, { location: '/elsewhere' });
        res.end();
      } else {
        res.end(`at ${req.url}`);
      }
    });
    const used: string[] = [];
    const fallback = ((input: RequestInfo | URL, init?: RequestInit) => {
      used.push(input instanceof Request ? 'request' : init?.body instanceof Blob ? 'blob' : `redirect ${String(input)}`);
      return fetch(input, init);
    }) as typeof fetch;
    const f = createNodeFetch(fallback);
    // Asked to leave redirects alone, it gives the 3xx itself; else fetch follows it, as before.
    const moved = await f(`${url}/moved`, { method: 'GET', redirect: 'manual' });
    expect(moved.status).toBe(302);
    expect(moved.headers.get('location')).toBe('/elsewhere');
    expect(used).toEqual([]);
    // Told a redirect is an error, it fails as fetch does, and asks nothing of the runtime's fetch.
    const refused = (await f(`${url}/moved`, { method: 'GET', redirect: 'error' }).catch((e: unknown) => e)) as Error;
    expect(refused).toBeInstanceOf(TypeError);
    expect(used).toEqual([]);
    expect(await (await f(`${url}/moved`)).text()).toBe('at /elsewhere');
    expect(await (await f(new Request(`${url}/a`))).text()).toBe('at /a');
    expect(await (await f(`${url}/b`, { method: 'POST', body: new Blob(['x']) })).text()).toBe('at /b');
    expect(used).toEqual([`redirect ${url}/moved`, 'request', 'blob']);
  });
});
