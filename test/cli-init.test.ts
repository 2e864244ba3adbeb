import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cairn, tempDir } from './helpers/cli.js';

describe('cairn init', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('creates config and both private keys with mode 0600', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const home = join(t.dir, 'node');
    const r = cairn(['init', '--home', home, '--country', 'DE', '--name', 'BKA test', '--url', 'https://cairn.example.de']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/fingerprint: ([0-9a-f]{4}:){15}[0-9a-f]{4}/);
    for (const f of ['keys/signing.key', 'keys/oprf.key']) {
      const st = statSync(join(home, f));
      expect((st.mode & 0o777).toString(8)).toBe('600');
      expect(readFileSync(join(home, f), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    }
    const config = JSON.parse(readFileSync(join(home, 'cairn.json'), 'utf8'));
    expect(config.node).toMatchObject({ country: 'DE', name: 'BKA test', url: 'https://cairn.example.de' });
    // The config file holds no key material.
    expect(readFileSync(join(home, 'cairn.json'), 'utf8')).not.toContain(readFileSync(join(home, 'keys/signing.key'), 'utf8').trim());
  });

  it('shows the public keys, fingerprints and the audit log verifier key', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const init = cairn(['init', '--home', t.dir, '--country', 'LT', '--name', 'x', '--url', 'https://cairn.policija.example']);
    const fp = /fingerprint: (\S+)/.exec(init.stdout)![1];
    const r = cairn(['keys', 'show', '--home', t.dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const k = JSON.parse(r.stdout);
    expect(k.signing).toMatchObject({ fingerprint: fp, mode: '0600' });
    expect(k.oprf.mode).toBe('0600');
    expect(k.auditLog.verifierKey).toMatch(/^cairn\.policija\.example\/cairn-audit\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/);
    expect(r.stdout).not.toContain(readFileSync(join(t.dir, 'keys/signing.key'), 'utf8').trim());
  });

  it('refuses to initialise over an existing home and changes nothing', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const args = ['init', '--home', t.dir, '--country', 'FR', '--name', 'x', '--url', 'http://127.0.0.1:9000'];
    expect(cairn(args).status).toBe(0);
    const before = readFileSync(join(t.dir, 'keys/signing.key'), 'utf8');
    const r = cairn(args);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('home_exists');
    expect(readFileSync(join(t.dir, 'keys/signing.key'), 'utf8')).toBe(before);
  });

  it('names the bad field and writes nothing on an invalid country', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const home = join(t.dir, 'n');
    const r = cairn(['init', '--home', home, '--country', 'germany', '--name', 'x', '--url', 'http://127.0.0.1:9000']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--country: .*ISO 3166-1 alpha-2/);
    expect(existsSync(home)).toBe(false);
  });

  it('rejects a non-http URL and missing options with usage errors', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const bad = cairn(['init', '--home', t.dir, '--country', 'DE', '--name', 'x', '--url', 'ftp://example.org']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/--url: must be an absolute http\(s\) URL/);
    const missing = cairn(['init', '--home', t.dir, '--country', 'DE']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('missing required option --name');
    const unknown = cairn(['init', '--bogus']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
