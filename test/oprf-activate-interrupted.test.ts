/**
 * An OPRF activation interrupted after its commit (`cairn keys activate`
 * killed before it moved its key files) leaves the retired key on disk
 * beside the new one. `cairn serve` finishes it at start-up, as running
 * `keys activate` again would: the retired key is overwritten and removed,
 * the new one takes its file, and the audit log says so.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { cairn, freePort, initNode, serveNode, tempDir } from './helpers/cli.js';

const RECORD = {
  ref: 'XA-1',
  category: 'missing_child',
  owningUnit: 'Missing children unit',
  contactPoint: 'desk@police.example',
  recordDate: '2026-01-15',
  retentionUntil: '2036-01-01',
  identifiers: { names: [{ given: 'Ana', family: 'Popescu' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } },
};

describe('an interrupted OPRF key activation', () => {
  const t = tempDir('cairn-activate-');
  afterAll(() => t.cleanup());

  it('is finished by `cairn serve` at start-up', async () => {
    const port = await freePort();
    const home = join(t.dir, 'xa');
    initNode(home, 'XA', port);
    const file = join(t.dir, 'records.ndjson');
    writeFileSync(file, `${JSON.stringify(RECORD)}\n`);
    const ok = (args: string[]) => {
      const r = cairn([...args, '--home', home]);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
    ok(['import', file]);
    ok(['keys', 'rotate', 'oprf']);
    ok(['import', file, '--epoch', 'next']);
    const active = join(home, 'keys/oprf.key');
    const next = `${active}.next`;
    const oldKey = readFileSync(active);
    const newKey = readFileSync(next);
    ok(['keys', 'activate']);
    expect(readFileSync(active)).toEqual(newKey);

    // The files as an activation killed between its commit and its file moves leaves them.
    writeFileSync(active, oldKey, { mode: 0o600 });
    writeFileSync(next, newKey, { mode: 0o600 });

    const node = await serveNode(home, { port });
    try {
      expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
      expect(readFileSync(active)).toEqual(newKey);
      expect(existsSync(next)).toBe(false);
      expect(statSync(active).mode & 0o777).toBe(0o600);
    } finally {
      await node.stop();
    }
    const db = new Database(join(home, 'cairn.db'), { readonly: true });
    const destroys = (db.prepare("select actor, entry from audit_entries where type = 'keys.oprf.destroy' order by idx").all() as { actor: string; entry: string }[]).map((e) => ({
      actor: e.actor,
      files: JSON.parse(e.entry).data.files,
    }));
    db.close();
    expect(destroys).toEqual([
      { actor: expect.stringMatching(/^cli:/), files: [active] },
      { actor: 'system', files: [active] },
    ]);

    // A start-up with nothing left to finish changes nothing.
    const again = await serveNode(home, { port });
    await again.stop();
    expect(readFileSync(active)).toEqual(newKey);
  });
});
