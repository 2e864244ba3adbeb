/**
 * What an answer reads once and keeps (the active OPRF epoch; whether a
 * record is past retention today), over a real SQLite file with a second
 * connection standing in for another process (the CLI, a second serve):
 * another connection's commit, a new UTC day and this process's own
 * activation each make the next answer read again. A write on the same
 * connection that bypasses the use cases is not seen, which shows the value
 * was kept.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { fixedKeyStore, OprfEpochs } from '../src/core/keys/oprf-epochs.js';
import { generateOprfKeyPair } from '../src/core/oprf/index.js';
import { silentLogger, systemClock } from '../src/core/ports.js';
import { RetentionProbe } from '../src/core/records/manage.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { openSqlite, type SqliteHandle } from '../src/node/sqlite.js';
import { tempDir } from './helpers/cli.js';

describe('values an answer keeps', () => {
  const t = tempDir('cairn-caches-');
  afterAll(() => t.cleanup());
  let a: SqliteHandle;
  let b: SqliteHandle;
  beforeEach(async () => {
    const file = join(t.dir, `${Math.random().toString(36).slice(2)}.db`);
    a = openSqlite(file);
    await migrateToLatest(a.db);
    b = openSqlite(file);
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  const addRecord = (h: SqliteHandle, ref: string, retentionUntil: string) =>
    h.raw
      .prepare(`insert into records (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at) values (?, 'missing_child', 'U', 'c@x.example', '2026-01-01', ?, ?, '2026-01-01T00:00:00Z')`)
      .run(ref, retentionUntil, Buffer.alloc(32, ref.length));

  it('retention: kept for the day, read again after another connection writes, a day passes or an epoch is activated', async () => {
    const probe = new RetentionProbe(a.db, a.dataVersion);
    const noon = new Date('2026-12-02T12:00:00Z');
    addRecord(a, 'R-1', '2027-01-01');
    expect(await probe.expired(noon)).toBeUndefined();
    // The same connection, bypassing the use cases (which refuse a past retention date): not seen, the day's answer is kept.
    a.raw.prepare("update records set retention_until = '2026-11-30' where ref = 'R-1'").run();
    expect(await probe.expired(noon)).toBeUndefined();
    // This process activated an OPRF epoch: probe again.
    probe.changed();
    expect(await probe.expired(noon)).toBe('2026-12-02');
    a.raw.prepare("update records set retention_until = '2027-01-01' where ref = 'R-1'").run();
    expect(await probe.expired(noon)).toBeUndefined();
    // Another connection moves the date back: its commit is seen at once.
    b.raw.prepare("update records set retention_until = '2026-11-30' where ref = 'R-1'").run();
    expect(await probe.expired(noon)).toBe('2026-12-02');
    // Still expired on the next call (a positive answer is never kept), until purged.
    expect(await probe.expired(noon)).toBe('2026-12-02');
    b.raw.prepare("delete from records where ref = 'R-1'").run();
    addRecord(a, 'R-2', '2026-12-02');
    expect(await probe.expired(noon)).toBeUndefined();
    // The next day R-2 is past retention, with nothing written meanwhile.
    expect(await probe.expired(new Date('2026-12-03T00:00:01Z'))).toBe('2026-12-03');
  });

  it('retention: without a data version every call probes', async () => {
    const probe = new RetentionProbe(a.db);
    const noon = new Date('2026-12-02T12:00:00Z');
    addRecord(a, 'R-1', '2027-01-01');
    expect(await probe.expired(noon)).toBeUndefined();
    a.raw.prepare("update records set retention_until = '2026-11-30' where ref = 'R-1'").run();
    expect(await probe.expired(noon)).toBe('2026-12-02');
  });

  it('the active OPRF epoch: kept until another connection switches it or this process activates one', async () => {
    const k1 = generateOprfKeyPair();
    const k2 = generateOprfKeyPair();
    const k3 = generateOprfKeyPair();
    const epochs = new OprfEpochs({ db: a.db, atomic: sqliteAtomicWriter(a.raw), clock: systemClock, logger: silentLogger, store: fixedKeyStore([k1.secretKey, k2.secretKey, k3.secretKey]), dataVersion: a.dataVersion });
    expect((await epochs.active()).epoch).toBe(1);
    const now = new Date().toISOString();
    const switchTo = (h: SqliteHandle, epoch: number, publicKey: Uint8Array) =>
      h.raw.transaction(() => {
        h.raw.prepare(`update oprf_epochs set status = 'retired', retired_at = ? where status = 'active'`).run(now);
        h.raw.prepare(`insert into oprf_epochs (epoch, status, public_key, created_at, activated_at, retired_at) values (?, 'active', ?, ?, ?, null)`).run(epoch, publicKey, now, now);
      })();
    // Written on the same connection past the use case: not seen, the epoch was kept.
    switchTo(a, 2, k2.publicKey);
    expect((await epochs.active()).epoch).toBe(1);
    // Another process switches: seen at once, with that epoch's key.
    switchTo(b, 3, k3.publicKey);
    const after = await epochs.active();
    expect([after.epoch, after.secretKey]).toEqual([3, k3.secretKey]);
    // Without a data version: read every time.
    const plain = new OprfEpochs({ db: a.db, atomic: sqliteAtomicWriter(a.raw), clock: systemClock, logger: silentLogger, store: fixedKeyStore([k1.secretKey, k2.secretKey, k3.secretKey]) });
    expect((await plain.active()).epoch).toBe(3);
  });

  it('the active OPRF epoch after this process activates one through the use case', async () => {
    const k1 = generateOprfKeyPair();
    const store = fixedKeyStore([k1.secretKey]);
    const next = generateOprfKeyPair();
    const keys = [k1.secretKey];
    const growing = { ...store, secretKeys: () => keys, create: () => (keys.push(next.secretKey), next.secretKey) };
    const epochs = new OprfEpochs({ db: a.db, atomic: sqliteAtomicWriter(a.raw), clock: systemClock, logger: silentLogger, store: growing, dataVersion: a.dataVersion });
    expect((await epochs.active()).epoch).toBe(1);
    await epochs.rotate('test');
    expect((await epochs.active()).epoch).toBe(1);
    await epochs.activate('test');
    const after = await epochs.active();
    expect([after.epoch, after.secretKey]).toEqual([2, next.secretKey]);
  });
});
