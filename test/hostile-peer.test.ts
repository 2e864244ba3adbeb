/**
 * A hostile peer in front of a real one: XA answers XB's searches through a
 * proxy that XA publishes as its own address. The proxy tampers with XA's
 * answers and signs them again with XA's real Ed25519 key, so they pass
 * XB's signature check: what XB still refuses, it refuses on content.
 * Streams a huge descriptor, sends unsigned and signed problems with
 * terminal escapes, index deltas past the protocol's cap, answers without
 * deltas, redirects to a loopback service, and confirmations slow enough
 * that only a per-peer deadline ends them.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, api, cli, fingerprintOfNode, serve, untilReplicasReady } from '../scripts/lib/federation.js';
import { fromHex, toBase64Url } from '../src/core/bytes.js';
import { FEDERATION, INDEX } from '../src/core/constants.js';
import { signResponse } from '../src/core/federation/http-signature.js';
import { ed25519Signer } from '../src/core/signing.js';
import { freePort, tempDir } from './helpers/cli.js';

const POLICY = ['--allow', 'missing_child_tracing=missing_child,unaccompanied_minor'];
const CONTEXT = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act (test)', caseReference: 'HOSTILE-1' };
const PHONE_1 = '+40721000001';
const PHONE_2 = '+40721000002';
/** Held by XA under PHONE_1 (one record) and PHONE_2 (two records). */
const CHILD = { names: [{ given: 'Amina', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2014-07-30' }, phones: [{ number: PHONE_1 }] };
/** XB's per-request timeout, which also bounds a peer's confirmation round. */
const TIMEOUT_MS = 3000;
const ESC = '\u001b';

type Mode =
  | 'pass'
  | 'epoch'
  | 'epoch-redirect'
  | 'unsigned-problem'
  | 'signed-evil-problem'
  | 'signed-problem'
  | 'unsigned-signature-invalid'
  | 'big-delta'
  | 'empty-deltas'
  | 'other-from-version'
  | 'redirect'
  | 'slow-hits';

function record(ref: string, identifiers: unknown) {
  return { ref, category: 'missing_child', owningUnit: 'U', contactPoint: 'c@xa.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers };
}

function collect(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

describe('a hostile peer', () => {
  const t = tempDir('cairn-hostile-');
  let mode: Mode = 'pass';
  const seen: string[] = [];
  let descriptorBytesSent = 0;
  let sideHits = 0;
  let proxy: Server;
  let side: Server;
  let sidePort: number;
  const stops: Array<() => Promise<void>> = [];
  let xa: { home: string; url: string; analyst: string };
  let xb: { home: string; url: string; tokens: { analyst: string } };

  /** Stream a body far past any limit; counts what the other side accepted. */
  async function streamHuge(res: ServerResponse): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    for (let sent = 0; sent < 128 * 1024 * 1024 && !res.destroyed; sent += chunk.length) {
      descriptorBytesSent += chunk.length;
      if (!res.write(chunk)) await new Promise<void>((r) => (res.once('drain', r), res.once('close', r)));
    }
    res.end();
  }

  beforeAll(async () => {
    const [proxyPort, aPort, bPort] = [await freePort(), await freePort(), await freePort()];
    sidePort = await freePort();
    const aHome = join(t.dir, 'XA');
    const bHome = join(t.dir, 'XB');
    cli(['init', '--home', aHome, '--country', 'XA', '--name', 'Hostile A', '--url', `http://127.0.0.1:${proxyPort}`, '--port', String(aPort)]);
    cli(['init', '--home', bHome, '--country', 'XB', '--name', 'Searching B', '--url', `http://127.0.0.1:${bPort}`, '--port', String(bPort)]);
    const aAnalyst = addUser(aHome, 'analyst', 'XA analyst');
    const bAnalyst = addUser(bHome, 'analyst', 'XB analyst');
    const bOperator = addUser(bHome, 'operator', 'XB operator');
    const signer = ed25519Signer(fromHex(readFileSync(join(aHome, 'keys/signing.key'), 'utf8').trim()));
    const a = await serve(aHome, aPort);
    stops.push(a.stop);
    const b = await serve(bHome, bPort, { CAIRN_FEDERATION_TIMEOUT_MS: String(TIMEOUT_MS) });
    stops.push(b.stop);

    // A service on loopback that a redirect would reach: it must never be asked.
    side = createServer((_req, res) => {
      sideHits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ secret: 'internal service' }));
    });
    await new Promise<void>((r) => side.listen(sidePort, '127.0.0.1', () => r()));

    proxy = createServer((req, res) => {
      void (async () => {
        const body = await collect(req);
        const path = req.url ?? '';
        seen.push(path);
        const binding = { keyId: String(req.headers['cairn-key-id']), nonce: String(req.headers['cairn-nonce']), signature: String(req.headers['cairn-signature']) };
        const send = (status: number, json: unknown, signed: boolean, contentType = 'application/problem+json') => {
          const bytes = Buffer.from(JSON.stringify(json));
          const headers: Record<string, string> = { 'content-type': contentType, connection: 'close' };
          if (signed) for (const [k, v] of signResponse({ status, body: bytes, request: binding, signer, clock: { now: () => new Date() } })) headers[k] = v;
          res.writeHead(status, headers);
          res.end(bytes);
        };
        if (path === '/.well-known/cairn/node' && mode === 'epoch') return streamHuge(res);
        if (path === '/.well-known/cairn/node' && mode === 'epoch-redirect') {
          res.writeHead(302, { location: `http://127.0.0.1:${sidePort}/descriptor`, connection: 'close' });
          return res.end();
        }
        if (path === `${FEDERATION.prefix}/match`) {
          if (mode === 'redirect') {
            res.writeHead(303, { location: `http://127.0.0.1:${sidePort}/internal`, connection: 'close' });
            return res.end();
          }
          if (mode === 'unsigned-problem') return send(403, { type: 'about:blank', status: 403, code: `purpose_denied${ESC}[2J`, detail: `${ESC}[31mcall +1-555-0100 now` }, false);
          if (mode === 'signed-evil-problem') return send(403, { type: 'about:blank', status: 403, code: `purpose_denied${ESC}[2J`, detail: `${ESC}[31mcall +1-555-0100 now` }, true);
          if (mode === 'signed-problem') return send(403, { type: 'urn:cairn:problem:purpose_denied', status: 403, code: 'purpose_denied', detail: 'this node does not let XB search for that' }, true);
          if (mode === 'unsigned-signature-invalid') return send(401, { status: 401, code: 'signature_invalid', detail: `${ESC}[2Jrotated` }, false);
        }
        if (mode === 'slow-hits' && path === `${FEDERATION.prefix}/hits`) await new Promise((r) => setTimeout(r, 1800));
        const up = httpRequest({ host: '127.0.0.1', port: aPort, method: req.method, path, headers: req.headers, agent: false });
        up.on('error', () => res.destroy());
        up.on('response', (r) => {
          void collect(r).then((answer) => {
            const tamper = path === `${FEDERATION.prefix}/match` && r.statusCode === 200 && ['epoch', 'epoch-redirect', 'big-delta', 'empty-deltas', 'other-from-version'].includes(mode);
            if (!tamper) {
              const { 'keep-alive': _k, connection: _c, ...headers } = r.headers;
              res.writeHead(r.statusCode ?? 502, { ...headers, connection: 'close' });
              return res.end(answer);
            }
            const json = JSON.parse(answer.toString('utf8'));
            const asked = JSON.parse(body.toString('utf8')).replicaVersions as Record<string, number>;
            if (mode === 'epoch' || mode === 'epoch-redirect') json.epoch = 2;
            if (mode === 'empty-deltas') json.deltas = [];
            if (mode === 'big-delta' || mode === 'other-from-version') {
              json.deltas = json.deltas.map((d: { category: string; head: unknown }) => {
                const from = asked[d.category] ?? 0;
                const n = mode === 'big-delta' ? INDEX.maxDeltaChanges + 1 : 0;
                return { category: d.category, head: d.head, fromVersion: mode === 'big-delta' ? from : from + 1, toVersion: from + n + 1, changes: toBase64Url(new Uint8Array(9 * n)) };
              });
            }
            send(200, json, true, FEDERATION.mediaType);
          });
        });
        up.end(body);
      })();
    });
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));

    xa = { home: aHome, url: `http://127.0.0.1:${proxyPort}`, analyst: aAnalyst };
    xb = { home: bHome, url: `http://127.0.0.1:${bPort}`, tokens: { analyst: bAnalyst } };
    const rec = await api({ url: `http://127.0.0.1:${aPort}` }, xa.analyst, 'POST', '/v1/records', {
      records: [
        record('XA-C-1', CHILD),
        record('XA-C-2', { names: [{ given: 'Bilal', family: 'Nasser' }], dateOfBirth: { precision: 'day', date: '2012-02-02' }, phones: [{ number: PHONE_2 }] }),
        record('XA-C-3', { names: [{ given: 'Dina', family: 'Saleh' }], dateOfBirth: { precision: 'day', date: '2011-03-03' }, phones: [{ number: PHONE_2 }] }),
      ],
    });
    expect(rec.status, JSON.stringify(rec.json)).toBe(200);
    cli(['peers', 'add', xb.url, '--home', aHome, '--fingerprint', await fingerprintOfNode(xb.url)]);
    cli(['peers', 'policy', 'XB', '--home', aHome, ...POLICY]);
    const added = await api(xb, bOperator, 'POST', '/v1/peers', { url: xa.url, fingerprint: await fingerprintOfNode(xa.url) });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    const policy = await api(xb, bOperator, 'PUT', `/v1/peers/${added.json.peer.id}/policy`, { purposes: { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] } });
    expect(policy.status, JSON.stringify(policy.json)).toBe(200);
    await untilReplicasReady(xb);
  });

  afterAll(async () => {
    mode = 'pass';
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await new Promise<void>((r) => (side ? side.close(() => r()) : r()));
    await Promise.all(stops.map((s) => s()));
    t.cleanup();
  });

  async function search(identifiers: unknown, as: Mode) {
    mode = as;
    try {
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return { id: r.json.id as string, result: r.json.results[0], raw: JSON.stringify(r.json) };
    } finally {
      mode = 'pass';
    }
  }

  /** XB's audit entry of a search and its stored result row. */
  function stored(searchId: string): { audit: string; row: string } {
    const db = new Database(join(xb.home, 'cairn.db'), { readonly: true });
    try {
      const audit = (db.prepare("select entry from audit_entries where type = 'search.outgoing'").all() as { entry: string }[]).map((e) => e.entry).find((e) => e.includes(searchId))!;
      const row = JSON.stringify(db.prepare('select * from search_results where search_id = ?').get(searchId));
      return { audit, row };
    } finally {
      db.close();
    }
  }

  it('reads a descriptor no further than its limit, however much the peer streams (F1)', async () => {
    const before = descriptorBytesSent;
    const { result } = await search(CHILD, 'epoch');
    expect(result).toMatchObject({ status: 'error', error: { code: 'peer_response_invalid' } });
    expect(result.error.detail).toMatch(/descriptor/);
    // 64 KiB is read, and the kernel's socket buffers hold a few MiB more: nowhere near the 128 MiB offered.
    expect(descriptorBytesSent - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('takes no code or text from an unsigned problem (F2)', async () => {
    const { id, result, raw } = await search(CHILD, 'unsigned-problem');
    expect(result).toMatchObject({ status: 'error', error: { code: 'http_403' } });
    expect(raw).not.toContain(ESC);
    expect(raw).not.toContain('555');
    const { audit, row } = stored(id);
    expect(audit).toContain('"error":"http_403"');
    expect(audit + row).not.toContain('\\u001b');
    expect(row).not.toContain('555');
  });

  it('takes a signed problem by its code, but never a code that is not one, nor control characters (F2)', async () => {
    const evil = await search(CHILD, 'signed-evil-problem');
    expect(evil.result).toMatchObject({ status: 'error', error: { code: 'http_403' } });
    expect(evil.raw).not.toContain(ESC);
    expect(stored(evil.id).audit + stored(evil.id).row).not.toContain('\\u001b');
    const fair = await search(CHILD, 'signed-problem');
    expect(fair.result).toMatchObject({ status: 'error', error: { code: 'purpose_denied' } });
    expect(fair.result.error.detail).toContain('does not let XB search for that');
  });

  it('still re-checks the descriptor on an unsigned signature_invalid, taking its code but not its words (F2)', async () => {
    const from = seen.length;
    const { result, raw } = await search(CHILD, 'unsigned-signature-invalid');
    expect(result).toMatchObject({ status: 'error', error: { code: 'signature_invalid' } });
    expect(raw).not.toContain('rotated');
    expect(seen.slice(from)).toContain('/.well-known/cairn/node');
  });

  it('refuses an answer whose delta carries more changes than the protocol allows, and keeps its replica (F4)', async () => {
    const { result } = await search(CHILD, 'big-delta');
    expect(result).toMatchObject({ status: 'error', error: { code: 'peer_response_invalid' } });
    expect(result.error.detail).toMatch(/deltas/);
    const after = await search(CHILD, 'pass');
    expect(after.result).toMatchObject({ status: 'hit', confirmation: 'confirmed' });
  });

  it('never reports no_hit for an answer without the deltas it owes (F7b)', async () => {
    const empty = await search({ names: [{ given: 'Nobody', family: 'Anywhere' }], dateOfBirth: { precision: 'day', date: '1901-01-01' } }, 'empty-deltas');
    expect(empty.result).toMatchObject({ status: 'error', error: { code: 'peer_response_invalid' } });
    const moved = await search({ names: [{ given: 'Nobody', family: 'Anywhere' }], dateOfBirth: { precision: 'day', date: '1901-01-01' } }, 'other-from-version');
    expect(moved.result).toMatchObject({ status: 'error', error: { code: 'peer_response_invalid' } });
  });

  it('says a peer was not searched when it holds none of the search\'s key types, rather than no_hit (F7a)', async () => {
    const db = new Database(join(xb.home, 'cairn.db'));
    const types = (db.prepare("select match_key_types from peers where country = 'XA'").get() as { match_key_types: string }).match_key_types;
    db.prepare("update peers set match_key_types = '[]' where country = 'XA'").run();
    try {
      const from = seen.length;
      const { id, result } = await search(CHILD, 'pass');
      expect(result).toMatchObject({ status: 'not_searched', error: { code: 'no_shared_key_type' } });
      expect(seen.slice(from)).not.toContain(`${FEDERATION.prefix}/match`);
      expect(stored(id).audit).toContain('"result":"not_searched"');
    } finally {
      db.prepare('update peers set match_key_types = ? where country = ?').run(types, 'XA');
      db.close();
    }
  });

  it('follows no redirect, of an answer or of a descriptor (F8)', async () => {
    const { result, raw } = await search(CHILD, 'redirect');
    expect(result).toMatchObject({ status: 'error', error: { code: 'peer_response_invalid' } });
    expect(result.error.detail).toContain(`http://127.0.0.1:${sidePort}/internal`);
    expect(raw).not.toContain('internal service');
    const descriptor = await search(CHILD, 'epoch-redirect');
    expect(descriptor.result).toMatchObject({ status: 'error' });
    expect(descriptor.result.error.detail).toContain(`http://127.0.0.1:${sidePort}/descriptor`);
    expect(sideHits).toBe(0);
  });

  it('ends a slow peer\'s confirmations at a per-peer deadline; the rest wait for the analyst (F10)', async () => {
    const { result } = await search({ phones: [{ number: PHONE_1 }, { number: PHONE_2 }] }, 'slow-hits');
    expect(result).toMatchObject({ status: 'hit', confirmation: 'failed', error: { code: 'peer_timeout' } });
    expect(result.error.detail).toMatch(/confirmation/);
    expect(result.awaiting?.tokens).toBeGreaterThanOrEqual(1);
    // The first token's record was confirmed before the deadline.
    expect(result.records?.map((x: { receipt: { record: { ref: string } } }) => x.receipt.record.ref)).toEqual(['XA-C-1']);
    expect(result.ms).toBeLessThan(TIMEOUT_MS + 1000 + 1800);
  });
});
