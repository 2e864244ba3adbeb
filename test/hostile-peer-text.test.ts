/**
 * Text a hostile peer chooses never reaches an operator or analyst unsafely.
 * Real nodes on loopback and the real CLI: XA answers with receipts whose
 * fields its (tampered) database filled with terminal escapes and forged
 * lines; an in-process server plays a node whose signed descriptor hides
 * escapes in its name or declares a `javascript:` base URL. XB refuses what
 * breaks the rules (confirmation failed, nothing stored, nothing pinned),
 * and what its database already holds is printed with visible escapes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { signDescriptor } from '../src/core/descriptor.js';
import { MATCH_KEY_TYPES } from '../src/core/identity/index.js';
import { ed25519Signer, fingerprintOf } from '../src/core/signing.js';
import { BIN, cleanEnv, freePort, ROOT, tempDir, type CliResult } from './helpers/cli.js';

const IDS = { names: [{ given: 'Leyla', family: 'Aliyeva' }], dateOfBirth: { precision: 'day', date: '2014-06-09' } };
const SEARCH = ['--purpose', 'missing_child_tracing', '--legal-basis', 'Art. 3 (test)', '--given', 'Leyla', '--family', 'Aliyeva', '--dob', '2014-06-09'];
/** A raw control or bidi character on the terminal: what must never be printed. */
const RAW = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
const FORGED = '\r\n  XA Hostile XA: NO_HIT';

/** `cairn …` as a child process, without blocking this process (its in-process server must answer). */
function cairnAsync(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every line of `s` but the newlines between them: none may hold a raw control character. */
const rawIn = (s: string) => s.split('\n').some((line) => RAW.test(line));

describe('text from a hostile peer', () => {
  const t = tempDir('cairn-hostile-text-');
  let xa: FedNode;
  let xb: FedNode;
  let fake: Server;
  let fakeUrl: string;
  /** What the in-process node serves at /.well-known/cairn/node. */
  let served = '';

  /** A freshly keyed node descriptor, signed, with `over` changed. */
  function hostileDescriptor(over: { name?: string; baseUrl?: string }): { fingerprint: string } {
    const signer = ed25519Signer(new Uint8Array(randomBytes(32)));
    served = JSON.stringify(
      signDescriptor({
        nodeId: `node-h-${randomBytes(4).toString('hex')}`,
        country: 'XH',
        name: over.name ?? 'Hostile node',
        baseUrl: over.baseUrl ?? fakeUrl,
        signer,
        oprfPublicKey: new Uint8Array(randomBytes(32)),
        matchKeyTypes: Object.keys(MATCH_KEY_TYPES),
        issuedAt: new Date(),
      }),
    );
    return { fingerprint: fingerprintOf(signer.publicKey) };
  }

  beforeAll(async () => {
    const [a, b, f] = [await freePort(), await freePort(), await freePort()];
    [xa, xb] = (await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia', port: a },
        { country: 'XB', name: 'Borduria', port: b },
      ],
      { missing_child_tracing: ['missing_child'] },
    )) as [FedNode, FedNode];
    fakeUrl = `http://127.0.0.1:${f}`;
    fake = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(served));
    await new Promise<void>((r) => fake.listen(f, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => (fake ? fake.close(r) : r(undefined)));
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  it('refuses a receipt whose fields carry escapes and forged lines: confirmation failed, nothing stored or printed raw', async () => {
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XA-H-1', category: 'missing_child', owningUnit: 'U', contactPoint: 'c@xa.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    // XA turns hostile: what its receipts carry comes from here.
    const db = new Database(join(xa.home, 'cairn.db'));
    db.prepare('UPDATE records SET contact_point = ?, owning_unit = ? WHERE ref = ?').run(`desk@xa.example\x1b[2J${FORGED}`, '\x1b]8;;https://evil.example\x07Unit\x1b]8;;\x07', 'XA-H-1');
    db.close();

    const s = await cairnAsync(['search', '--home', xb.home, ...SEARCH, '--case', 'HOSTILE-T-1']);
    expect(s.stderr).not.toContain('unexpected');
    expect(rawIn(s.stdout), s.stdout).toBe(false);
    expect(s.stdout).not.toContain('XA Hostile XA');
    expect(s.stdout).toMatch(/XA Arcadia: HIT .* — failed\n {4}confirmation failed: peer_response_invalid: XA: receipt 0, field record\.(owningUnit|contactPoint): /);

    const id = /^search (\S+)/.exec(s.stdout)![1]!;
    const stored = await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${id}`);
    expect(stored.json.results[0]).toMatchObject({ status: 'hit', confirmation: 'failed' });
    expect(stored.json.results[0].receipts ?? []).toEqual([]);
    expect(JSON.stringify(stored.json)).not.toContain('evil.example');
  });

  it('prints a peer name stored before these rules with visible escapes, in peers list and search', async () => {
    const db = new Database(join(xb.home, 'cairn.db'));
    db.prepare("UPDATE peers SET name = ? WHERE country = 'XA'").run(`Arcadia\x1b[8m${FORGED}\u202e`);
    db.close();

    const list = await cairnAsync(['peers', 'list', '--home', xb.home]);
    expect(list.status, list.stderr).toBe(0);
    expect(rawIn(list.stdout), list.stdout).toBe(false);
    expect(list.stdout).toContain('Arcadia\\x1b[8m\\x0d\\x0a  XA Hostile XA: NO_HIT\\u{202e}');

    const json = await cairnAsync(['peers', 'list', '--home', xb.home, '--json']);
    expect(rawIn(json.stdout), json.stdout).toBe(false);
    expect(JSON.parse(json.stdout)[0].name).toBe(`Arcadia\x1b[8m${FORGED}\u202e`);

    const s = await cairnAsync(['search', '--home', xb.home, ...SEARCH, '--case', 'HOSTILE-T-2']);
    expect(rawIn(s.stdout), s.stdout).toBe(false);
    expect(s.stdout).toContain('  XA Arcadia\\x1b[8m\\x0d\\x0a  XA Hostile XA: NO_HIT\\u{202e}: HIT');
  });

  it('peers add refuses a descriptor whose name would hide or fake the fingerprint', async () => {
    const { fingerprint } = hostileDescriptor({ name: 'Hostile\x1b[2K\r  signing key fingerprint: 0000\x1b[8m' });
    const add = await cairnAsync(['peers', 'add', fakeUrl, '--home', xb.home, '--fingerprint', fingerprint, '--no-sync']);
    expect(add.status).toBe(1);
    expect(add.stderr).toContain('descriptor field name: must not contain control characters');
    expect(rawIn(add.stdout + add.stderr)).toBe(false);
    expect((await api(xb, xb.tokens.operator, 'GET', '/v1/peers')).json.peers.map((p: { country: string }) => p.country)).toEqual(['XA']);
  });

  it('POST /v1/peers pins no base URL but an http(s) one, and only the one asked for', async () => {
    const cases: [string, RegExp][] = [
      ['javascript:alert(document.domain)//', /descriptor field baseUrl: must be an absolute http\(s\) URL, not javascript:/],
      ['data:text/html,x', /descriptor field baseUrl: must be an absolute http\(s\) URL, not data:/],
      [`http://user:password@127.0.0.1:${new URL(fakeUrl).port}`, /descriptor field baseUrl: must not carry a user name or password/],
      [`${fakeUrl}/#x`, /descriptor field baseUrl: must not have a fragment/],
    ];
    for (const [baseUrl, detail] of cases) {
      const { fingerprint } = hostileDescriptor({ baseUrl });
      const r = await api(xb, xb.tokens.operator, 'POST', '/v1/peers', { url: fakeUrl, fingerprint });
      expect(r.status, `${baseUrl}: ${JSON.stringify(r.json)}`).toBe(400);
      expect(r.json.detail).toMatch(detail);
    }
    // A well-formed URL, but not the one the operator asked for: refused as on the command line.
    const other = `http://127.0.0.1:${await freePort()}`;
    const { fingerprint } = hostileDescriptor({ baseUrl: other });
    const r = await api(xb, xb.tokens.operator, 'POST', '/v1/peers', { url: fakeUrl, fingerprint });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_request', field: 'url' });
    expect(r.json.detail).toContain(`declares its base URL as ${other}`);
    // Credentials in the URL asked for are refused before anything is fetched.
    const creds = await api(xb, xb.tokens.operator, 'POST', '/v1/peers', { url: `http://u:p@127.0.0.1:${new URL(fakeUrl).port}`, fingerprint });
    expect(creds.status).toBe(400);
    expect(creds.json).toMatchObject({ code: 'invalid_request', field: 'url', detail: 'url must not carry a user name or password' });

    // Nor does the command line pin it, even when told to take the descriptor's word for the URL.
    const js = hostileDescriptor({ baseUrl: 'javascript:alert(document.domain)//' });
    const add = await cairnAsync(['peers', 'add', fakeUrl, '--home', xb.home, '--fingerprint', js.fingerprint, '--use-descriptor-url', '--no-sync']);
    expect(add.status).toBe(1);
    expect(add.stderr).toContain('descriptor field baseUrl: must be an absolute http(s) URL, not javascript:');
    expect((await api(xb, xb.tokens.operator, 'GET', '/v1/peers')).json.peers.map((p: { baseUrl: string }) => p.baseUrl)).toEqual([xa.url]);
  });

  it('POST /v1/peers/{id}/repin refuses a pinned base URL no node may have (stored before these rules)', async () => {
    const db = new Database(join(xb.home, 'cairn.db'));
    const withCredentials = xa.url.replace('http://', 'http://user:password@');
    db.prepare("UPDATE peers SET base_url = ? WHERE country = 'XA'").run(withCredentials);
    try {
      const r = await api(xb, xb.tokens.operator, 'POST', `/v1/peers/XA/repin`, { fingerprint: xa.fingerprint });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json).toMatchObject({ code: 'invalid_request', field: 'baseUrl' });
      expect(r.json.detail).toMatch(/^baseUrl must not carry a user name or password/);
      // A search of that peer sends nothing and says what to do, not "internal".
      const s = await cairnAsync(['search', '--home', xb.home, ...SEARCH, '--case', 'HOSTILE-T-URL']);
      expect(s.stdout).toMatch(/XA .*ERROR: peer_unreachable: XA's pinned base URL "http:\/\/user:password@127\.0\.0\.1:\d+" must not carry a user name or password: nothing was sent; remove the peer and add it again/);
    } finally {
      db.prepare("UPDATE peers SET base_url = ? WHERE country = 'XA'").run(xa.url);
      db.close();
    }
  });
});
