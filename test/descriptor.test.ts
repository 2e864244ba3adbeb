/**
 * The node descriptor over real HTTP, verified with an independent Ed25519
 * implementation (node:crypto / OpenSSL) rather than the one that signed it.
 */
import { createPublicKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, initNode, serveNode, tempDir, type ServedNode } from './helpers/cli.js';
import { verifyDescriptor } from '../src/core/descriptor.js';
import { nodeDescriptorSchema } from '../schemas/node.js';

// RFC 8410 SubjectPublicKeyInfo prefix for a raw 32-byte Ed25519 key.
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function paeNode(type: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(type)} ${type} ${body.length} `), body]);
}

describe('GET /.well-known/cairn/node', () => {
  let node: ServedNode;
  let cleanup: () => void;
  beforeAll(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const port = await freePort();
    initNode(t.dir, 'PL', port, 'Policja test node');
    node = await serveNode(t.dir, { port });
  });
  afterAll(async () => {
    await node?.stop();
    cleanup?.();
  });

  it('is a DSSE envelope whose Ed25519 signature verifies with node:crypto', async () => {
    const res = await fetch(`${node.url}/.well-known/cairn/node`);
    expect(res.status).toBe(200);
    const env = await res.json();
    expect(env.payloadType).toBe('application/vnd.cairn.node+json');
    const body = Buffer.from(env.payload, 'base64');
    const desc = nodeDescriptorSchema.parse(JSON.parse(body.toString('utf8')));
    expect(desc).toMatchObject({ protocol: 'cairn/2', country: 'PL', name: 'Policja test node', baseUrl: node.url });
    // cairn/1's bucket bits are gone from the descriptor (a strict schema refuses them).
    expect(desc).not.toHaveProperty('bucketBits');
    expect(desc.oprfKey.suite).toBe('ristretto255-SHA512');
    const raw = Buffer.from(desc.signingKey.publicKey, 'base64url');
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
    const sig = Buffer.from(env.signatures[0].sig, 'base64');
    expect(env.signatures[0].keyid).toBe(desc.signingKey.keyId);
    expect(verify(null, paeNode(env.payloadType, body), key, sig)).toBe(true);
    // A flipped payload byte no longer verifies, with either implementation.
    const tampered = Buffer.from(body);
    tampered[10] = tampered[10]! ^ 1;
    expect(verify(null, paeNode(env.payloadType, tampered), key, sig)).toBe(false);
    expect(() => verifyDescriptor({ ...env, payload: tampered.toString('base64') })).toThrow();
    expect(verifyDescriptor(env, desc.signingKey.keyId).nodeId).toBe(desc.nodeId);
    expect(() => verifyDescriptor(env, 'ab'.repeat(32))).toThrow(/not the pinned/);
  });

  it('answers unknown routes, oversized bodies and bad methods with RFC 9457 problems', async () => {
    const notFound = await fetch(`${node.url}/v1/nothing-here`);
    expect(notFound.status).toBe(404);
    expect(notFound.headers.get('content-type')).toBe('application/problem+json');
    const p = await notFound.json();
    expect(p).toMatchObject({ type: 'urn:cairn:problem:not_found', status: 404, code: 'not_found' });
    expect(p.requestId).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(p)).not.toMatch(/at .*\.(js|ts):\d+/);

    const big = await fetch(`${node.url}/v1/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ code: 'body_too_large', status: 413 });
  });

  it('serves health, Prometheus metrics by route and status, and an OpenAPI 3.1 document', async () => {
    await fetch(`${node.url}/healthz`);
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/cairn_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(metrics).toMatch(/cairn_http_request_duration_seconds_bucket\{method="GET",route="\/healthz",status="200",le="0.005"\}/);
    expect(metrics).toMatch(/cairn_http_requests_total\{method="GET",route="unmatched",status="404"\}/);
    const doc = await (await fetch(`${node.url}/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/.well-known/cairn/node'].get.responses['200']).toBeDefined();
    const health = doc.paths['/healthz'].get.responses['200'].content['application/json'].schema;
    expect(health.$ref).toBe('#/components/schemas/Health');
    expect(doc.components.schemas.Health.properties.status.enum).toEqual(['ok', 'degraded']);
    expect(doc.paths['/v1/nothing-here']).toBeUndefined();
    expect(doc.paths['/healthz'].get.responses['404'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
  });

  it('keeps idle connections longer than clients do, so a reused socket is never closed under a request', async () => {
    const r = await fetch(`${node.url}/healthz`);
    expect(r.headers.get('keep-alive')).toBe('timeout=65');
  });

  it('echoes a well-formed request id and replaces a malformed one', async () => {
    const r = await fetch(`${node.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    const r2 = await fetch(`${node.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(r2.headers.get('x-request-id')).toMatch(/^[0-9a-f]{16}$/);
  });
});
