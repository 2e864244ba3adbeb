/**
 * `cairn peers add` as an operator uses it: the fingerprint shown on a
 * terminal and confirmed by typing yes, or pinned with --fingerprint.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintOfNode, serve } from '../scripts/lib/federation.js';
import { BIN, cairn, freePort, initNode, ROOT, tempDir } from './helpers/cli.js';

describe('cairn peers add', () => {
  const t = tempDir();
  const a = join(t.dir, 'XA');
  const b = join(t.dir, 'XB');
  let url: string;
  let stop: () => Promise<void>;
  beforeAll(async () => {
    const port = await freePort();
    initNode(a, 'XA', port);
    initNode(b, 'XB', 9);
    stop = (await serve(a, port)).stop;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await stop?.();
    t.cleanup();
  });

  const onTerminal = (answer: string) =>
    spawnSync('script', ['-qec', `${process.execPath} ${BIN} peers add ${url} --home ${b}`, '/dev/null'], { cwd: ROOT, input: `${answer}\n`, encoding: 'utf8', timeout: 60_000 });

  it('shows the fingerprints and adds nothing unless the operator types yes', async () => {
    const fp = await fingerprintOfNode(url);
    const no = onTerminal('no');
    expect(no.stdout).toContain(`signing key fingerprint: ${fp}`);
    expect(no.stdout).toContain('Type "yes" to pin it');
    expect(no.status).toBe(1);
    expect(cairn(['peers', 'list', '--home', b]).stdout).toContain('no peers yet');
    const yes = onTerminal('yes');
    expect(yes.status, yes.stdout).toBe(0);
    expect(yes.stdout).toMatch(/added peer XA .*policy: deny all/);
    expect(cairn(['peers', 'list', '--home', b]).stdout).toMatch(/XA {2}active .*\n {4}signing [0-9a-f:]+\n {4}policy: deny all/);
  });

  it('refuses a wrong --fingerprint, and asks for one when there is no terminal', () => {
    cairn(['peers', 'remove', 'XA', '--home', b]);
    const wrong = cairn(['peers', 'add', url, '--home', b, '--fingerprint', '0000:'.repeat(15) + '0000']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('fingerprint mismatch');
    const piped = cairn(['peers', 'add', url, '--home', b]);
    expect(piped.status).toBe(2);
    expect(piped.stderr).toContain('--fingerprint');
    expect(cairn(['peers', 'list', '--home', b]).stdout).toContain('no peers yet');
  });

  it('says why a peer URL cannot be used: its scheme, nothing listening, no such host', async () => {
    const closed = await freePort();
    const cases: [string, RegExp][] = [
      ['ftp://peer.example', /\[invalid_request\]: a peer's URL starts with https:\/\/ .*not ftp:\/\//],
      [`http://127.0.0.1:${closed}`, /\[peer_unreachable\]: could not fetch http:\/\/127\.0\.0\.1:\d+\/\.well-known\/cairn\/node: connection refused/],
      // A machine without a resolver may only time out: that is said too.
      ['http://no-such-host.invalid', /\[peer_unreachable\]: could not fetch .*: (no such host|the host name could not be resolved now|no answer within 10 s)/],
    ];
    for (const [peer, why] of cases) {
      const r = cairn(['peers', 'add', peer, '--home', b, '--fingerprint', '0000:'.repeat(15) + '0000']);
      expect(r.status, peer).toBe(1);
      expect(r.stderr, peer).toMatch(why);
    }
    expect(cairn(['peers', 'list', '--home', b]).stdout).toContain('no peers yet');
  });
});
