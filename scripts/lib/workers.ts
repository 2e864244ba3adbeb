/**
 * Tooling for the Cloudflare Workers node, run on Node: key generation for
 * Workers secrets, the first users (written to D1 with `wrangler d1 execute`,
 * since a Worker has no CLI), and `wrangler dev` as a child process for tests.
 *
 * Wrangler runs from the repository's node_modules with the repository's
 * wrangler.toml, so what is tested here is what `wrangler deploy` ships.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler, type CompiledQuery } from 'kysely';
import type { Role } from '../../schemas/users.js';
import type { AtomicWriter } from '../../src/core/atomic.js';
import { toHex } from '../../src/core/bytes.js';
import type { Database } from '../../src/core/db/schema.js';
import { generateOprfKeyPair } from '../../src/core/oprf/index.js';
import { systemClock, webRandom } from '../../src/core/ports.js';
import { ed25519Signer, fingerprintOf } from '../../src/core/signing.js';
import { addUser, type User } from '../../src/core/users/users.js';
import { ROOT } from './federation.js';

/** The wrangler CLI shipped in node_modules (no npx wrapper processes). */
export const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

/** The D1 database name in wrangler.toml. */
export const D1_DATABASE = 'cairn';

/** A Workers node's two secrets, hex as the Worker expects them, and the fingerprint peers compare. */
export interface WorkerSecrets {
  CAIRN_SIGNING_KEY: string;
  CAIRN_OPRF_KEY: string;
  fingerprint: string;
}

/** Fresh keys for a Workers node: an Ed25519 seed and an RFC 9497 secret scalar. */
export function generateWorkerSecrets(): WorkerSecrets {
  const seed = webRandom.bytes(32);
  return {
    CAIRN_SIGNING_KEY: toHex(seed),
    CAIRN_OPRF_KEY: toHex(generateOprfKeyPair().secretKey),
    fingerprint: fingerprintOf(ed25519Signer(seed).publicKey),
  };
}

/** The secrets as a .env / .dev.vars file (what `wrangler secret bulk` and `wrangler dev --env-file` read). */
export function secretsDotEnv(s: WorkerSecrets): string {
  return `CAIRN_SIGNING_KEY=${s.CAIRN_SIGNING_KEY}\nCAIRN_OPRF_KEY=${s.CAIRN_OPRF_KEY}\n`;
}

/** A SQLite literal for one compiled-query parameter. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Uint8Array) return `X'${toHex(v)}'`;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  throw new Error(`cannot write ${typeof v} as a SQL literal`);
}

/**
 * A compiled query as one self-contained statement. Safe because the core's
 * statement texts contain no string literals: every `?` is a placeholder.
 */
export function inlineQuery(q: CompiledQuery): string {
  const params = [...q.parameters];
  const text = q.sql.replace(/\s+/g, ' ').trim().replace(/\?/g, () => {
    if (params.length === 0) throw new Error(`more placeholders than parameters in: ${q.sql}`);
    return literal(params.shift());
  });
  if (params.length !== 0) throw new Error(`unused parameters for: ${q.sql}`);
  return `${text};`;
}

/** A kysely instance that only compiles SQLite (D1) statements. */
function compileOnlyDb(): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}

/**
 * The SQL that creates a user exactly as `cairn users add` does (the core's
 * addUser: the token's SHA-256 and a `users.add` audit entry), plus the token,
 * which is shown once and stored nowhere.
 */
export async function userSql(role: Role, name: string): Promise<{ sql: string; token: string; user: User }> {
  const captured: CompiledQuery[] = [];
  const capture: AtomicWriter = {
    async run(statements) {
      captured.push(...statements);
      return statements.map(() => []);
    },
  };
  const { user, token } = await addUser({ db: compileOnlyDb(), atomic: capture, clock: systemClock, random: webRandom }, { name, role }, 'cli');
  return { sql: captured.map(inlineQuery).join('\n') + '\n', token, user };
}

/** Where `wrangler d1 execute` runs: the local dev database (optionally persisted elsewhere) or the deployed one. */
export type D1Target = { local: true; persistTo?: string } | { remote: true };

/** Run a SQL file against the node's D1 database; throws with wrangler's output on failure. */
export function d1ExecuteFile(target: D1Target, sqlFile: string, database = D1_DATABASE): string {
  const where = 'remote' in target ? ['--remote'] : ['--local', ...(target.persistTo ? ['--persist-to', target.persistTo] : [])];
  const r = spawnSync(process.execPath, [WRANGLER, 'd1', 'execute', database, ...where, '--file', sqlFile, '--yes'], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) {
    const out = `${r.stdout}\n${r.stderr}`;
    const hint = /no such table: users/.test(out) ? '\nThe database has no tables yet: request the Worker once (GET /healthz applies the migrations), then retry.' : '';
    throw new Error(`wrangler d1 execute failed (${r.status ?? r.signal}):\n${out}${hint}`);
  }
  return r.stdout;
}

/** Create users in a Workers node's D1 database; returns their tokens. */
export async function addWorkerUsers(target: D1Target, users: { role: Role; name: string }[]): Promise<{ user: User; token: string }[]> {
  const made = [];
  for (const u of users) made.push(await userSql(u.role, u.name));
  const dir = mkdtempSync(join(tmpdir(), 'cairn-d1-'));
  try {
    const file = join(dir, 'users.sql');
    writeFileSync(file, made.map((m) => m.sql).join(''), { mode: 0o600 });
    d1ExecuteFile(target, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return made.map(({ user, token }) => ({ user, token }));
}

/**
 * Bundle the Worker as `wrangler deploy` would, without uploading; returns
 * the gzip size wrangler reports (Workers limit: 3 MiB free, 10 MiB paid).
 */
export function dryRunDeploy(outdir: string): { gzipKiB: number } {
  const r = spawnSync(process.execPath, [WRANGLER, 'deploy', '--dry-run', '--outdir', outdir], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const out = `${r.stdout}\n${r.stderr}`;
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status ?? r.signal}):\n${out}`);
  const m = /gzip: ([\d.]+) KiB/.exec(out);
  if (!m) throw new Error(`wrangler deploy --dry-run printed no bundle size:\n${out}`);
  return { gzipKiB: Number(m[1]) };
}

export { freePort } from './ports.js';

export interface WranglerDev {
  url: string;
  child: ChildProcess;
  log(): string;
  /** Stop wrangler and workerd: the whole process group, SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Kill a process group now, ignoring one that is already gone. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already exited
  }
}

/**
 * Start `wrangler dev` (local workerd, local D1 persisted under `persistTo`)
 * in its own process group, with secrets from `envFile` and extra vars, and
 * wait until /healthz answers (the first request applies the migrations).
 */
export async function startWranglerDev(opts: {
  port: number;
  persistTo: string;
  envFile?: string;
  vars: Record<string, string>;
  timeoutMs?: number;
  /** A Worker script to run instead of wrangler.toml's `main` (relative to the repository). */
  script?: string;
}): Promise<WranglerDev> {
  const args = [
    WRANGLER,
    'dev',
    ...(opts.script ? [opts.script] : []),
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--inspector-port',
    '0',
    '--persist-to',
    opts.persistTo,
    ...(opts.envFile ? ['--env-file', opts.envFile] : []),
    '--show-interactive-dev-session=false',
    // GET /__scheduled?cron=… runs the scheduled handler (the Cron Trigger jobs) on demand.
    '--test-scheduled',
    ...Object.entries(opts.vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: workerd and esbuild go with it
  });
  const pid = child.pid!;
  // However this process ends, do not leave workerd behind.
  const onExit = () => killGroup(pid, 'SIGKILL');
  process.on('exit', onExit);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) killGroup(pid, 'SIGTERM');
    const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    killGroup(pid, 'SIGKILL'); // workerd may outlive its parent
  };
  const url = `http://127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    }
    try {
      if ((await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })).ok) break;
    } catch {
      // not listening yet
    }
    // A Worker that throws while booting (bad secret, failed migration) will not recover: fail now.
    if (log.includes('[wrangler:error]') || log.includes('"msg":"the node could not start"')) {
      await stop();
      throw new Error(`the Worker failed to start:\n${log}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`wrangler dev did not answer on ${url} in time:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, child, log: () => log, stop };
}
