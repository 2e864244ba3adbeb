/**
 * `cairn serve` as a real child process: configuration errors, key file
 * permissions, and the dev-node bootstrap that `npm start` uses.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cairn, freePort, initNode, serveNode, tempDir } from './helpers/cli.js';

describe('cairn serve', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('refuses to start when a private key file is readable by others, naming the file', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    initNode(t.dir, 'NL', port);
    chmodSync(join(t.dir, 'keys/oprf.key'), 0o644);
    const r = cairn(['serve', '--home', t.dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('key_file_insecure');
    expect(r.stderr).toContain('keys/oprf.key has mode 0644');
    expect(r.stderr).toContain('chmod 600');
    chmodSync(join(t.dir, 'keys/oprf.key'), 0o640);
    expect(cairn(['serve', '--home', t.dir]).stderr).toContain('readable by group or others');
  });

  it('stops with the field, the source and the reason on a bad environment variable', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    initNode(t.dir, 'BE', 9);
    const r = cairn(['serve', '--home', t.dir], { env: { CAIRN_HTTP_PORT: '99999' } });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/http\.port \(from CAIRN_HTTP_PORT\): .*65535/);
    const r2 = cairn(['serve', '--home', t.dir], { env: { CAIRN_AUDIT_RETENTION_DAYS: 'many' } });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('audit.retentionDays (from CAIRN_AUDIT_RETENTION_DAYS)');
  });

  it('stops with the file, the field and the reason on a bad config file', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    initNode(t.dir, 'BE', 9);
    const file = join(t.dir, 'cairn.json');
    const cfg = JSON.parse(readFileSync(file, 'utf8'));
    cfg.node.country = 'Belgium';
    cfg.log = { level: 'loud', colour: true };
    writeFileSync(file, JSON.stringify(cfg));
    const r = cairn(['serve', '--home', t.dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`node.country (from ${file})`);
    expect(r.stderr).toMatch(/log: unknown field\(s\) "colour"|log\.level/);
    writeFileSync(file, '{"node": {"country": "BE",}}');
    const r2 = cairn(['serve', '--home', t.dir]);
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/malformed JSON at position 26 \(line 1, column 27\)/);
  });

  it('tells the operator to run init when there is no home', () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const r = cairn(['serve', '--home', join(t.dir, 'none')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cairn init');
  });

  it('with --dev initialises a development node in an empty home, says so, and serves', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const port = await freePort();
    const home = join(t.dir, 'data');
    const node = await serveNode(home, { port, extraArgs: ['--dev'] });
    cleanups.push(node.stop);
    expect(node.stderr()).toContain('initialised a DEVELOPMENT node (country XX');
    const health = await (await fetch(`${node.url}/healthz`)).json();
    expect(health).toMatchObject({ status: 'ok', country: 'XX', checks: { database: 'ok' } });
  });
});
