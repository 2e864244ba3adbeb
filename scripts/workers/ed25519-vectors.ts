/**
 * A throw-away Worker for `npm run test:workers`: it runs Cairn's Ed25519
 * verifier (src/core/signing.ts, the one the Workers node uses) inside
 * workerd on the cases POSTed to it, so the edge-case vectors of
 * test/vectors/ed25519 are checked on the Workers runtime too.
 *
 *   POST /  [{ "publicKey": hex, "message": hex, "signature": hex }, ...]  ->  [boolean, ...]
 *   GET /healthz                                                          ->  200 (readiness)
 */
import { fromHex } from '../../src/core/bytes.js';
import { ed25519Verify } from '../../src/core/signing.js';

interface VectorCase {
  publicKey: string;
  message: string;
  signature: string;
}

export default {
  async fetch(request: Request): Promise<Response> {
    if (request.method === 'GET') return new Response('ok');
    const cases = (await request.json()) as VectorCase[];
    const verdicts = cases.map((c) => ed25519Verify(fromHex(c.publicKey), fromHex(c.message), fromHex(c.signature)));
    return Response.json(verdicts);
  },
};
