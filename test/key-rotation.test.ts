/**
 * Both key rotations between real nodes (protocol/32-key-rotation.md and
 * 38-key-epochs.md): three `cairn serve` processes on loopback. XB rotates
 * its OPRF key, re-imports its records into the pending epoch through its
 * API, and activates it, while XA and XC keep searching it; in the middle of
 * it XA rotates its signing key, and XB re-pins XA's new key on its own. Every search is answered under one
 * epoch: a hit stays a hit, never a no-hit (index_syncing only while a
 * replica is transferred anew). XA and XC follow XB's new key through its
 * signed descriptor and resync on their own. The old epoch's token matches
 * nothing any more, the old key file is gone, and every audit log verifies.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { fromHex, toBase64Url, utf8 } from '../src/core/bytes.js';
import { FEDERATION } from '../src/core/constants.js';
import { buildSignedRequest } from '../src/core/federation/http-signature.js';
import { indexFingerprint } from '../src/core/federation/index/fingerprint.js';
import { deriveMatchKeys, parseIdentifiers } from '../src/core/identity/index.js';
import { evaluateToken } from '../src/core/oprf/index.js';
import { systemClock, webRandom } from '../src/core/ports.js';
import { tokenConfirm } from '../src/core/records/token-layout.js';
import { ed25519Signer, keyIdOf } from '../src/core/signing.js';
import { freePort, tempDir } from './helpers/cli.js';

const PERSON = { names: [{ given: 'Amira', family: 'Rotova' }], dateOfBirth: { precision: 'day', date: '2012-03-04' } };
const RECORDS = [
  { ref: 'XB-ROT-1', category: 'missing_child', owningUnit: 'Unit 1', contactPoint: 'desk@xb.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: PERSON },
  ...Array.from({ length: 30 }, (_, i) => ({
    ref: `XB-OTHER-${i}`,
    category: 'missing_child',
    owningUnit: 'Unit 2',
    contactPoint: 'desk@xb.example',
    recordDate: '2026-01-01',
    retentionUntil: '2036-01-01',
    identifiers: { names: [{ given: 'Filler', family: `Person${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}` }], dateOfBirth: { precision: 'day', date: '2010-01-01' } },
  })),
];

interface Outcome {
  from: string;
  status: string;
  code?: string;
}

describe('OPRF and signing key rotation during a stream of searches (three real nodes)', () => {
  const t = tempDir('cairn-oprf-rot-');
  let nodes: FedNode[];
  let xa: FedNode;
  let xb: FedNode;
  let xc: FedNode;

  const search = async (from: FedNode): Promise<Outcome> => {
    const r = await api(from, from.tokens.analyst, 'POST', '/v1/searches', {
      purpose: 'missing_child_tracing',
      legalBasis: 'key rotation test',
      caseReference: 'ROT-1',
      identifiers: PERSON,
      peers: ['XB'],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const res = (r.json.results as { peer: { country: string }; status: string; error?: { code: string } }[]).find((x) => x.peer.country === 'XB')!;
    return { from: from.country, status: res.status, ...(res.error ? { code: res.error.code } : {}) };
  };

  const db = (n: FedNode) => new Database(join(n.home, 'cairn.db'), { readonly: true });

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    nodes = await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Node A', port: ports[0]! },
        { country: 'XB', name: 'Node B', port: ports[1]! },
        { country: 'XC', name: 'Node C', port: ports[2]! },
      ],
      { missing_child_tracing: ['missing_child'] },
      // Generous rate: the stream searches XB many times a minute.
      { CAIRN_FEDERATION_REPLICA_CATCH_UP_MS: '3000' },
    );
    [xa, xb, xc] = nodes as [FedNode, FedNode, FedNode];
    for (const a of [xa, xc]) cli(['peers', 'policy', 'XB', '--home', a.home, '--allow', 'missing_child_tracing=missing_child', '--rate', '600']);
    cli(['peers', 'policy', 'XA', '--home', xb.home, '--allow', 'missing_child_tracing=missing_child', '--rate', '600']);
    cli(['peers', 'policy', 'XC', '--home', xb.home, '--allow', 'missing_child_tracing=missing_child', '--rate', '600']);
    writeFileSync(join(t.dir, 'xb.ndjson'), `${RECORDS.map((r) => JSON.stringify(r)).join('\n')}\n`);
    cli(['import', join(t.dir, 'xb.ndjson'), '--node', xb.url, '--token', xb.tokens.operator]);
    await untilReplicasReady(xa);
    await untilReplicasReady(xc);
  }, 600_000);

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    t.cleanup();
  });

  it('rotates, re-imports and activates XB’s OPRF key, and rotates XA’s signing key, while XA and XC keep finding the record', async () => {
    expect(await search(xa)).toEqual({ from: 'XA', status: 'hit' });
    expect(await search(xc)).toEqual({ from: 'XC', status: 'hit' });

    // The old epoch's token of the record, computed with the old key (as a thief of a replica and the old key would).
    const oldKeyPath = join(xb.home, 'keys/oprf.key');
    const oldKey = fromHex(readFileSync(oldKeyPath, 'utf8').trim());
    const key = deriveMatchKeys(parseIdentifiers(PERSON))[0]!;
    const oldToken = evaluateToken(oldKey, key.encoded);
    const oldFp = indexFingerprint(oldToken);
    let d = db(xb);
    expect((d.prepare('select count(*) n from tokens where fingerprint = ?').get(oldFp) as { n: number }).n).toBe(1);
    d.close();

    // A stream of searches from XA and XC all through the rotation.
    const outcomes: Outcome[] = [];
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        outcomes.push(...(await Promise.all([search(xa), search(xc)])));
        await new Promise((r) => setTimeout(r, 150));
      }
    })();

    const rotated = JSON.parse(cli(['keys', 'rotate', 'oprf', '--node', xb.url, '--token', xb.tokens.operator, '--json']));
    expect(rotated.active.epoch).toBe(1);
    expect(rotated.pending.epoch).toBe(2);
    const nextPath = `${oldKeyPath}.next`;
    expect(readFileSync(nextPath, 'utf8').trim()).toMatch(/^[0-9a-f]{64}$/);
    expect((await import('node:fs')).statSync(nextPath).mode & 0o777).toBe(0o600);

    const imported = cli(['import', join(t.dir, 'xb.ndjson'), '--node', xb.url, '--token', xb.tokens.operator, '--epoch', 'next']);
    expect(imported).toMatch(/every record of epoch 1 is in epoch 2/);
    const progress = JSON.parse(cli(['keys', 'epochs', '--node', xb.url, '--token', xb.tokens.operator, '--json']));
    expect(progress.categories).toEqual([{ category: 'missing_child', active: RECORDS.length, pending: RECORDS.length, activeTokens: expect.any(Number), pendingTokens: expect.any(Number) }]);
    expect(progress.categories[0].pendingTokens).toBe(progress.categories[0].activeTokens);
    expect(progress.missing).toBe(0);
    // The searcher XA rotates its signing key meanwhile: XB follows it
    // through XA's cross-signed descriptor (on XA's next request), and XA's
    // searches go on being answered.
    const xaRotated = JSON.parse(cli(['keys', 'rotate', 'signing', '--home', xa.home, '--overlap-days', '7', '--json'])) as { keyId: string };
    const pinnedXa = () => {
      const x = db(xb);
      try {
        return (x.prepare("select signing_key_id from peers where country = 'XA'").get() as { signing_key_id: string }).signing_key_id;
      } finally {
        x.close();
      }
    };
    await expect.poll(pinnedXa, { timeout: 60_000, interval: 250 }).toBe(xaRotated.keyId);
    // Still served under epoch 1 meanwhile.
    await new Promise((r) => setTimeout(r, 1000));
    const before = outcomes.length;
    expect(outcomes.every((o) => o.status === 'hit')).toBe(true);

    const activated = JSON.parse(cli(['keys', 'activate', '--node', xb.url, '--token', xb.tokens.operator, '--json']));
    expect(activated).toMatchObject({ epoch: 2, previous: 1, records: RECORDS.length, dropped: 0 });
    expect(activated.destroyed).toEqual([oldKeyPath]);
    expect(existsSync(nextPath)).toBe(false);
    expect(readFileSync(oldKeyPath, 'utf8').trim()).not.toBe(Buffer.from(oldKey).toString('hex'));
    // The running node reports the key now active, not the one it started with: /metrics ...
    const activeKeyId = JSON.parse(cli(['keys', 'epochs', '--node', xb.url, '--token', xb.tokens.operator, '--json'])).active.keyId as string;
    const metrics = await (await fetch(`${xb.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`cairn_key_age_seconds\\{key="oprf",key_id="${activeKeyId}"\\}`));

    // Searches go on until both searchers have found the record under the new epoch several times.
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const tail = outcomes.slice(-6);
      if (outcomes.length > before + 10 && tail.length === 6 && tail.every((o) => o.status === 'hit')) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    streaming = false;
    await stream;

    // Never a no-hit, never an error: a hit, or index_syncing while a replica of epoch 2 is transferred.
    const bad = outcomes.filter((o) => o.status !== 'hit' && o.status !== 'index_syncing');
    expect(bad).toEqual([]);
    expect(outcomes.slice(-6).every((o) => o.status === 'hit')).toBe(true);
    expect(await search(xa)).toEqual({ from: 'XA', status: 'hit' });
    expect(await search(xc)).toEqual({ from: 'XC', status: 'hit' });

    // XA and XC followed XB to epoch 2 on their own: key from the signed descriptor, replicas of epoch 2.
    const descriptor = await (await fetch(`${xb.url}/.well-known/cairn/node`)).json();
    const payload = JSON.parse(Buffer.from(descriptor.payload, 'base64').toString('utf8'));
    expect(payload.oprfKey.epoch).toBe(2);
    for (const a of [xa, xc]) {
      d = db(a);
      const peer = d.prepare("select oprf_epoch, oprf_public_key from peers where country = 'XB'").get() as { oprf_epoch: number; oprf_public_key: Buffer };
      expect(peer.oprf_epoch).toBe(2);
      expect(toBase64Url(new Uint8Array(peer.oprf_public_key))).toBe(payload.oprfKey.publicKey);
      const rep = d.prepare("select r.epoch, r.status from replicas r join peers p on p.id = r.peer_id where p.country = 'XB'").all() as { epoch: number; status: string }[];
      expect(rep).toEqual([{ epoch: 2, status: 'ready' }]);
      // The old epoch's fingerprint is in no replica.
      const shards = d.prepare("select s.fingerprints from replica_shards s join replicas r on r.id = s.replica_id join peers p on p.id = r.peer_id where p.country = 'XB'").all() as { fingerprints: Buffer }[];
      expect(shards.some((s) => s.fingerprints.includes(Buffer.from(oldFp)))).toBe(false);
      const types = (d.prepare("select type from audit_entries where type in ('peers.oprf_key', 'index.sync')").all() as { type: string }[]).map((r) => r.type);
      expect(types).toContain('peers.oprf_key');
      d.close();
    }

    // XB holds no token of epoch 1 any more, and refuses to confirm one.
    d = db(xb);
    expect((d.prepare('select count(*) n from tokens where fingerprint = ?').get(oldFp) as { n: number }).n).toBe(0);
    const kinds = (d.prepare("select type from audit_entries where type like 'keys.oprf.%' order by idx").all() as { type: string }[]).map((r) => r.type);
    expect(kinds).toEqual(['keys.oprf.rotate', 'keys.oprf.activate', 'keys.oprf.destroy']);
    expect((d.prepare("select count(*) n from audit_entries where type = 'peers.key_rotated'").get() as { n: number }).n).toBe(1);
    d.close();
    const xaSigner = ed25519Signer(fromHex(readFileSync(join(xa.home, 'keys/signing.key'), 'utf8').trim()));
    const xbSigning = JSON.parse(Buffer.from(descriptor.payload, 'base64').toString('utf8')).signingKey.publicKey as string;
    const body = utf8(
      JSON.stringify({
        searchId: 's_old_epoch',
        purpose: 'missing_child_tracing',
        legalBasis: 'key rotation test',
        caseReference: 'ROT-1',
        category: 'missing_child',
        fingerprint: toBase64Url(oldFp),
        confirm: toBase64Url(tokenConfirm(oldToken)),
      }),
    );
    const { request } = buildSignedRequest({
      method: 'POST',
      url: new URL(`${FEDERATION.prefix}/hits`, xb.url),
      body,
      signer: xaSigner,
      recipientKeyId: keyIdOf(Buffer.from(xbSigning, 'base64url')),
      clock: systemClock,
      random: webRandom,
      headers: { 'content-type': FEDERATION.mediaType },
    });
    const res = await fetch(request.url, { method: 'POST', headers: request.headers, body: body as Uint8Array<ArrayBuffer> });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('hit_not_found');

    // Every audit log verifies across the rotation.
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) expect(cli(['audit', 'verify', '--home', n.home])).toMatch(/ok|verified/i);
  }, 600_000);
});
