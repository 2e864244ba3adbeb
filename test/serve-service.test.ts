/**
 * `cairn serve` as a service: it fails loudly when it cannot listen, holds
 * one lock per home, drains on SIGTERM, and keeps its database owner-only.
 * Every case runs real child processes.
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:net';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cairn, cleanEnv, freePort, initNode, ROOT, serveNode, tempDir } from './helpers/cli.js';

const mode = (f: string) => statSync(f).mode & 0o777;

/** Run `cairn serve` and wait for its exit (it must exit on its own). */
function serveToExit(home: string, port: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--home', home, '--port', String(port)], {
      cwd: ROOT,
      env: { ...cleanEnv(), CAIRN_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // A serve that hangs instead of exiting fails the test by this kill.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr: err });
    });
  });
}

describe('cairn serve as a service', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  }, 180_000);

  it('exits 1 with a clear message when its port is taken, stopping its worker threads, and leaves no lock behind', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'NL', port);
    const squatter: Server = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const r = await serveToExit(t.dir, port);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('listen_failed');
    expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}: the address is already in use`);
    expect(existsSync(join(t.dir, 'serve.lock'))).toBe(false);
  }, 180_000);

  it('refuses a second serve on the same home naming the first one\'s PID, and takes over the lock of a killed one', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'FR', port);
    const first = await serveNode(t.dir, { port });
    // (killed below: its exit code stays null, so only stop it if it still runs)
    cleanups.push(() => (first.child.signalCode === null ? first.stop() : undefined));
    expect(readFileSync(join(t.dir, 'serve.lock'), 'utf8').trim()).toBe(String(first.child.pid));
    const second = await serveToExit(t.dir, await freePort());
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('home_locked');
    expect(second.stderr).toContain(`already served by process ${first.child.pid}`);
    // The first one still serves.
    expect((await fetch(`${first.url}/healthz`)).ok).toBe(true);

    // SIGKILL leaves the lock file behind; the next serve takes it over.
    await new Promise<void>((r) => {
      first.child.once('exit', () => r());
      first.child.kill('SIGKILL');
    });
    expect(readFileSync(join(t.dir, 'serve.lock'), 'utf8').trim()).toBe(String(first.child.pid));
    const third = await serveNode(t.dir, { port, env: { CAIRN_LOG_LEVEL: 'info' } });
    cleanups.push(third.stop);
    expect(readFileSync(join(t.dir, 'serve.lock'), 'utf8').trim()).toBe(String(third.child.pid));
    expect(third.stderr()).toContain('took over the serve lock');
  }, 180_000);

  it('refuses a local import while the home is being served, pointing at --node', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'PL', port);
    const node = await serveNode(t.dir, { port });
    cleanups.push(node.stop);
    const file = join(t.dir, 'none.ndjson');
    writeFileSync(file, '');
    const r = cairn(['import', file, '--home', t.dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('home_locked');
    expect(r.stderr).toContain(`served by process ${node.child.pid}`);
    expect(r.stderr).toContain('--node');
  }, 180_000);

  it('on SIGTERM finishes the request in flight, exits 0 and removes its lock', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'DE', port);
    const node = await serveNode(t.dir, { port });
    cleanups.push(node.stop);
    const user = cairn(['users', 'add', '--home', t.dir, '--role', 'analyst', '--name', 'Analyst', '--json']);
    expect(user.status, user.stderr).toBe(0);
    const token = (JSON.parse(user.stdout) as { token: string }).token;
    const exited = new Promise<number | null>((r) => node.child.once('exit', (code) => r(code)));
    const body = JSON.stringify({
      records: [
        {
          ref: 'DE-DRAIN-1',
          category: 'missing_child',
          owningUnit: 'BKA',
          contactPoint: 'desk@bka.example',
          recordDate: '2026-01-01',
          retentionUntil: '2036-01-01',
          identifiers: { names: [{ given: 'Anna', family: 'Drain' }], dateOfBirth: { precision: 'year', date: '2014' } },
        },
      ],
    });
    // Send half the body, SIGTERM the node while it waits for the rest, then finish the body.
    const req = httpRequest(`${node.url}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.once('response', (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.once('error', reject);
    });
    req.write(body.slice(0, 40));
    await new Promise((r) => setTimeout(r, 200));
    node.child.kill('SIGTERM');
    for (let i = 0; i < 200 && !node.stderr().includes('SIGTERM: draining'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(node.stderr()).toContain('SIGTERM: draining');
    // New connections are refused while the old request drains.
    await expect(fetch(`${node.url}/healthz`)).rejects.toThrow();
    req.end(body.slice(40));
    const res = await response;
    expect(res.status, res.text).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ imported: 1 });
    expect(await exited).toBe(0);
    expect(existsSync(join(t.dir, 'serve.lock'))).toBe(false);
    // The record the drained request carried is stored.
    const stats = cairn(['records', 'stats', '--home', t.dir]);
    expect(stats.stdout).toMatch(/"records":\s*1/);
  }, 180_000);

  it('keeps the database and its WAL and SHM files 0600, and fixes a database created 0644', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'IT', port);
    const db = join(t.dir, 'cairn.db');
    let node = await serveNode(t.dir, { port });
    for (const f of [db, `${db}-wal`, `${db}-shm`]) expect(mode(f), f).toBe(0o600);
    await node.stop();
    chmodSync(db, 0o644);
    node = await serveNode(t.dir, { port });
    cleanups.push(node.stop);
    for (const f of [db, `${db}-wal`, `${db}-shm`]) expect(mode(f), f).toBe(0o600);
  });
});
