/**
 * The audit log checks its own checkpoints with the Ed25519 rule its runtime
 * wires (OpenSSL on Node, noble on Workers), not a fixed one: the rule is
 * called, and its verdict is the log's. Real SQLite file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { appendStatement } from '../src/core/audit/entry.js';
import { createAuditLog } from '../src/core/audit/log.js';
import { migrateToLatest } from '../src/core/db/migrations.js';
import { systemClock } from '../src/core/ports.js';
import { ed25519Signer, type Ed25519Verify } from '../src/core/signing.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { nodeEd25519Verify } from '../src/node/ed25519.js';
import { openSqlite, type SqliteHandle } from '../src/node/sqlite.js';
import { tempDir } from './helpers/cli.js';

describe('audit log Ed25519 rule', () => {
  const opened: { sqlite: SqliteHandle; cleanup: () => void }[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) {
      await o.sqlite.close();
      o.cleanup();
    }
  });

  it('verifies its checkpoints with the wired rule, whose verdict it follows', async () => {
    const tmp = tempDir();
    const sqlite = openSqlite(`${tmp.dir}/db.sqlite`);
    opened.push({ sqlite, cleanup: tmp.cleanup });
    await migrateToLatest(sqlite.db);
    let calls = 0;
    const counting: Ed25519Verify = (...args) => {
      calls++;
      return nodeEd25519Verify(...args);
    };
    const deps = { db: sqlite.db, atomic: sqliteAtomicWriter(sqlite.raw), clock: systemClock, signer: ed25519Signer(new Uint8Array(32).fill(3)), baseUrl: 'https://xa.example' };
    const log = createAuditLog({ ...deps, verify: counting });
    for (let i = 0; i < 3; i++) await deps.atomic.run([appendStatement(deps.db, { type: 'users.add', actor: 'test', data: { i } }, new Date())]);
    await log.latestCheckpoint();
    const report = await log.verify();
    expect(report).toMatchObject({ ok: true, size: 3, checkpoints: 1 });
    expect(calls).toBeGreaterThan(0);
    // The same log read under a rule that refuses every signature: its own checkpoint no longer verifies.
    const refusing = await createAuditLog({ ...deps, verify: () => false }).verify();
    expect(refusing.ok).toBe(false);
    expect(refusing.problem?.message).toMatch(/checkpoint/);
  });
});
