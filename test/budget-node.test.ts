/**
 * Budgets and rates hold under concurrency on Node: two real `cairn serve`
 * processes share XA's SQLite file (each with its own home), and XB's correctly signed
 * match requests are fired at both at once. The daily element budget and
 * the per-minute rate are reserved in the database before evaluation, so no
 * interleaving lets more through than the policy allows. Refusals before
 * the reservation (a denied purpose), failed evaluations and answers whose
 * audit entry could not be written cost nothing.
 */
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, serve, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { fromBase64Url, fromHex, toBase64Url, utf8 } from '../src/core/bytes.js';
import { FEDERATION } from '../src/core/constants.js';
import { buildSignedRequest } from '../src/core/federation/http-signature.js';
import { blind } from '../src/core/oprf/index.js';
import { systemClock, webRandom } from '../src/core/ports.js';
import { ed25519Signer, keyIdOf } from '../src/core/signing.js';
import { freePort, tempDir } from './helpers/cli.js';

const CTX = { purpose: 'missing_child_tracing', legalBasis: 'test', caseReference: 'B-1' };
const CONCURRENT = 16;

describe('budget and rate reservations (Node, two processes on one database)', () => {
  const t = tempDir('cairn-budget-');
  let xa: FedNode;
  let xb: FedNode;
  let second: Awaited<ReturnType<typeof serve>>;
  let secondUrl: string;
  let xaKeyId: string;
  let n = 0;

  const signerB = () => ed25519Signer(fromHex(readFileSync(join(xb.home, 'keys/signing.key'), 'utf8').trim()));
  /** A valid blinded element of a fresh random input. */
  const element = () => toBase64Url(blind(webRandom.bytes(16)).blindedElement);
  /** cairn/2 pads a request to 8, 16, 32 or 64 elements. */
  const elements = (n = 8) => Array.from({ length: n }, element);

  async function match(base: string, elements: unknown[], purpose = CTX.purpose, raw?: Uint8Array) {
    const bytes = raw ?? utf8(JSON.stringify({ ...CTX, purpose, searchId: `b-${n++}`, replicaVersions: {}, blindedElements: elements }));
    const { request } = buildSignedRequest({
      method: 'POST',
      url: new URL(`${FEDERATION.prefix}/match`, base),
      body: bytes,
      signer: signerB(),
      recipientKeyId: xaKeyId,
      clock: systemClock,
      random: webRandom,
      headers: { 'content-type': FEDERATION.mediaType },
    });
    const res = await fetch(request.url, { method: 'POST', headers: request.headers, body: bytes as Uint8Array<ArrayBuffer> });
    return { status: res.status, json: (await res.json()) as { code?: string; evaluatedElements?: string[] } };
  }

  /** Fire CONCURRENT requests of `size` elements, alternating between the two processes. */
  const burst = (size: number) => Promise.all(Array.from({ length: CONCURRENT }, (_, i) => match(i % 2 ? secondUrl : xa.url, elements(size))));

  function usageToday(): { elements: number; requests: number } {
    const d = new Database(join(xa.home, 'cairn.db'), { readonly: true });
    const r = d.prepare('select coalesce(sum(elements), 0) elements, coalesce(sum(requests), 0) requests from peer_usage').get() as { elements: number; requests: number };
    d.close();
    return r;
  }

  function requestsThisMinute(): number {
    const d = new Database(join(xa.home, 'cairn.db'), { readonly: true });
    const r = d.prepare('select coalesce(sum(requests), 0) n from peer_rate where minute = ?').get(Math.floor(Date.now() / 60_000)) as { n: number };
    d.close();
    return r.n;
  }

  const policy = (rate: number, budget: number) => cli(['peers', 'policy', 'XB', '--home', xa.home, '--allow', 'missing_child_tracing=missing_child', '--rate', String(rate), '--budget', String(budget)]);

  /** Wait until at least `s` seconds remain in the current minute, so a burst meets one rate window. */
  async function awayFromMinuteEdge(s = 15) {
    while (60 - new Date().getUTCSeconds() < s) await new Promise((r) => setTimeout(r, 250));
  }

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    [xa, xb] = (await startFederation(t.dir, [{ country: 'XA', name: 'A', port: ports[0]! }, { country: 'XB', name: 'B', port: ports[1]! }], { missing_child_tracing: ['missing_child'] })) as [FedNode, FedNode];
    // One `cairn serve` per home: the second process has a home of its own
    // (same configuration and keys) whose database is XA's SQLite file.
    const home2 = join(t.dir, 'XA-second');
    cpSync(xa.home, home2, { recursive: true, filter: (src) => !/cairn\.db|serve\.lock/.test(src) });
    second = await serve(home2, ports[2]!, { CAIRN_STORAGE_DATABASE: join(xa.home, 'cairn.db') });
    secondUrl = `http://127.0.0.1:${ports[2]}`;
    const env = await (await fetch(`${xa.url}/.well-known/cairn/node`)).json();
    const desc = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    xaKeyId = keyIdOf(fromBase64Url(desc.signingKey.publicKey));
  }, 400_000);
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop(), second?.stop()]);
    t.cleanup();
  });

  it(`${CONCURRENT} concurrent requests never evaluate more elements than the daily budget`, async () => {
    const before = usageToday().elements;
    const size = 8;
    const budget = before + 9 * size - 1; // room for 8 requests, not 9
    policy(10_000, budget);
    const results = await burst(size);
    const answered = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    expect(answered.length).toBe(8);
    expect(answered.reduce((s, r) => s + r.json.evaluatedElements!.length, 0)).toBe(8 * size);
    expect(refused.map((r) => [r.status, r.json.code])).toEqual(Array.from({ length: CONCURRENT - 8 }, () => [429, 'budget_exceeded']));
    expect(usageToday().elements - before).toBe(8 * size);
    // The 7 elements left do not serve a request of 8 on either process.
    expect((await match(xa.url, elements())).json.code).toBe('budget_exceeded');
    expect((await match(secondUrl, elements())).json.code).toBe('budget_exceeded');
  });

  it(`${CONCURRENT} concurrent requests never pass the per-minute rate`, async () => {
    await awayFromMinuteEdge();
    // Room for exactly 5 more requests in this minute's window.
    policy(requestsThisMinute() + 5, 1_000_000);
    const before = usageToday();
    const results = await burst(8);
    expect(results.filter((r) => r.status === 200)).toHaveLength(5);
    expect(results.filter((r) => r.json.code === 'rate_limited')).toHaveLength(CONCURRENT - 5);
    const after = usageToday();
    expect([after.elements - before.elements, after.requests - before.requests]).toEqual([5 * 8, 5]);
  });

  it('a denied purpose with an invalid element is refused before the rate counts it; a failed evaluation gives its elements back', async () => {
    await awayFromMinuteEdge();
    // Room for exactly one more request in this minute's window.
    policy(requestsThisMinute() + 1, 1_000_000);
    const invalid = toBase64Url(new Uint8Array(32).fill(0xff));
    const denied = await match(xa.url, [invalid, ...elements(7)], 'criminal_investigation');
    expect([denied.status, denied.json.code]).toEqual([403, 'purpose_denied']);
    const before = usageToday().elements;
    // Admitted (the one request this minute), then refused by the evaluation: nothing stays reserved.
    const failed = await match(secondUrl, [...elements(7), invalid]);
    expect([failed.status, failed.json.code]).toEqual([400, 'oprf_invalid_element']);
    expect(usageToday().elements).toBe(before);
    // The rate still counted the request, so the next one this minute is refused.
    expect((await match(xa.url, elements())).json.code).toBe('rate_limited');
  });

  it('an answer whose audit entry cannot be written is refused, and its elements go back to the budget', async () => {
    policy(10_000, 1_000_000);
    const before = usageToday().elements;
    // The disk fills between the reservation and the audit entry: SQLite refuses the entry as it would then.
    const d = new Database(join(xa.home, 'cairn.db'));
    d.exec("create trigger test_full_disk before insert on audit_entries when new.type = 'match.incoming' begin select raise(abort, 'database or disk is full'); end");
    try {
      const r = await match(xa.url, elements());
      expect([r.status, r.json.code]).toEqual([503, 'unavailable']);
      expect((r.json as { detail?: string }).detail).toContain('storage is full');
      expect(usageToday().elements).toBe(before);
    } finally {
      d.exec('drop trigger test_full_disk');
      d.close();
    }
    expect((await match(xa.url, elements())).status).toBe(200);
    expect(usageToday().elements).toBe(before + 8);
  });

  it('a correctly signed body that is not UTF-8 gets a signed 400, not a 500', async () => {
    const r = await match(xa.url, [], CTX.purpose, new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]));
    expect([r.status, r.json.code]).toEqual([400, 'malformed_json']);
  });
});
