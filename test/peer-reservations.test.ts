/**
 * Rate windows and daily budgets of peers' requests in a real SQLite file,
 * shared by two writers as two `serve` processes share it: every request
 * counts in the current minute whichever process took it, and windows of
 * earlier minutes are cleared once the next minute starts.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/core/db/migrations.js';
import type { Peer } from '../src/core/federation/peers.js';
import { PeerReservations } from '../src/core/federation/policy.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { openSqlite } from '../src/node/sqlite.js';
import { tempDir } from './helpers/cli.js';

describe('peer reservations', () => {
  const t = tempDir('cairn-reserve-');
  afterAll(() => t.cleanup());

  it('count every request in its minute across writers, refuse past the rate and the budget, and clear old windows', async () => {
    const file = join(t.dir, 'cairn.db');
    const a = openSqlite(file);
    await migrateToLatest(a.db);
    const b = openSqlite(file);
    let now = Date.UTC(2026, 11, 2, 10, 0, 5);
    const clock = { now: () => new Date(now) };
    const ra = new PeerReservations({ db: a.db, atomic: sqliteAtomicWriter(a.raw), clock });
    const rb = new PeerReservations({ db: b.db, atomic: sqliteAtomicWriter(b.raw), clock });
    const peer = { id: 'peer-1', policy: { ratePerMinute: 3, dailyElementBudget: 40 } } as unknown as Peer;
    const windows = () => a.raw.prepare('select minute, requests from peer_rate order by minute').all() as { minute: number; requests: number }[];
    const minute = Math.floor(now / 60_000);
    try {
      await ra.reserve(peer, 8);
      await rb.reserve(peer, 8);
      await ra.reserve(peer, 8);
      expect(windows()).toEqual([{ minute, requests: 3 }]);
      await expect(rb.reserve(peer, 8)).rejects.toMatchObject({ code: 'rate_limited' });
      // The next minute: a new window, the old one cleared by whichever writer comes first.
      now += 60_000;
      await rb.reserve(peer, 8);
      expect(windows()).toEqual([{ minute: minute + 1, requests: 1 }]);
      await ra.reserve(peer, 8);
      expect(windows()).toEqual([{ minute: minute + 1, requests: 2 }]);
      // 40 elements a day: 5 × 8 reserved, the sixth is over budget and still counts against the rate.
      await expect(ra.reserve(peer, 8)).rejects.toMatchObject({ code: 'budget_exceeded' });
      expect(windows()).toEqual([{ minute: minute + 1, requests: 3 }]);
      // Two minutes on, with nothing in between: still one window.
      now += 120_000;
      await expect(ra.reserve(peer, 8)).rejects.toMatchObject({ code: 'budget_exceeded' });
      expect(windows()).toEqual([{ minute: minute + 3, requests: 1 }]);
    } finally {
      await b.close();
      await a.close();
    }
  });
});
