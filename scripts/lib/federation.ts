/**
 * Start a federation of real Cairn nodes on loopback: one home, one SQLite
 * file and one child process per node, registered as each other's peers
 * through the CLI, as operators would do it. Used by the demo and by tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above this file with a package.json (works from scripts/ and dist/scripts/). */
export const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();
export const BIN = join(ROOT, 'bin/cairn.js');

export interface NodeSpec {
  country: string;
  name: string;
  port: number;
}

export interface FedNode extends NodeSpec {
  home: string;
  url: string;
  fingerprint: string;
  tokens: { analyst: string; dpo: string; operator: string };
  child: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** Run the CLI synchronously; throws with its stderr on failure. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', input: '' });
  if (r.status !== 0) throw new Error(`cairn ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** SHA-256 fingerprint of a node's signing key, computed from its descriptor with node:crypto. */
export async function fingerprintOfNode(url: string): Promise<string> {
  const env = (await (await fetch(`${url}/.well-known/cairn/node`)).json()) as { payload: string };
  const desc = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { signingKey: { publicKey: string } };
  const hex = createHash('sha256').update(Buffer.from(desc.signingKey.publicKey, 'base64url')).digest('hex');
  return hex.match(/.{4}/g)!.join(':');
}

/**
 * Whether the node answering `healthz` is the one of `home`: another process
 * may have taken the port between choosing it and starting the node (tests
 * run in parallel), and its /healthz would answer for ours. The node's id is
 * CAIRN_NODE_ID of `env`, the environment it was started with, else its
 * home's cairn.json; without either there is nothing to compare.
 */
export function isNodeOfHome(home: string, healthz: { nodeId?: unknown }, env: NodeJS.ProcessEnv): boolean {
  let id: unknown = env.CAIRN_NODE_ID;
  if (id === undefined) {
    try {
      id = (JSON.parse(readFileSync(join(home, 'cairn.json'), 'utf8')) as { node?: { id?: unknown } }).node?.id;
    } catch {
      return true;
    }
  }
  return typeof id !== 'string' || healthz.nodeId === id;
}

/** Start `cairn serve` for a home and wait until /healthz answers for it. */
export async function serve(home: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; log: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--home', home, '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, CAIRN_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  // Generous: on a loaded 2-core CI machine a node's start (libsodium, migrations) has taken over a minute.
  const deadline = Date.now() + 150_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node on port ${port} exited: ${log}`);
    let other: unknown;
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) {
        const health = (await r.json()) as { nodeId?: unknown };
        if (isNodeOfHome(home, health, { ...process.env, ...env })) break;
        other = health.nodeId;
      }
    } catch {
      // starting
    }
    if (other !== undefined) {
      child.kill('SIGKILL');
      throw new Error(`port ${port} is served by another node (${String(other)}), not the one of ${home}: the port was taken after it was chosen`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node on port ${port} did not start: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A user's token, created through the CLI. */
export function addUser(home: string, role: 'analyst' | 'dpo' | 'operator', name: string): string {
  return (JSON.parse(cli(['users', 'add', '--home', home, '--role', role, '--name', name, '--json'])) as { token: string }).token;
}

/**
 * Initialise, start and cross-register `specs` under `root`. Each node allows
 * each peer the purposes in `policy` (purpose -> categories).
 */
export async function startFederation(root: string, specs: NodeSpec[], policy: Record<string, string[]>, env: NodeJS.ProcessEnv = {}): Promise<FedNode[]> {
  const nodes: FedNode[] = [];
  try {
    return await startAll(root, specs, policy, env, nodes);
  } catch (e) {
    // Never leave a started node behind when a later step fails.
    await Promise.all(nodes.map((n) => n.stop()));
    throw e;
  }
}

async function startAll(root: string, specs: NodeSpec[], policy: Record<string, string[]>, env: NodeJS.ProcessEnv, nodes: FedNode[]): Promise<FedNode[]> {
  for (const s of specs) {
    const home = join(root, s.country);
    cli(['init', '--home', home, '--country', s.country, '--name', s.name, '--url', `http://127.0.0.1:${s.port}`, '--port', String(s.port)]);
    const tokens = {
      analyst: addUser(home, 'analyst', `${s.country} analyst`),
      dpo: addUser(home, 'dpo', `${s.country} data-protection officer`),
      operator: addUser(home, 'operator', `${s.country} operator`),
    };
    const srv = await serve(home, s.port, env);
    const url = `http://127.0.0.1:${s.port}`;
    nodes.push({ ...s, home, url, tokens, fingerprint: await fingerprintOfNode(url), child: srv.child, log: srv.log, stop: srv.stop });
  }
  const allow = Object.entries(policy).flatMap(([p, cats]) => ['--allow', `${p}=${cats.join(',')}`]);
  for (const a of nodes) {
    for (const b of nodes) {
      if (a === b) continue;
      cli(['peers', 'add', b.url, '--home', a.home, '--fingerprint', b.fingerprint, '--no-sync']);
      cli(['peers', 'policy', b.country, '--home', a.home, ...allow]);
    }
  }
  // Every node lets every other fetch its indexes now: replicate them before anyone searches.
  for (const a of nodes) cli(['peers', 'sync', '--home', a.home]);
  // The synchronous CLI calls above held the event loop past the servers'
  // keep-alive: let it see the sockets they closed meanwhile, or the next
  // fetch picks a dead one from the pool ("other side closed").
  await new Promise((r) => setTimeout(r, 100));
  return nodes;
}

/** POST JSON with a bearer token. */
export async function api(node: { url: string }, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const send = () =>
    fetch(`${node.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  let res: Response;
  try {
    res = await send();
  } catch (e) {
    // A pooled keep-alive socket the server closed while idle (a slow CLI step
    // in between, e.g. `wrangler d1 execute`) fails before the request is
    // read: undici says "other side closed" / ECONNRESET. Send it once more on
    // a fresh socket; any other failure is the test's.
    if (!isClosedIdleSocket(e)) throw e;
    res = await send();
  }
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** Identifiers no node of a test or demo federation holds: a search for them is a no-hit once the replicas are ready. */
const NOBODY = { names: [{ given: 'Nobody', family: 'Anywhere' }], dateOfBirth: { precision: 'day', date: '1901-01-01' } };

/**
 * Wait until `node`'s replicas of its peers' indexes are ready: search for
 * nobody until no peer answers `index_syncing` (a search applies the deltas
 * of the answers and starts a background sync of a missing replica).
 * Returns the last search's per-peer results.
 */
export async function untilReplicasReady(node: { url: string; tokens: { analyst: string } }, opts: { purpose?: string; timeoutMs?: number } = {}): Promise<any[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const r = await api(node, node.tokens.analyst, 'POST', '/v1/searches', {
      purpose: opts.purpose ?? 'missing_child_tracing',
      legalBasis: 'waiting for the index replicas to be in sync',
      caseReference: 'REPLICA-WARM-UP',
      identifiers: NOBODY,
    });
    if (r.status !== 201) throw new Error(`warm-up search on ${node.url} answered ${r.status}: ${JSON.stringify(r.json)}`);
    const results = r.json.results as { status: string }[];
    if (!results.some((x) => x.status === 'index_syncing')) return results;
    if (Date.now() > deadline) throw new Error(`replicas at ${node.url} still syncing: ${JSON.stringify(results)}`);
    // Every search spends a request of the peers' per-minute rate: poll gently.
    await new Promise((res) => setTimeout(res, 2000));
  }
}

function isClosedIdleSocket(e: unknown): boolean {
  const cause = (e as { cause?: { code?: unknown } } | undefined)?.cause;
  return e instanceof TypeError && (cause?.code === 'UND_ERR_SOCKET' || cause?.code === 'ECONNRESET');
}
