/**
 * The curious peer (issue 13): XA answers XB's searches and wants to know
 * whom XB searched for. XA's traffic passes through a recording proxy, so
 * the test holds the raw bytes of every match request XB sent, and it reads
 * XA's own audit entries from XA's database. It then plays the peer with
 * everything a curious peer could know: the identifiers of the people
 * searched (as candidates from a register), their match keys, the keys'
 * public hashes and buckets, and even the tokens and index fingerprints
 * under XA's own OPRF key. None of it appears in the requests or the audit
 * entries; what is there is uniformly random blinded elements and their
 * count, padded, so two searches for different people look the same.
 */
import { readFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, api, cli, fingerprintOfNode, serve, untilReplicasReady } from '../scripts/lib/federation.js';
import { fromHex, toBase64Url, toHex } from '../src/core/bytes.js';
import { FEDERATION } from '../src/core/constants.js';
import { indexFingerprint } from '../src/core/federation/index/fingerprint.js';
import { deriveMatchKeys, deriveQueryKeys, parseIdentifiers } from '../src/core/identity/index.js';
import { deserializeElement, evaluateToken, hashToGroup, serializeElement } from '../src/core/oprf/index.js';
import { tokenConfirm } from '../src/core/records/token-layout.js';
import { freePort, tempDir } from './helpers/cli.js';

const POLICY = ['--allow', 'missing_child_tracing=missing_child,unaccompanied_minor'];
const CONTEXT = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act (test)', caseReference: 'CURIOUS-1' };
/** Held by XA: the search for her is a hit. */
const HELD = { names: [{ given: 'Amina', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2014-07-30' }, phones: [{ number: '+40721234567' }] };
/** Not held anywhere: the search for him is a no-hit. */
const OTHER = { names: [{ given: 'Pavel', family: 'Novak' }], dateOfBirth: { precision: 'day', date: '2012-11-03' }, phones: [{ number: '+420601234567' }] };

interface Captured {
  path: string;
  contentType: string;
  body: Buffer;
}

/** An HTTP proxy in front of XA that keeps the raw bytes of every request it forwards. */
async function recordingProxy(port: number, upstreamPort: number, seen: Captured[]): Promise<Server> {
  const srv = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      seen.push({ path: req.url ?? '', contentType: String(req.headers['content-type'] ?? ''), body });
      const up = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: req.headers, agent: false }, (r) => {
        // One request per connection: the node's keep-alive hint must not outlive the proxy's own sockets.
        const { 'keep-alive': _keepAlive, connection: _connection, ...headers } = r.headers;
        res.writeHead(r.statusCode ?? 502, { ...headers, connection: 'close' });
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
  return srv;
}

/** The shape of a JSON value: strings by their length, numbers by their kind, objects by their sorted keys. */
function shape(v: unknown): unknown {
  if (typeof v === 'string') return `string(${v.length})`;
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, shape((v as Record<string, unknown>)[k])]));
  return v;
}

describe('a curious peer', () => {
  const t = tempDir('cairn-curious-');
  const seen: Captured[] = [];
  let proxy: Server;
  let stops: Array<() => Promise<void>> = [];
  let xa: { home: string; url: string; oprfKey: Uint8Array; analyst: string };
  let xb: { home: string; url: string; analyst: string };

  beforeAll(async () => {
    const [proxyPort, aPort, bPort] = [await freePort(), await freePort(), await freePort()];
    const aHome = join(t.dir, 'XA');
    const bHome = join(t.dir, 'XB');
    // XA publishes the proxy's address as its own: XB reaches it only through the proxy.
    cli(['init', '--home', aHome, '--country', 'XA', '--name', 'Curious A', '--url', `http://127.0.0.1:${proxyPort}`, '--port', String(aPort)]);
    cli(['init', '--home', bHome, '--country', 'XB', '--name', 'Searching B', '--url', `http://127.0.0.1:${bPort}`, '--port', String(bPort)]);
    const aAnalyst = addUser(aHome, 'analyst', 'XA analyst');
    const bAnalyst = addUser(bHome, 'analyst', 'XB analyst');
    const bOperator = addUser(bHome, 'operator', 'XB operator');
    const a = await serve(aHome, aPort);
    stops.push(a.stop);
    const b = await serve(bHome, bPort);
    stops.push(b.stop);
    proxy = await recordingProxy(proxyPort, aPort, seen);
    xa = { home: aHome, url: `http://127.0.0.1:${proxyPort}`, oprfKey: fromHex(readFileSync(join(aHome, 'keys/oprf.key'), 'utf8').trim()), analyst: aAnalyst };
    xb = { home: bHome, url: `http://127.0.0.1:${bPort}`, analyst: bAnalyst };
    const rec = await api(xa, xa.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XA-C-1', category: 'missing_child', owningUnit: 'U', contactPoint: 'c@xa.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: HELD }],
    });
    expect(rec.status, JSON.stringify(rec.json)).toBe(200);
    cli(['peers', 'add', `http://127.0.0.1:${bPort}`, '--home', aHome, '--fingerprint', await fingerprintOfNode(xb.url)]);
    cli(['peers', 'policy', 'XB', '--home', aHome, ...POLICY]);
    // Over XB's operator API, not the CLI: XB fetches XA's descriptor through the proxy, which runs in this process.
    const added = await api(xb, bOperator, 'POST', '/v1/peers', { url: xa.url, fingerprint: await fingerprintOfNode(xa.url) });
    expect(added.status, JSON.stringify(added.json)).toBe(201);
    const policy = await api(xb, bOperator, 'PUT', `/v1/peers/${added.json.peer.id}/policy`, { purposes: { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] } });
    expect(policy.status, JSON.stringify(policy.json)).toBe(200);
  });

  afterAll(async () => {
    await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
    await Promise.all(stops.map((s) => s()));
    t.cleanup();
  });

  /** Search from XB until its replica of XA is ready (the first searches may find it still syncing). */
  async function search(identifiers: unknown) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const from = seen.length;
      const r = await api(xb, xb.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      const result = r.json.results[0];
      const requests = seen.slice(from).filter((c) => c.path === `${FEDERATION.prefix}/match`);
      if (result.status !== 'index_syncing' || Date.now() > deadline) return { result, request: requests.at(-1)!, searchId: r.json.id as string };
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  /** Everything a curious peer could compute from a candidate's identifiers, as the strings it would look for. */
  function derivable(identifiers: unknown): string[] {
    // What a record of them stores and what a search for them asks: they differ in the year keys.
    const ids = parseIdentifiers(identifiers);
    const keys = [...deriveMatchKeys(ids), ...deriveQueryKeys(ids)];
    const out = new Set<string>();
    for (const k of keys) {
      const token = evaluateToken(xa.oprfKey, k.encoded);
      // The key, its public hash, the unblinded group element, the token and every part of it a node stores or lists.
      const unblinded = serializeElement(hashToGroup(k.encoded));
      for (const bytes of [k.encoded, sha256(k.encoded), unblinded, token, token.slice(0, 16), tokenConfirm(token), indexFingerprint(token)]) {
        out.add(toBase64Url(bytes));
        out.add(toHex(bytes));
        out.add(Buffer.from(bytes).toString('base64').replace(/=+$/, ''));
      }
      out.add(k.type);
    }
    return [...out];
  }

  it('sends match requests that hold nothing computed from identifiers but random blinded elements, padded', async () => {
    // Both searches run with the same replicas in sync, so any difference between the requests could only come from the people searched.
    await untilReplicasReady({ url: xb.url, tokens: { analyst: xb.analyst } });
    const held = await search(HELD);
    expect(held.result).toMatchObject({ status: 'hit', confirmation: 'confirmed' });
    const other = await search(OTHER);
    expect(other.result).toMatchObject({ status: 'no_hit' });

    for (const [who, { request, searchId }] of [['held', held], ['other', other]] as const) {
      expect(request, `${who}: the proxy saw the match request`).toBeDefined();
      expect(request.contentType).toBe(FEDERATION.mediaType);
      const body = JSON.parse(request.body.toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['blindedElements', 'caseReference', 'legalBasis', 'purpose', 'replicaVersions', 'searchId']);
      expect(body).toMatchObject({ ...CONTEXT, searchId });
      const elements = body.blindedElements as string[];
      // Padded: the count is one of the fixed sizes, not the number of keys.
      expect(FEDERATION.paddedSizes).toContain(elements.length);
      expect(elements.length).toBeGreaterThanOrEqual(deriveQueryKeys(parseIdentifiers(who === 'held' ? HELD : OTHER)).length);
      // Each is a valid ristretto255 element, all distinct.
      for (const e of elements) expect(() => deserializeElement(Buffer.from(e, 'base64url'), 'e')).not.toThrow();
      expect(new Set(elements).size).toBe(elements.length);
      // Nothing a curious peer derives from either person is in the raw bytes: neither the searched one's nor the other's.
      const raw = request.body.toString('utf8');
      for (const needle of [...derivable(HELD), ...derivable(OTHER)]) expect(raw, `${who} request holds ${needle}`).not.toContain(needle);
      for (const word of ['keyType', 'bucket', 'digest', '"elements"']) expect(raw).not.toContain(word);
      // The only numbers are the replica versions of XA's own indexes (which XA served): no bucket can hide in one.
      const numbers: number[] = [];
      JSON.parse(raw, (_k, v: unknown) => (typeof v === 'number' && numbers.push(v), v));
      expect(numbers).toEqual(Object.values(body.replicaVersions as Record<string, number>));
      expect(Object.keys(body.replicaVersions as object).every((c) => ['missing_child', 'unaccompanied_minor'].includes(c))).toBe(true);
    }
    // The two requests for different people cannot be told apart by structure: same fields, same lengths, same count.
    const [a, b] = [held.request, other.request].map((r) => JSON.parse(r.body.toString('utf8')) as Record<string, unknown>);
    expect(shape(a)).toEqual(shape(b));
    expect(held.request.body.length).toBe(other.request.body.length);
    // Fresh blinds: no element is ever sent twice.
    const all = seen.filter((c) => c.path === `${FEDERATION.prefix}/match`).flatMap((c) => JSON.parse(c.body.toString('utf8')).blindedElements as string[]);
    expect(new Set(all).size).toBe(all.length);
  });

  it('keeps nothing computed from identifiers in the answering node\'s audit entries', async () => {
    const again = await search(HELD);
    expect(again.result.status).toBe('hit');
    const db = new Database(join(xa.home, 'cairn.db'), { readonly: true });
    const rows = db.prepare("select type, entry from audit_entries where type = 'match.incoming'").all() as { type: string; entry: string }[];
    db.close();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const needles = [...derivable(HELD), ...derivable(OTHER), ...seen.flatMap((c) => (c.path.endsWith('/match') ? (JSON.parse(c.body.toString('utf8')).blindedElements as string[]) : []))];
    for (const row of rows) {
      const entry = JSON.parse(row.entry) as { data: Record<string, unknown> };
      // `epoch` is the OPRF key epoch the answer was evaluated under (protocol/38): the node's own state, nothing of the request.
      expect(Object.keys(entry.data).sort()).toEqual(['caseReference', 'categories', 'country', 'decision', 'elements', 'epoch', 'legalBasis', 'peer', 'purpose', 'replicaVersions', 'searchId']);
      expect(entry.data.epoch).toBe(1);
      expect(FEDERATION.paddedSizes).toContain(entry.data.elements as number);
      for (const needle of needles) expect(row.entry, `audit entry holds ${needle}`).not.toContain(needle);
      expect(row.entry).not.toMatch(/keyType|bucket|digest|blinded/);
    }
  });
});
