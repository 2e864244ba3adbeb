/**
 * Outgoing HTTP on Node: `fetch` over node:http and node:https, with
 * kept-alive sockets per origin. A search sends one signed request to every
 * peer, and undici's fetch costs the searcher about 0.8 ms of CPU more per
 * request than node:http (measured with the bench load generator,
 * scripts/lib/bench-load.ts); at 30 peers that is tens of milliseconds.
 *
 * It does what the core asks of fetch (federation requests, descriptors):
 * a method, headers, a body of bytes or text, an AbortSignal, and an answer
 * whose body streams, so the caller's size limit (readBody) still stops a
 * peer that sends too much. Redirects are as fetch has them: the core's
 * federation and descriptor requests say `redirect: 'manual'` and get the
 * 3xx itself (they refuse it: a peer is asked at its pinned URL only);
 * `redirect: 'error'` fails as fetch does; otherwise the request is asked
 * again of the runtime's own fetch, which follows it. So is anything else
 * (a Request object, a streamed or form body). A request on a kept-alive socket that
 * the other side closed just then (reset before any answer) is sent once
 * more on a new socket, as fetch does.
 */
import http from 'node:http';
import https from 'node:https';

/** Sockets kept per origin: about the requests one search sends a peer at once. */
const SOCKETS_PER_ORIGIN = 8;

export function createNodeFetch(fallback: typeof fetch = globalThis.fetch): typeof fetch {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: SOCKETS_PER_ORIGIN }),
  };
  return (async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    const simpleBody = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (input instanceof Request || !simpleBody) return fallback(input, init);
    const url = input instanceof URL ? input : new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback(input, init);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const headers: Record<string, string> = {};
    for (const [name, value] of new Headers(init.headers)) headers[name] = value;
    const bytes = typeof body === 'string' ? Buffer.from(body) : body ?? undefined;
    if (bytes !== undefined) headers['content-length'] = String(bytes.length);
    const send = url.protocol === 'https:' ? https.request : http.request;
    const exchange = (retry: boolean) => new Promise<Response>((resolve, reject) => {
      const req = send(url, { method: init.method ?? 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'] });
      let responded = false;
      let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
      // The body's stream may be closed or cancelled already: then there is nothing left to fail.
      const fail = (e: unknown) => {
        try {
          stream?.error(e);
        } catch {
          /* closed */
        }
      };
      const abort = () => {
        req.destroy();
        fail(signal!.reason);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
      req.on('error', (e: NodeJS.ErrnoException) => {
        signal?.removeEventListener('abort', abort);
        // A kept-alive socket the other side closed just as we reused it: nothing was answered; once more, on a new socket.
        if (retry && !responded && req.reusedSocket && (e.code === 'ECONNRESET' || e.code === 'EPIPE')) {
          exchange(false).then(resolve, reject);
          return;
        }
        fail(e);
        reject(new TypeError('fetch failed', { cause: e }));
      });
      req.on('response', (res) => {
        responded = true;
        const answer = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) answer.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const status = res.statusCode ?? 0;
        const empty = status === 204 || status === 304 || init.method === 'HEAD';
        const readable = empty
          ? null
          : new ReadableStream<Uint8Array>(
              {
                start(controller) {
                  stream = controller;
                  res.on('data', (chunk: Buffer) => {
                    controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
                    // A reader slower than the socket: stop reading it until the reader asks again.
                    if ((controller.desiredSize ?? 1) <= 0) res.pause();
                  });
                  res.on('end', () => {
                    signal?.removeEventListener('abort', abort);
                    try {
                      controller.close();
                    } catch {
                      /* errored or cancelled first */
                    }
                  });
                  res.on('error', fail);
                },
                pull() {
                  res.resume();
                },
                cancel() {
                  signal?.removeEventListener('abort', abort);
                  res.destroy();
                },
              },
              { highWaterMark: 4 },
            );
        if (empty) {
          signal?.removeEventListener('abort', abort);
          res.resume();
        }
        if (status < 200 || status > 599) {
          res.destroy();
          reject(new TypeError(`fetch failed: status ${status}`));
          return;
        }
        if (status >= 300 && status < 400 && answer.has('location') && init.redirect !== 'manual') {
          signal?.removeEventListener('abort', abort);
          res.resume();
          if (init.redirect === 'error') reject(new TypeError('fetch failed', { cause: new Error(`unexpected redirect (${status})`) }));
          else fallback(input, init).then(resolve, reject);
          return;
        }
        resolve(new Response(readable, { status, statusText: res.statusMessage ?? '', headers: answer }));
      });
      req.end(bytes);
    });
    return exchange(true);
  }) as typeof fetch;
}
