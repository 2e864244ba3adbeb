/**
 * What the CLI's exit codes, pipes, dates and audit actors say, on real
 * nodes: a search that no peer answered is not success, an import whose
 * every row was rejected is a failure, a home whose database another writer
 * holds is said to be busy, `audit export | head` ends quietly, `--from DAY`
 * works, and administrative acts name the OS user.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOfNode, serve } from '../scripts/lib/federation.js';
import { appendStatement } from '../src/core/audit/entry.js';
import { exitOf } from '../src/node/commands/search.js';
import { openNodeContext } from '../src/node/context.js';
import { BIN, cairn, cleanEnv, freePort, initNode, ROOT, tempDir } from './helpers/cli.js';

const SEARCH = ['search', '--purpose', 'missing_child_tracing', '--legal-basis', 'Art. 12 test', '--case', 'C-1', '--given', 'Olena', '--family', 'Shevchenko', '--dob', '2013-04-12'];

describe('cairn exit codes, pipes, dates and actors', () => {
  const t = tempDir();
  const a = join(t.dir, 'XA');
  const b = join(t.dir, 'XB');
  let stopA: () => Promise<void>;
  let stopB: () => Promise<void>;
  beforeAll(async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    initNode(a, 'XA', pa);
    initNode(b, 'XB', pb);
    stopA = (await serve(a, pa)).stop;
    stopB = (await serve(b, pb)).stop;
    const [ua, ub] = [`http://127.0.0.1:${pa}`, `http://127.0.0.1:${pb}`];
    for (const [home, url] of [[a, ub], [b, ua]] as const) {
      const r = cairn(['peers', 'add', url, '--home', home, '--fingerprint', await fingerprintOfNode(url)]);
      if (r.status !== 0) throw new Error(r.stderr);
    }
    const p = cairn(['peers', 'policy', 'XB', '--home', a, '--allow', 'missing_child_tracing=missing_child']);
    if (p.status !== 0) throw new Error(p.stderr);
  });
  afterAll(async () => {
    await stopA?.();
    await stopB?.();
    t.cleanup();
  });

  it('exits 0 when every peer answered a search', async () => {
    // XA granted XB its category after XB had synced its replicas (at `peers
    // add`), so XB holds no replica of it yet: the answer says so, and the
    // search catches the replica up before it reports, rather than say
    // INDEX SYNCING and make the analyst search again.
    const r = cairn([...SEARCH, '--home', b]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('XA Test node XA: NO_HIT');
  });

  it('exits 1 when every row of an import is rejected, 3 when only some are', () => {
    // A local import needs a home that is not being served.
    const i = join(t.dir, 'XI');
    initNode(i, 'XI', 9);
    const header = 'ref,category,owning_unit,contact_point,record_date,retention_until,given_name,family_name,date_of_birth';
    const bad = join(t.dir, 'bad.csv');
    writeFileSync(bad, `${header}\nX-1,runaway,U,c@x.example,2025-01-01,2040-01-01,Ana,Pop,2011\nX-2,suspect,U,c@x.example,2025-13-01,2040-01-01,Ion,Popa,2010\n`);
    const all = cairn(['import', bad, '--home', i, '--threads', '1']);
    expect(all.status, all.stderr).toBe(1);
    expect(all.stderr).toContain(`every row of ${bad} was rejected`);
    const some = join(t.dir, 'some.csv');
    writeFileSync(some, `${header}\nX-3,suspect,U,c@x.example,2025-01-01,2040-01-01,Ion,Popa,2010\nX-4,runaway,U,c@x.example,2025-01-01,2040-01-01,Ana,Pop,2011\n`);
    expect(cairn(['import', some, '--home', i, '--threads', '1']).status).toBe(3);
  });

  it('says the database is busy, not an unexpected error, when another writer holds the home (exit 1), and nothing is added', async () => {
    // The serving node, another cairn command or an sqlite3 shell holding the write lock past the busy timeout.
    const Database = (await import('better-sqlite3')).default;
    const holder = new Database(join(a, 'cairn.db'));
    holder.exec('BEGIN IMMEDIATE');
    let r: ReturnType<typeof cairn>;
    try {
      r = cairn(['users', 'add', '--home', a, '--role', 'analyst', '--name', 'Busy desk']);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('error [unavailable]');
    expect(r.stderr).toMatch(/held by another writer .* for longer than 5 s; try again/);
    expect(r.stderr).not.toContain('unexpected error');
    // Once the lock is gone the same command works, and the refused one left no user behind.
    const again = cairn(['users', 'add', '--home', a, '--role', 'analyst', '--name', 'Busy desk']);
    expect(again.status, again.stderr).toBe(0);
    const users = cairn(['users', 'list', '--home', a]);
    expect(users.stdout.match(/Busy desk/g)).toHaveLength(1);
  });

  it('records the OS user as the actor of CLI acts, and exports by day', () => {
    const today = new Date().toISOString().slice(0, 10);
    const r = cairn(['audit', 'export', '--home', b, '--from', today, '--to', today, '--type', 'peers.add']);
    expect(r.status, r.stderr).toBe(0);
    const entries = JSON.parse(r.stdout) as { actor: string; type: string }[];
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actor).toBe(`cli:${userInfo().username}`);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const none = cairn(['audit', 'export', '--home', b, '--from', tomorrow]);
    expect(none.status, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout)).toEqual([]);
    const wrong = cairn(['audit', 'export', '--home', b, '--from', '01/12/2026']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('--from: expected a day (YYYY-MM-DD) or an RFC 3339 time');
  });

  it('refuses `audit export` options that could only export nothing or fail half-way, as usage errors that log nothing', async () => {
    const Database = (await import('better-sqlite3')).default;
    const exportsLogged = () => {
      const d = new Database(join(b, 'cairn.db'), { readonly: true });
      try {
        return (d.prepare("select count(*) as n from audit_entries where type = 'audit.export'").get() as { n: number }).n;
      } finally {
        d.close();
      }
    };
    const before = exportsLogged();
    const refused = (argv: string[]) => {
      const r = cairn(['audit', 'export', '--home', b, ...argv]);
      expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
      return r.stderr;
    };

    // A range backwards: both options named.
    expect(refused(['--from', '2026-12-05', '--to', '2026-12-01'])).toContain('--from 2026-12-05 is not before --to 2026-12-01');
    expect(refused(['--from', '2026-12-01T10:00:00Z', '--to', '2026-12-01T10:00:00Z'])).toContain('is not before --to');
    // A time without its zone: the option, what is missing and an example.
    const local = refused(['--from', '2026-12-04T02:31:00']);
    expect(local).toContain('--from: "2026-12-04T02:31:00" has no time zone');
    expect(local).toContain('add Z (UTC) or an offset ±hh:mm, e.g. --from 2026-12-04T02:31:00Z');
    expect(refused(['--to', '2026-11-31T10:00:00Z'])).toContain('--to: expected a day (YYYY-MM-DD) or an RFC 3339 time with its zone');
    // A bad filter value names the option, not the filter field.
    expect(refused(['--type', 'nonsense'])).toMatch(/^cairn: --type: /);
    // A peer this node neither has nor ever logged.
    const peer = refused(['--peer', 'XZ']);
    expect(peer).toContain('--peer XZ: unknown peer: no peer has this node id or country code, and no audit entry names it');
    expect(peer).toContain("this node's peers are XA (");
    // An --out that cannot be written: said before anything is exported or logged.
    const nowhere = refused(['--out', join(t.dir, 'no-such-folder', 'x.json')]);
    expect(nowhere).toContain(`the folder ${join(t.dir, 'no-such-folder')} does not exist (nothing was exported)`);
    expect(exportsLogged()).toBe(before);

    // A zoned time and a known peer (by country code) work.
    const ok = cairn(['audit', 'export', '--home', b, '--peer', 'XA', '--from', '2026-01-01T00:00:00+01:00', '--type', 'peers.add']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveLength(1);
    // A peer that is gone but named in the log is still a filter.
    const ctx = await openNodeContext(b, cleanEnv());
    try {
      await ctx.atomic.run([appendStatement(ctx.db, { type: 'peers.remove', actor: 'test', data: { peer: 'gone-peer-id', country: 'XQ' } }, new Date())]);
    } finally {
      await ctx.close();
    }
    const gone = cairn(['audit', 'export', '--home', b, '--peer', 'XQ']);
    expect(gone.status, gone.stderr).toBe(0);
    expect(JSON.parse(gone.stdout)).toHaveLength(1);

    // --out writes the whole file; an existing one is replaced only with --force.
    const file = join(t.dir, 'export.json');
    const first = cairn(['audit', 'export', '--home', b, '--type', 'peers.add', '--out', file]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`exported 1 entry to ${file}`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveLength(1);
    writeFileSync(file, 'kept');
    const logged = exportsLogged();
    expect(refused(['--out', file])).toContain(`--out ${file} already exists; pass --force to replace it`);
    expect(readFileSync(file, 'utf8')).toBe('kept');
    expect(exportsLogged()).toBe(logged);
    const forced = cairn(['audit', 'export', '--home', b, '--type', 'peers.add', '--format', 'csv', '--out', file, '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(readFileSync(file, 'utf8').split('\r\n')[0]).toBe('idx,at,type,actor,peer,purpose,caseReference,data');
    expect(readdirSync(t.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('ends quietly with 0 when the reader of `audit export` stops early (EPIPE)', async () => {
    // Enough entries that the export outgrows the pipe's buffer.
    const ctx = await openNodeContext(b, cleanEnv());
    try {
      for (let i = 0; i < 40; i++) {
        const at = new Date();
        await ctx.atomic.run(Array.from({ length: 50 }, (_, j) => appendStatement(ctx.db, { type: 'audit.read', actor: 'test', data: { filler: 'x'.repeat(200), n: i * 50 + j } }, at)));
      }
    } finally {
      await ctx.close();
    }
    const child = spawn(process.execPath, [BIN, 'audit', 'export', '--home', b], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('exits 4 when no peer answered a search', async () => {
    await stopA();
    const r = cairn([...SEARCH, '--home', b]);
    expect(r.status, r.stdout).toBe(4);
    expect(r.stderr).toContain('no peer answered (1 asked)');
  });

  it('says 3 when some peers answered and others did not', () => {
    const lines: string[] = [];
    const io = { out: () => {}, err: (s: string) => lines.push(s) };
    const res = (status: string) => ({ status }) as never;
    expect(exitOf({ results: [res('hit'), res('timeout')] }, io)).toBe(3);
    expect(exitOf({ results: [res('no_hit'), res('hit')] }, io)).toBe(0);
    expect(exitOf({ results: [res('error')] }, io)).toBe(4);
    expect(lines).toEqual(['cairn: 1 of 2 peers did not answer', 'cairn: no peer answered (1 asked)']);
  });
});
