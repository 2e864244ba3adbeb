/**
 * `cairn import` on a real disk that fills up (a small tmpfs): it stops,
 * says how many records it stored before the stop and how to finish, writes
 * that to the summary, and exits 1; the records it counted are the ones in
 * the database. Run again once space is freed, it skips them as unchanged
 * and stores the rest. A rejects file that cannot be written stops the
 * import too, rather than losing the rows' reasons.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticNdjson } from '../scripts/lib/synthetic-records.js';
import { cairn, tempDir } from './helpers/cli.js';
import { smallDisk, smallDiskSupport, type SmallDisk } from '../scripts/lib/small-disk.js';

if (smallDiskSupport !== undefined) console.warn(`disk-full tests skipped: ${smallDiskSupport}`);

const RECORDS = 3000;

function init(home: string): void {
  const r = cairn(['init', '--home', home, '--country', 'PL', '--name', 'Disk test', '--url', 'http://127.0.0.1:7999']);
  expect(r.status, r.stderr).toBe(0);
  // init made and migrated the database; a user is what a home in use has too.
  expect(cairn(['users', 'add', '--home', home, '--role', 'analyst', '--name', 'A']).status).toBe(0);
}

const storedRecords = (home: string): number => (JSON.parse(cairn(['records', 'stats', '--home', home]).stdout) as { records: number }).records;

describe.skipIf(smallDiskSupport !== undefined)('cairn import on a disk that fills up', () => {
  const t = tempDir('cairn-disk-full-import-');
  const file = join(t.dir, 'records.ndjson');
  let disk: SmallDisk;

  beforeAll(() => {
    writeFileSync(file, `${[...syntheticNdjson(RECORDS)].join('\n')}\n`);
    disk = smallDisk(16 * 1024 * 1024);
  });
  afterAll(() => {
    disk?.remove();
    t.cleanup();
  });

  it('stops, says what it stored and how to finish, and finishes when run again', () => {
    const home = join(disk.dir, 'home');
    init(home);
    // Room for a batch or two of 500 records, not for 3,000.
    disk.fill(2.5 * 1024 * 1024);
    const stopped = cairn(['import', file, '--home', home]);
    disk.free();
    expect(stopped.status, stopped.stderr).toBe(1);
    expect(stopped.stderr).toContain("cairn: import stopped: the disk holding the node's database is full");
    expect(stopped.stderr).toContain('Nothing stored was lost. Free space on that disk, then run the same command again');
    expect(stopped.stderr).not.toContain('unexpected error');
    const imported = Number(/stored before the stop: imported (\d+),/.exec(stopped.stderr)?.[1]);
    expect(imported).toBeGreaterThan(0);
    expect(imported).toBeLessThan(RECORDS);
    // What it says it stored is what the database holds.
    expect(storedRecords(home)).toBe(imported);
    const summary = JSON.parse(readFileSync(`${file}.summary.json`, 'utf8')) as Record<string, unknown>;
    expect(summary).toMatchObject({ imported, rejected: 0, failed: { code: 'storage_full' } });

    const finished = cairn(['import', file, '--home', home]);
    expect(finished.status, finished.stderr).toBe(0);
    expect(finished.stdout).toContain(`imported ${RECORDS - imported}, updated 0, unchanged ${imported}, rejected 0`);
    expect(storedRecords(home)).toBe(RECORDS);
    expect(cairn(['audit', 'verify', '--home', home]).stdout).toMatch(/^audit log OK/);
  }, 240_000);

  it('stops when the rejects file cannot be written, rather than lose the reasons', () => {
    const home = join(t.dir, 'home-rejects');
    init(home);
    const bad = join(t.dir, 'bad.ndjson');
    writeFileSync(bad, `${[...syntheticNdjson(200)].map((line, i) => (i % 2 === 0 ? '{"ref": "broken"' : line)).join('\n')}\n`);
    disk.fill();
    const r = cairn(['import', bad, '--home', home, '--out', disk.dir]);
    disk.free();
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cairn: import stopped: could not write rejected rows to ${join(disk.dir, 'bad.ndjson.rejects.ndjson')}: the disk holding it is full`);
    expect(r.stderr).toContain('the summary could not be written');
  }, 120_000);

  it('cairn backup to a full disk says so, leaves no half backup, and works once there is room', () => {
    const home = join(t.dir, 'home-backup');
    init(home);
    const dest = join(disk.dir, 'backup');
    disk.fill();
    const r = cairn(['backup', dest, '--home', home]);
    disk.free();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`cairn: error [storage_full]: the disk holding ${dest} is full: no backup was taken, and nothing of it was left there`);
    expect(existsSync(dest)).toBe(false);
    expect(cairn(['backup', dest, '--home', home]).status).toBe(0);
    expect(existsSync(join(dest, 'backup.json'))).toBe(true);
  }, 120_000);

  it('cairn restore --force onto a full disk leaves the home as it was, and restores once there is room', () => {
    // A backup of a home with records, restored over a home on the small disk that has a user but no records:
    // another node's, with its keys, so --other-node says a node is moving in.
    const source = join(t.dir, 'home-source');
    init(source);
    expect(cairn(['import', file, '--home', source]).status).toBe(0);
    const backup = join(t.dir, 'backup-source');
    expect(cairn(['backup', backup, '--home', source, '--include-keys']).status).toBe(0);
    const home = join(disk.dir, 'home-restore');
    init(home);
    const digest = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const before = { config: digest(join(home, 'cairn.json')), db: digest(join(home, 'cairn.db')), key: digest(join(home, 'keys/signing.key')) };
    disk.fill(512 * 1024);
    const r = cairn(['restore', backup, '--home', home, '--force', '--other-node']);
    disk.free();
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`cairn: error [storage_full]: the disk holding ${home} is full: nothing was restored and the home is as it was`);
    expect({ config: digest(join(home, 'cairn.json')), db: digest(join(home, 'cairn.db')), key: digest(join(home, 'keys/signing.key')) }).toEqual(before);
    expect(readdirSync(home).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(storedRecords(home)).toBe(0);

    const restored = cairn(['restore', backup, '--home', home, '--force', '--other-node']);
    expect(restored.status, restored.stderr).toBe(0);
    expect(storedRecords(home)).toBe(RECORDS);
    expect(digest(join(home, 'keys/signing.key'))).toBe(digest(join(source, 'keys/signing.key')));
  }, 240_000);
});
