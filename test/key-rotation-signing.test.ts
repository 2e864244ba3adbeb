/**
 * Signing-key rotation between real nodes (protocol/32-key-rotation.md):
 * three nodes on loopback, each a `cairn serve` child process with its own
 * SQLite file. XA rotates its signing key with `cairn keys rotate signing`
 * while XB and XC keep searching it and XA keeps searching them; every
 * search is answered as before (no false no-hit, no error), XB and XC
 * re-pin XA's new key on their own through the cross-signed descriptor,
 * and every audit log verifies, XA's over three successive keys. Then XC
 * rotates with --compromised: its peers stop searching it until their
 * operators pin the new fingerprint by hand.
 */
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, BIN, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { cairn, freePort, ROOT, tempDir } from './helpers/cli.js';

const CTX = { purpose: 'missing_child_tracing', legalBasis: 'Art. 3 (test)' };
const CHILD_A = { names: [{ given: 'Amira', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } };
const CHILD_B = { names: [{ given: 'Jonas', family: 'Lindqvist' }], dateOfBirth: { precision: 'day', date: '2013-09-10' } };

function record(ref: string, identifiers: unknown) {
  return { ref, category: 'missing_child', owningUnit: 'U', contactPoint: 'c@x.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers };
}

/** Run the CLI without blocking this process's event loop (the search stream goes on meanwhile). */
function cairnAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function peerRow(node: FedNode, country: string): { signing_key_id: string; status: string } {
  const d = new Database(join(node.home, 'cairn.db'), { readonly: true });
  try {
    return d.prepare('select signing_key_id, status from peers where country = ?').get(country) as { signing_key_id: string; status: string };
  } finally {
    d.close();
  }
}

function auditTypes(node: FedNode, type: string): { entry: string }[] {
  const d = new Database(join(node.home, 'cairn.db'), { readonly: true });
  try {
    return d.prepare('select entry from audit_entries where type = ? order by idx').all(type) as { entry: string }[];
  } finally {
    d.close();
  }
}

async function descriptorOf(node: FedNode): Promise<{ envelope: { signatures: { keyid: string }[] }; payload: any }> {
  const envelope = (await (await fetch(`${node.url}/.well-known/cairn/node`)).json()) as { payload: string; signatures: { keyid: string }[] };
  return { envelope, payload: JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) };
}

/** One search from `from`, the outcome per peer country. */
async function search(from: FedNode, identifiers: unknown, caseReference: string): Promise<Record<string, { status: string; error?: { code: string; detail: string } }>> {
  const r = await api(from, from.tokens.analyst, 'POST', '/v1/searches', { ...CTX, caseReference, identifiers });
  if (r.status !== 201) throw new Error(`search from ${from.country}: ${r.status} ${JSON.stringify(r.json)}`);
  return Object.fromEntries((r.json.results as { peer: { country: string }; status: string; error?: { code: string; detail: string } }[]).map((x) => [x.peer.country, x]));
}

function verifyAudit(node: FedNode): string {
  const r = cairn(['audit', 'verify', '--home', node.home]);
  expect(r.status, `${node.country}: ${r.stdout}${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('signing-key rotation between real nodes', () => {
  const t = tempDir('cairn-keyrot-');
  let xa: FedNode;
  let xb: FedNode;
  let xc: FedNode;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    [xa, xb, xc] = (await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'A', port: ports[0]! },
        { country: 'XB', name: 'B', port: ports[1]! },
        { country: 'XC', name: 'C', port: ports[2]! },
      ],
      { missing_child_tracing: ['missing_child'] },
      { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0', CAIRN_FEDERATION_REPLICA_CATCH_UP_MS: '20000' },
    )) as [FedNode, FedNode, FedNode];
    // The stream of searches below goes as fast as the nodes answer: on a quiet machine that is more than the
    // default 60 requests a minute per peer, and a rate_limited outcome there says nothing about rotation.
    for (const n of [xa, xb, xc]) {
      for (const p of [xa, xb, xc]) {
        if (p === n) continue;
        const r = cairn(['peers', 'policy', p.country, '--home', n.home, '--rate', '100000']);
        expect(r.status, r.stderr).toBe(0);
      }
    }
    expect((await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: [record('XA-1', CHILD_A)] })).status).toBe(200);
    expect((await api(xb, xb.tokens.analyst, 'POST', '/v1/records', { records: [record('XB-1', CHILD_B)] })).status).toBe(200);
    for (const n of [xa, xb, xc]) await untilReplicasReady(n);
  }, 600_000);
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop(), xc?.stop()]);
    t.cleanup();
  });

  it('answers every search of a stream across a rotation; peers re-pin on their own and audit it', async () => {
    const before = await descriptorOf(xa);
    const oldKeyId: string = before.payload.signingKey.keyId;
    const outcomes: { from: string; to: string; status: string; error?: unknown }[] = [];
    let running = true;
    let n = 0;
    const stream = (async () => {
      while (running) {
        n++;
        const [b, c, a] = await Promise.all([search(xb, CHILD_A, `ROT-B-${n}`), search(xc, CHILD_A, `ROT-C-${n}`), search(xa, CHILD_B, `ROT-A-${n}`)]);
        outcomes.push({ from: 'XB', to: 'XA', ...b.XA! }, { from: 'XC', to: 'XA', ...c.XA! }, { from: 'XA', to: 'XB', ...a.XB! });
      }
    })();
    await new Promise((r) => setTimeout(r, 1500));
    const rot = await cairnAsync(['keys', 'rotate', 'signing', '--home', xa.home, '--overlap-days', '7', '--json']);
    expect(rot.status, rot.stderr).toBe(0);
    const rotated = JSON.parse(rot.stdout) as { keyId: string; previousKeyId: string; overlapUntil: string; fingerprint: string };
    expect(rotated.previousKeyId).toBe(oldKeyId);
    // The stream goes on until both peers have followed, and a few rounds more.
    await expect.poll(() => [peerRow(xb, 'XA').signing_key_id, peerRow(xc, 'XA').signing_key_id], { timeout: 60_000, interval: 250 }).toEqual([rotated.keyId, rotated.keyId]);
    const seen = n;
    await expect.poll(() => n, { timeout: 60_000 }).toBeGreaterThan(seen + 3);
    running = false;
    await stream;

    // Every search was answered as before: a hit each time, never an error or a false no-hit.
    expect(outcomes.length).toBeGreaterThan(12);
    expect(outcomes.filter((o) => o.status !== 'hit')).toEqual([]);

    // During the overlap the descriptor lists both keys and both signed it.
    const during = await descriptorOf(xa);
    expect(during.payload.signingKey.keyId).toBe(rotated.keyId);
    expect(during.payload.retiringSigningKeys).toEqual([expect.objectContaining({ keyId: oldKeyId, overlapUntil: rotated.overlapUntil.replace(/\.\d{3}Z$/, 'Z') })]);
    expect(during.envelope.signatures.map((s) => s.keyid).sort()).toEqual([oldKeyId, rotated.keyId].sort());

    // Both sides audited it.
    const rotateEntry = JSON.parse(auditTypes(xa, 'keys.rotate')[0]!.entry);
    expect(rotateEntry.data).toMatchObject({ key: 'signing', previousKeyId: oldKeyId, keyId: rotated.keyId });
    for (const peer of [xb, xc]) {
      const e = auditTypes(peer, 'peers.key_rotated').map((x) => JSON.parse(x.entry));
      expect(e).toEqual([expect.objectContaining({ actor: 'system', data: expect.objectContaining({ country: 'XA', previousKeyId: oldKeyId, keyId: rotated.keyId, crossSigned: true }) })]);
      expect(peerRow(peer, 'XA').status).toBe('active');
    }
    // keys status shows the overlap.
    const st = cairn(['keys', 'status', '--home', xa.home, '--json']);
    expect(st.status, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { key: string; keyId: string; retiring?: { keyId: string }[]; rotateEveryDays: number; due: boolean }[];
    expect(status[0]).toMatchObject({ key: 'signing', keyId: rotated.keyId, rotateEveryDays: 365, due: false, retiring: [{ keyId: oldKeyId }] });
    expect(status[1]).toMatchObject({ key: 'oprf', rotateEveryDays: 90 });
    // /metrics exposes the age of each key.
    const metrics = await (await fetch(`${xa.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`cairn_key_age_seconds\\{key="signing",key_id="${rotated.keyId}"\\} \\d+`));
    expect(metrics).toMatch(/cairn_key_age_seconds\{key="oprf",key_id="[0-9a-f]{64}"\} \d+/);

    // A search answered before the rotation still lists its record: the receipt keeps the key of its day.
    const first = (() => {
      const d = new Database(join(xb.home, 'cairn.db'), { readonly: true });
      try {
        return d.prepare("select id from searches where case_reference = 'ROT-B-1'").get() as { id: string };
      } finally {
        d.close();
      }
    })();
    const old = await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${first.id}`);
    expect(old.status).toBe(200);
    const atXa = (old.json.results as { peer: { country: string }; records?: { receipt: { record: { ref: string } } }[] }[]).find((r) => r.peer.country === 'XA')!;
    expect(atXa.records?.map((r) => r.receipt.record.ref)).toEqual(['XA-1']);
    const envelope = (old.json.results as { peer: { country: string }; receipts?: { signatures: { keyid: string }[] }[] }[]).find((r) => r.peer.country === 'XA')!.receipts![0]!;
    expect(envelope.signatures.map((x) => x.keyid)).toEqual([oldKeyId]);

    // Every audit log verifies across the rotation: XA's checkpoints under two keys, the peers' cosignatures by XA's old and new key.
    for (const node of [xa, xb, xc]) verifyAudit(node);
  }, 300_000);

  it('verifies an audit log signed by three successive keys, and peers follow a second rotation too', async () => {
    const second = await cairnAsync(['keys', 'rotate', 'signing', '--home', xa.home, '--json']);
    expect(second.status, second.stderr).toBe(0);
    const k3 = JSON.parse(second.stdout) as { keyId: string };
    await new Promise((r) => setTimeout(r, 1500));
    // Searches keep being answered; XB follows to the third key.
    for (let i = 0; i < 3; i++) {
      expect((await search(xb, CHILD_A, `ROT3-B-${i}`)).XA!.status).toBe('hit');
      expect((await search(xa, CHILD_B, `ROT3-A-${i}`)).XB!.status).toBe('hit');
    }
    expect(peerRow(xb, 'XA').signing_key_id).toBe(k3.keyId);
    const d = new Database(join(xa.home, 'cairn.db'), { readonly: true });
    const keys = d.prepare('select key_id, retired_at from signing_keys order by created_at').all() as { key_id: string; retired_at: string | null }[];
    // Checkpoints by each of the three keys are in the log.
    const checkpoints = (d.prepare('select count(*) n from audit_checkpoints').get() as { n: number }).n;
    d.close();
    expect(keys).toHaveLength(3);
    expect(keys.filter((k) => k.retired_at === null).map((k) => k.key_id)).toEqual([k3.keyId]);
    expect(checkpoints).toBeGreaterThan(3);
    expect(verifyAudit(xa)).toMatch(/audit log OK/);
    verifyAudit(xb);
  }, 300_000);

  it('--compromised: peers stop searching the node until its new fingerprint is pinned by hand', async () => {
    const rot = await cairnAsync(['keys', 'rotate', 'signing', '--home', xc.home, '--compromised', '--json']);
    expect(rot.status, rot.stderr).toBe(0);
    const fresh = JSON.parse(rot.stdout) as { fingerprint: string; keyId: string; overlapUntil: string | null };
    expect(fresh.overlapUntil).toBeNull();
    await new Promise((r) => setTimeout(r, 1500));
    const d = await descriptorOf(xc);
    expect(d.payload.retiringSigningKeys).toBeUndefined();
    expect(d.envelope.signatures).toHaveLength(1);

    // XB's next search of XC is refused (addressed to XC's old key); XB looks at XC's descriptor
    // (at most every 30 s) and finds the key changed without a cross-signature. Meanwhile XC's
    // outcome is an error, never a no-hit.
    const xcOutcomes: string[] = [];
    await expect
      .poll(
        async () => {
          const r = await search(xb, CHILD_A, `COMP-1-${xcOutcomes.length}`);
          expect(r.XA!.status).toBe('hit');
          if (r.XC) xcOutcomes.push(r.XC.status);
          return peerRow(xb, 'XC').status;
        },
        { timeout: 120_000, interval: 3000 },
      )
      .toBe('repin_required');
    expect(xcOutcomes.length).toBeGreaterThan(0);
    expect(xcOutcomes.filter((s) => s !== 'error')).toEqual([]);
    // ... and from then on XC is not searched at all.
    const next = await search(xb, CHILD_A, 'COMP-2');
    expect(Object.keys(next)).toEqual(['XA']);
    const list = cairn(['peers', 'list', '--home', xb.home]);
    expect(list.stdout).toMatch(/XC {2}repin_required/);
    expect(list.stdout).toContain('cairn peers update XC --fingerprint FP');
    const entry = auditTypes(xb, 'peers.repin_required').map((x) => JSON.parse(x.entry));
    expect(entry).toEqual([expect.objectContaining({ data: expect.objectContaining({ country: 'XC', presentedKeyId: fresh.keyId }) })]);
    // XC's own requests to XB are refused meanwhile (with the code that says why, once XB knows).
    const fromC = await search(xc, CHILD_B, 'COMP-C');
    expect(fromC.XB!.status).toBe('error');

    // A wrong fingerprint changes nothing; the right one (checked out of band) re-pins and reactivates.
    const wrong = cairn(['peers', 'update', 'XC', '--home', xb.home, '--fingerprint', fresh.fingerprint.replace(/^./, (c) => (c === '0' ? '1' : '0'))]);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain('fingerprint mismatch');
    expect(peerRow(xb, 'XC').status).toBe('repin_required');
    const ok = cairn(['peers', 'update', 'XC', '--home', xb.home, '--fingerprint', fresh.fingerprint]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`signing key re-pinned to ${fresh.fingerprint}`);
    expect(peerRow(xb, 'XC')).toEqual({ signing_key_id: fresh.keyId, status: 'active' });
    const after = await search(xb, CHILD_A, 'COMP-3');
    expect(after.XC!.status).toBe('no_hit');
    expect(after.XA!.status).toBe('hit');
    // XC searches XB again once XB pinned it (XA has not yet: XC's answer from XA stays an error).
    const fromC2 = await search(xc, CHILD_B, 'COMP-C2');
    expect(fromC2.XB!.status).toBe('hit');
    for (const node of [xa, xb, xc]) verifyAudit(node);
  }, 300_000);

  it('re-pins a repin_required peer over the API too (Workers nodes have no CLI)', async () => {
    // XA still pins XC's compromised key: its searches of XC are refused until it notices.
    await expect
      .poll(
        async () => {
          const r = await search(xa, CHILD_B, `COMP-A-${Date.now()}`);
          if (r.XC) expect(r.XC.status).toBe('error');
          return peerRow(xa, 'XC').status;
        },
        { timeout: 120_000, interval: 3000 },
      )
      .toBe('repin_required');
    const peers = (await api(xa, xa.tokens.operator, 'GET', '/v1/peers')).json.peers as { id: string; country: string }[];
    const xcId = peers.find((p) => p.country === 'XC')!.id;
    const fp = (await descriptorOf(xc)).payload.signingKey.publicKey as string;
    const fingerprint = (await import('../src/core/signing.js')).fingerprintOf(new Uint8Array(Buffer.from(fp, 'base64url')));
    const wrong = await api(xa, xa.tokens.operator, 'POST', `/v1/peers/${xcId}/repin`, { fingerprint: xb.fingerprint });
    expect(wrong.status).toBe(401);
    const ok = await api(xa, xa.tokens.operator, 'POST', `/v1/peers/${xcId}/repin`, { fingerprint });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json.peer).toMatchObject({ status: 'active', signingKeyFingerprint: fingerprint });
    // XA signs with the key of its second rotation. If XC looked at XA's descriptor in the last
    // 30 s, before that rotation, XC's first look at a request under the unknown key is a sweep of
    // every peer's descriptor, allowed every 5 s whatever each peer's 30 s wait: XA is answered
    // within seconds. Meanwhile XC refuses it as peer_unknown, never anything else.
    const outcomes: string[] = [];
    await expect
      .poll(
        async () => {
          const r = (await search(xa, CHILD_B, `COMP-A-after-${outcomes.length}`)).XC!;
          outcomes.push(r.status === 'error' ? `error ${r.error?.code}` : r.status);
          return r.status;
        },
        { timeout: 12_000, interval: 1000 },
      )
      .toBe('no_hit');
    expect(outcomes.slice(0, -1).filter((o) => o !== 'error peer_unknown')).toEqual([]);
  }, 300_000);
});
