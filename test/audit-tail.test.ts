/**
 * The tail of the audit log cannot be cut unseen. Two real nodes on
 * loopback with a short checkpoint interval: every new entry is covered by
 * a signed checkpoint from the background task without anyone asking, XB
 * cosigns the XA checkpoints it verifies and sends the cosignatures back,
 * and `cairn audit verify` (a real child process on the real SQLite file)
 * catches a deleted newest entry, a rewritten one with its leaf hash
 * recomputed, and a log truncated by 10 whose checkpoints were deleted too,
 * naming the first bad entry each time.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, BIN, ROOT, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { freePort, tempDir } from './helpers/cli.js';

const INTERVAL_MS = 300;
/** Room for a loaded 2-core machine between an entry and the checkpoint covering it. */
const SLACK_MS = 5_000;

describe('the audit tail', () => {
  const t = tempDir('cairn-tail-');
  let xa: FedNode;
  let xb: FedNode;

  const open = () => {
    const d = new Database(join(xa.home, 'cairn.db'));
    d.pragma('busy_timeout = 10000');
    return d;
  };
  const read = <T,>(q: string, ...params: unknown[]): T => {
    const d = open();
    try {
      return d.prepare(q).get(...params) as T;
    } finally {
      d.close();
    }
  };
  const logSize = () => read<{ n: number }>('select count(*) n from audit_entries').n;
  const signedSize = () => read<{ n: number }>('select coalesce(max(size), 0) n from audit_checkpoints').n;
  const cosignedSize = () => read<{ n: number }>("select coalesce(max(size), 0) n from audit_cosignatures").n;

  /** One audited act (a DPO read appends one entry); returns the new entry's index. */
  async function append(): Promise<number> {
    const r = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/entries?limit=1');
    expect(r.status).toBe(200);
    return read<{ n: number }>('select max(idx) n from audit_entries').n;
  }

  /** Poll until a signed checkpoint covers entry `idx`; returns how long after the entry's write it was signed. */
  async function covered(idx: number): Promise<number> {
    const deadline = Date.now() + INTERVAL_MS + SLACK_MS;
    while (signedSize() <= idx) {
      if (Date.now() > deadline) throw new Error(`no checkpoint covers entry ${idx} after ${INTERVAL_MS + SLACK_MS} ms (signed up to ${signedSize()})`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const entryAt = Date.parse(read<{ at: string }>('select at from audit_entries where idx = ?', idx).at);
    const signedAt = Date.parse(read<{ at: string }>('select min(at) at from audit_checkpoints where size > ?', idx).at);
    return signedAt - entryAt;
  }

  function verify(): { status: number; stdout: string; stderr: string; report: { ok: boolean; uncovered: number; cosignatures: number; problem?: { index?: number; message: string } } } {
    const r = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--json', '--home', xa.home], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, report: JSON.parse(r.stdout.trim().split('\n').pop()!) };
  }

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(t.dir, [{ country: 'XA', name: 'A', port: ports[0]! }, { country: 'XB', name: 'B', port: ports[1]! }], { missing_child_tracing: ['missing_child'] }, {
      CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: String(INTERVAL_MS),
    })) as [FedNode, FedNode];
  }, 400_000);
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  it('signs a checkpoint over every new entry within the interval, unasked', async () => {
    for (let i = 0; i < 3; i++) {
      const idx = await append();
      expect(await covered(idx)).toBeLessThanOrEqual(INTERVAL_MS + SLACK_MS);
    }
    const ok = verify();
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.report).toMatchObject({ ok: true, uncovered: 0 });
  });

  it('a deleted newest entry fails verification, naming it', async () => {
    const idx = await append();
    await covered(idx);
    const d = open();
    const row = d.prepare('select * from audit_entries where idx = ?').get(idx) as Record<string, unknown>;
    d.prepare('delete from audit_entries where idx = ?').run(idx);
    d.close();
    const r = verify();
    expect(r.status).toBe(1);
    expect(r.report.problem?.index).toBe(idx);
    expect(r.stderr).toContain(`at entry ${idx}`);
    expect(r.stderr).toMatch(/missing/);
    // Put it back: the next case starts from a sound log.
    const w = open();
    w.prepare('insert into audit_entries (idx, at, type, actor, entry, leaf_hash) values (@idx, @at, @type, @actor, @entry, @leaf_hash)').run(row);
    w.close();
    expect(verify().status).toBe(0);
  });

  it('a rewritten newest entry with its leaf hash recomputed fails verification, naming it', async () => {
    const idx = await append();
    await covered(idx);
    const d = open();
    const row = d.prepare('select entry, leaf_hash from audit_entries where idx = ?').get(idx) as { entry: string; leaf_hash: Buffer };
    const forged = row.entry.replace('"audit.read"', '"audit.export"');
    expect(forged).not.toBe(row.entry);
    const leaf = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(forged, 'utf8')])).digest();
    d.prepare('update audit_entries set entry = ?, leaf_hash = ? where idx = ?').run(forged, leaf, idx);
    d.close();
    const r = verify();
    expect(r.status).toBe(1);
    expect(r.report.problem?.index).toBe(idx);
    expect(r.stderr).toContain(`at entry ${idx}`);
    const w = open();
    w.prepare('update audit_entries set entry = ?, leaf_hash = ? where idx = ?').run(row.entry, row.leaf_hash, idx);
    w.close();
    expect(verify().status).toBe(0);
  });

  it('XB cosigns the checkpoints it verified; a log truncated by 10, its own checkpoints deleted too, still fails on the cosignature', async () => {
    for (let i = 0; i < 10; i++) await append();
    await covered(logSize() - 1);
    // XB's searches carry XA's latest checkpoint back to XB, which verifies it, cosigns it and returns the cosignature.
    const deadline = Date.now() + 60_000;
    for (let i = 0; cosignedSize() < logSize() - 1; i++) {
      expect(Date.now(), `cosigned ${cosignedSize()} of ${logSize()}`).toBeLessThan(deadline);
      const s = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
        purpose: 'missing_child_tracing',
        legalBasis: 'test',
        caseReference: `T-${i}`,
        identifiers: { names: [{ given: 'Nobody', family: `Known${String.fromCharCode(97 + (i % 26))}` }], dateOfBirth: { precision: 'day', date: '2015-05-05' } },
      });
      expect(s.status).toBe(201);
      await new Promise((r) => setTimeout(r, 200));
    }
    const target = cosignedSize();
    // The DPO sees the newest size XB cosigned (this read appends an entry of its own).
    const witness = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/witness');
    const ofXb = witness.json.peers.find((p: { country: string }) => p.country === 'XB');
    expect(ofXb.cosignedSize).toBe(target);
    await covered(logSize() - 1);

    // The attacker stops the node (so it cannot re-sign from its integrated tree) and cuts the tail.
    await xa.stop();
    const size = logSize();
    const cut = size - 10;
    const d = open();
    d.prepare('delete from audit_entries where idx >= ?').run(cut);
    d.prepare('delete from audit_checkpoints where size > ?').run(cut);
    d.close();
    const r = verify();
    expect(r.status).toBe(1);
    expect(r.report.cosignatures).toBeGreaterThan(0);
    expect(r.report.problem?.index).toBe(cut);
    expect(r.stderr).toContain(`at entry ${cut}`);
    expect(r.stderr, r.stderr).toContain("XB's cosignature");
  });
});
