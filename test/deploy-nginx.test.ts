/**
 * deploy/nginx/cairn.conf in front of two real nodes: a test CA and two
 * server certificates made with openssl, Debian's nginx started unprivileged
 * in a temporary prefix on loopback ports, and the nodes federating over
 * https through it (peers added by their https URLs, a search that hits).
 * The nodes trust the test CA through NODE_EXTRA_CA_CERTS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cairn, freePort, ROOT, serveNode, tempDir } from './helpers/cli.js';

const has = (cmd: string, arg: string) => spawnSync(cmd, [arg], { encoding: 'utf8' }).error === undefined;
const tools = has('nginx', '-v') && has('openssl', 'version');
// CI installs nginx and openssl (.ci/run); only a developer machine without them may skip.
const skip = !tools && !process.env.CI;

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A CA and one certificate per name, all for IP 127.0.0.1. */
function makeCerts(dir: string, names: string[]): void {
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Cairn test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n');
  for (const n of names) {
    run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=cairn node ${n}`], dir);
    run('openssl', ['x509', '-req', '-in', `${n}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${n}.pem`, '-days', '2', '-extfile', 'server.ext'], dir);
  }
}

/** Replace `from` in `text`, failing when it is not there (the shipped file changed shape). */
function sub(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`deploy/nginx/cairn.conf no longer contains ${JSON.stringify(from)}`);
  return text.split(from).join(to);
}

/** The shipped site configuration, with test ports, certificates and a per-site upstream name. */
function site(name: string, o: { tls: number; redirect: number; upstream: number; cert: string; key: string }): string {
  let s = readFileSync(join(ROOT, 'deploy/nginx/cairn.conf'), 'utf8');
  s = sub(s, 'cairn_node', `cairn_node_${name}`);
  s = sub(s, 'server 127.0.0.1:8700;', `server 127.0.0.1:${o.upstream};`);
  s = sub(s, 'listen 443 ssl http2;', `listen 127.0.0.1:${o.tls} ssl http2;`);
  s = sub(s, '    listen [::]:443 ssl http2;\n', '');
  s = sub(s, 'listen 80;', `listen 127.0.0.1:${o.redirect};`);
  s = sub(s, '    listen [::]:80;\n', '');
  s = sub(s, '/etc/ssl/cairn/fullchain.pem', o.cert);
  s = sub(s, '/etc/ssl/cairn/privkey.pem', o.key);
  return s;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${log()}`);
    const up = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET over https trusting only `ca`. */
function httpsGet(url: string, ca: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

describe.skipIf(skip)('deploy/nginx/cairn.conf: two nodes federate over https through nginx', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('peers are added by their https URLs and a search hits across the TLS proxies', async () => {
    expect(tools, 'nginx and openssl are needed: apt-get install nginx openssl').toBe(true);
    const t = tempDir();
    cleanups.push(t.cleanup);
    const pki = join(t.dir, 'pki');
    mkdirSync(pki);
    makeCerts(pki, ['xa', 'xb']);
    const ca = join(pki, 'ca.pem');
    const nodes = { xa: { country: 'XA' }, xb: { country: 'XB' } } as const;
    const ports: Record<string, { plain: number; tls: number; redirect: number }> = {};
    for (const n of Object.keys(nodes)) ports[n] = { plain: await freePort(), tls: await freePort(), redirect: await freePort() };

    // nginx, unprivileged, everything under the temporary prefix.
    const prefix = join(t.dir, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    const conf = [
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/logs/error.log warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${prefix}/${k}_temp;`),
      ...Object.keys(nodes).map((n) =>
        site(n, { tls: ports[n]!.tls, redirect: ports[n]!.redirect, upstream: ports[n]!.plain, cert: join(pki, `${n}.pem`), key: join(pki, `${n}.key`) }),
      ),
      '}',
    ].join('\n');
    writeFileSync(join(prefix, 'nginx.conf'), conf);
    const check = spawnSync('nginx', ['-t', '-p', prefix, '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const nginx = spawn('nginx', ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let nginxLog = '';
    nginx.stderr.on('data', (d: Buffer) => (nginxLog += d.toString()));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          if (nginx.exitCode !== null || nginx.signalCode !== null) return r();
          nginx.once('exit', () => r());
          nginx.kill('SIGQUIT');
        }),
    );
    for (const n of Object.keys(nodes)) await waitForPort(ports[n]!.tls, nginx, () => nginxLog);

    const env = { NODE_EXTRA_CA_CERTS: ca };
    const homes: Record<string, string> = {};
    const tokens: Record<string, string> = {};
    const fingerprints: Record<string, string> = {};
    for (const [n, { country }] of Object.entries(nodes)) {
      homes[n] = join(t.dir, n);
      const init = cairn(['init', '--home', homes[n]!, '--country', country, '--name', `TLS node ${country}`, '--url', `https://127.0.0.1:${ports[n]!.tls}`, '--port', String(ports[n]!.plain)]);
      expect(init.status, init.stderr).toBe(0);
      tokens[n] = JSON.parse(cairn(['users', 'add', '--home', homes[n]!, '--role', 'analyst', '--name', 'Analyst', '--json']).stdout).token;
      fingerprints[n] = JSON.parse(cairn(['keys', 'show', '--home', homes[n]!, '--json']).stdout).signing.fingerprint;
      const node = await serveNode(homes[n]!, { port: ports[n]!.plain, env });
      cleanups.push(node.stop);
    }

    // TLS is real: the descriptor over https with the test CA, refused without it.
    const desc = await httpsGet(`https://127.0.0.1:${ports.xb!.tls}/.well-known/cairn/node`, readFileSync(ca, 'utf8'));
    expect(desc.status).toBe(200);
    expect(desc.headers['strict-transport-security']).toBe('max-age=63072000');
    await expect(fetch(`https://127.0.0.1:${ports.xb!.tls}/healthz`)).rejects.toThrow();
    // Plain http on the public side only redirects.
    const redirect = await fetch(`http://127.0.0.1:${ports.xb!.redirect}/healthz`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);

    // Peering by https URL (the CLI fetches the descriptor through nginx).
    for (const [a, b] of [['xa', 'xb'], ['xb', 'xa']] as const) {
      const add = cairn(['peers', 'add', `https://127.0.0.1:${ports[b]!.tls}`, '--home', homes[a]!, '--fingerprint', fingerprints[b]!], { env });
      expect(add.status, add.stderr).toBe(0);
      const pol = cairn(['peers', 'policy', nodes[b].country, '--home', homes[a]!, '--allow', 'missing_child_tracing=missing_child'], { env });
      expect(pol.status, pol.stderr).toBe(0);
    }

    // The CLI calls above block this process (spawnSync) past the nodes' keep-alive timeout,
    // so a pooled socket may be closed under us: a throwaway request clears it.
    for (const n of Object.keys(nodes)) await fetch(`http://127.0.0.1:${ports[n]!.plain}/healthz`).catch(() => undefined);
    const ids = { names: [{ given: 'Lena', family: 'Proxova' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } };
    const put = await fetch(`http://127.0.0.1:${ports.xb!.plain}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.xb}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ ref: 'XB-TLS-1', category: 'missing_child', owningUnit: 'U', contactPoint: 'desk@xb.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: ids }] }),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    // cairn/2: XA searches its replica of XB's index, which `peers add` and
    // the policy started syncing in the background (through nginx too):
    // search again while XB is reported as index_syncing.
    const searchOnce = () =>
      fetch(`http://127.0.0.1:${ports.xa!.plain}/v1/searches`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.xa}`, 'content-type': 'application/json' },
        body: JSON.stringify({ purpose: 'missing_child_tracing', legalBasis: 'Art. 3 (test)', caseReference: 'TLS-1', identifiers: ids }),
      });
    let search = await searchOnce();
    let body = await search.json();
    for (const deadline = Date.now() + 120_000; body.results?.[0]?.status === 'index_syncing' && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 500));
      search = await searchOnce();
      body = await search.json();
    }
    expect(search.status, JSON.stringify(body)).toBe(201);
    expect(body.results[0], JSON.stringify(body)).toMatchObject({ status: 'hit' });
    // The outcome is counted per peer and path.
    const metrics = await (await fetch(`http://127.0.0.1:${ports.xa!.plain}/metrics`)).text();
    expect(metrics).toContain('cairn_search_peer_outcomes_total{outcome="hit",path="api",peer="XB"} 1');
  }, 300_000);
});
