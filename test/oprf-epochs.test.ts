/**
 * OPRF key epochs inside one node (protocol/38-key-epochs.md), over a real
 * SQLite database: a pending epoch changes nothing served; a record changed
 * or deleted in the served epoch meanwhile loses its pending copy, and
 * activation refuses to drop it unseen; activation swaps tokens, restarts
 * every index above every old version, and leaves record fingerprints under
 * the new key.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/core/config.js';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { fromBase64, fromUtf8 } from '../src/core/bytes.js';
import { indexFingerprint } from '../src/core/federation/index/fingerprint.js';
import { deriveMatchKeys, parseIdentifiers } from '../src/core/identity/index.js';
import { fixedKeyStore } from '../src/core/keys/oprf-epochs.js';
import { evaluateToken, generateOprfKeyPair } from '../src/core/oprf/index.js';
import { silentLogger, systemClock, webRandom } from '../src/core/ports.js';
import { createServices } from '../src/core/services.js';
import { ed25519Signer } from '../src/core/signing.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { openSqlite } from '../src/node/sqlite.js';

const ids = (family: string) => ({ names: [{ given: 'Edda', family }], dateOfBirth: { precision: 'day', date: '2011-11-11' } });
const rec = (ref: string, family: string) => ({
  row: 1,
  value: { ref, category: 'missing_child', owningUnit: 'U', contactPoint: 'desk@u.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: ids(family) },
});

async function node() {
  const sqlite = openSqlite(':memory:');
  await migrateToLatest(sqlite.db);
  const k1 = generateOprfKeyPair().secretKey;
  const k2 = generateOprfKeyPair().secretKey;
  const config = resolveConfig({ node: { id: randomUUID(), country: 'XE', name: 'Epochs', url: 'http://127.0.0.1:9' } }, {});
  const services = createServices(
    { db: sqlite.db, atomic: sqliteAtomicWriter(sqlite.raw), clock: systemClock, random: webRandom, logger: silentLogger, signer: ed25519Signer(webRandom.bytes(32)), oprfSecretKey: k1, oprfKeys: fixedKeyStore([k1, k2]) },
    config,
  );
  const fp = (key: Uint8Array, family: string) => indexFingerprint(evaluateToken(key, deriveMatchKeys(parseIdentifiers(ids(family)))[0]!.encoded));
  const count = (sql: string, ...args: unknown[]) => (sqlite.raw.prepare(sql).get(...args) as { n: number }).n;
  return { sqlite, services, k1, k2, fp, count };
}

const headOf = (env: { payload: string }) => JSON.parse(fromUtf8(fromBase64(env.payload))) as { epoch?: number; version: number; floor: number; count: number };

describe('OPRF key epochs in one node', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.close();
  });

  it('keeps serving epoch 1 while epoch 2 fills, then switches everything at once', async () => {
    const n = await node();
    open.push(n.sqlite);
    const { services: s } = n;
    await s.records.importBatch([rec('E-1', 'Alpha'), rec('E-2', 'Beta'), rec('E-3', 'Gamma')], { actor: 'test', source: 'test' });
    const head1 = await s.index.owner.head('missing_child');
    expect(headOf(head1.envelope).epoch).toBeUndefined();

    await expect(s.records.importBatch([rec('E-1', 'Alpha')], { actor: 'test', source: 'test', epoch: 'next' })).rejects.toThrow(/no pending OPRF epoch/);
    const pending = await s.oprfEpochs.rotate('test');
    expect(pending.epoch).toBe(2);
    await expect(s.oprfEpochs.rotate('test')).rejects.toThrow(/already pending/);
    const r = await s.records.importBatch([rec('E-1', 'Alpha'), rec('E-2', 'Beta'), rec('E-3', 'Gamma')], { actor: 'test', source: 'test', epoch: 'next' });
    expect(r).toMatchObject({ imported: 0, updated: 3, unchanged: 0 });
    // Nothing served changed: the same head, epoch 1's tokens only.
    expect((await s.index.owner.head('missing_child')).envelope).toEqual(head1.envelope);
    expect(n.count('select count(*) n from tokens where fingerprint = ?', n.fp(n.k2, 'Alpha'))).toBe(0);
    expect(n.count('select count(*) n from pending_tokens where fingerprint = ?', n.fp(n.k2, 'Alpha'))).toBe(1);

    // Changed and deleted in epoch 1 meanwhile: their pending copies go.
    await s.records.importBatch([rec('E-2', 'Betamax')], { actor: 'test', source: 'test' });
    await s.records.delete('E-3', 'test');
    let p = await s.oprfEpochs.progress();
    expect(p.categories).toEqual([{ category: 'missing_child', active: 2, pending: 1, activeTokens: expect.any(Number), pendingTokens: expect.any(Number) }]);
    expect(p.missing).toBe(1);
    await expect(s.oprfEpochs.activate('test')).rejects.toThrow(/1 record\(s\) served in epoch 1 are not in the pending epoch 2 .*"E-2"/);
    await s.records.importBatch([rec('E-2', 'Betamax')], { actor: 'test', source: 'test', epoch: 'next' });
    p = await s.oprfEpochs.progress();
    expect(p.missing).toBe(0);
    expect(p.categories[0]!.pendingTokens).toBe(p.categories[0]!.activeTokens);

    const oldVersion = headOf((await s.index.owner.head('missing_child')).envelope).version;
    const done = await s.oprfEpochs.activate('test');
    expect(done).toMatchObject({ epoch: 2, previous: 1, records: 2, dropped: 0 });
    expect((await s.oprfEpochs.activeEpoch()).epoch).toBe(2);
    expect(n.count('select count(*) n from tokens where fingerprint = ?', n.fp(n.k1, 'Alpha'))).toBe(0);
    expect(n.count('select count(*) n from tokens where fingerprint = ?', n.fp(n.k2, 'Alpha'))).toBe(1);
    expect(n.count('select count(*) n from pending_tokens')).toBe(0);
    // Every index starts again above every old version, under epoch 2.
    const head2 = headOf((await s.index.owner.head('missing_child')).envelope);
    expect(head2.epoch).toBe(2);
    expect(head2.floor).toBeGreaterThan(oldVersion);
    expect(head2.version).toBeGreaterThan(head2.floor);
    expect(head2.count).toBe(n.count('select count(*) n from tokens'));
    const resync = await s.index.changesSince('missing_child', oldVersion);
    expect('resync' in resync).toBe(true);
    await expect(s.index.owner.snapshotPage('missing_child', oldVersion, 0, 65_536)).rejects.toThrow(/no longer reaches back/);
    // The descriptor carries epoch 2's key; records' fingerprints are under it (a re-import is unchanged).
    const desc = JSON.parse(fromUtf8(fromBase64((await s.node.currentDescriptor(new Date())).payload)));
    expect(desc.oprfKey.epoch).toBe(2);
    const again = await s.records.importBatch([rec('E-1', 'Alpha'), rec('E-2', 'Betamax')], { actor: 'test', source: 'test' });
    expect(again).toMatchObject({ imported: 0, updated: 0, unchanged: 2 });
    const audit = (n.sqlite.raw.prepare("select type from audit_entries where type like 'keys.oprf.%' order by idx").all() as { type: string }[]).map((x) => x.type);
    expect(audit).toEqual(['keys.oprf.rotate', 'keys.oprf.activate', 'keys.oprf.destroy']);
  });

  it('drops records not re-imported only when told to, naming them in the audit entry', async () => {
    const n = await node();
    open.push(n.sqlite);
    const { services: s } = n;
    await s.records.importBatch([rec('D-1', 'Delta'), rec('D-2', 'Epsilon')], { actor: 'test', source: 'test' });
    await s.oprfEpochs.rotate('test');
    await s.records.importBatch([rec('D-1', 'Delta')], { actor: 'test', source: 'test', epoch: 'next' });
    const done = await s.oprfEpochs.activate('test', { dropMissing: true });
    expect(done.dropped).toBe(1);
    expect(n.count("select count(*) n from records where ref = 'D-2'")).toBe(0);
    const entry = JSON.parse((n.sqlite.raw.prepare("select entry from audit_entries where type = 'keys.oprf.activate'").get() as { entry: string }).entry);
    expect(JSON.stringify(entry)).toContain('"droppedRefs":["D-2"]');
  });
});
