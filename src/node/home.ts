/**
 * A node's home folder: configuration, database and keys.
 *
 *   <home>/cairn.json        configuration (JSON; CAIRN_* variables override)
 *   <home>/cairn.db          SQLite database (storage.database), made by init
 *   <home>/keys/signing.key  Ed25519 seed, mode 0600
 *   <home>/keys/oprf.key     ristretto255 VOPRF secret scalar, mode 0600
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { generateOprfKeyPair, oprfPublicKey as oprfPublicKey_ } from '../core/oprf/index.js';
import { configSchema, resolveConfig, type Config, type ConfigInput } from '../core/config.js';
import { migrateToLatest } from '../core/db/migrations.js';
import { parseJsonText } from '../core/decode/json-body.js';
import { CairnError, isCairnError, isStorageFull } from '../core/errors.js';
import { webRandom } from '../core/ports.js';
import { ed25519Signer, fingerprintOf, type Signer } from '../core/signing.js';
import { nodeEd25519Signer } from './ed25519.js';
import { fsyncFolder, noSpaceReason, writeNewFileDurably } from './durable-file.js';
import { discardKeyFile, readKeyFile, writeKeyFile } from './keyfile.js';
import { databaseFiles, openSqlite } from './sqlite.js';

export const CONFIG_FILE = 'cairn.json';

/** Resolve the home folder: --home, then CAIRN_HOME, then ./data. */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.CAIRN_HOME ?? 'data');
}

export interface InitOptions {
  country: string;
  name: string;
  url: string;
  port?: number;
  host?: string;
}

/**
 * Create a node home: new keys, the database (created and migrated), then
 * the configuration, all or nothing. Fails if a configuration already
 * exists, or a key file or database without one (an interrupted init).
 * `env` places the database as every later command will look for it
 * (CAIRN_STORAGE_DATABASE).
 */
export async function initHome(home: string, opts: InitOptions, env: NodeJS.ProcessEnv = process.env): Promise<{ config: Config; signingFingerprint: string; configPath: string; databasePath: string }> {
  const configPath = join(home, CONFIG_FILE);
  if (existsSync(configPath)) {
    throw new CairnError('home_exists', `${configPath} already exists; this home is initialised (nothing was changed)`);
  }
  const input: ConfigInput = {
    node: { id: randomUUID(), country: opts.country, name: opts.name, url: opts.url },
    http: { ...(opts.host ? { host: opts.host } : {}), ...(opts.port !== undefined ? { port: opts.port } : defaultPortFrom(opts.url)) },
  };
  // Validate before touching the disk so a bad flag leaves nothing behind.
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CairnError('config_invalid', `--${String(i.path[1] ?? i.path[0])}: ${i.message}`, { location: { field: i.path.join('.') } });
  }
  const config = parsed.data;
  const signingPath = resolveIn(home, config.keys.signing);
  const oprfPath = resolveIn(home, config.keys.oprf);
  const databasePath = resolveIn(home, resolveConfig(input, env, configPath).storage.database);
  for (const p of [signingPath, oprfPath]) {
    if (existsSync(p)) {
      // No configuration yet keys: an init killed (or from before init cleaned up after itself) between the two.
      throw new CairnError(
        'home_exists',
        `${p} already exists but ${configPath} does not: this home was left half-made by an interrupted \`cairn init\`. With no configuration no node ever ran on it, so its keys were never used: delete ${dirname(p)} and run \`cairn init\` again (nothing was changed)`,
      );
    }
  }
  if (existsSync(databasePath)) {
    throw new CairnError(
      'home_exists',
      `${databasePath} already exists but ${configPath} does not: either an interrupted \`cairn init\` left it (no node ever ran on it: delete it and run \`cairn init\` again), or it is another node's database (put a node back with \`cairn restore\` from its backup instead). Nothing was changed`,
    );
  }
  // All or nothing: a failure (a full disk) removes what this init made, so
  // running it again is all the operator has to do. The configuration goes
  // last: its presence is what marks the home as initialised, and an
  // initialised home always has its database (context.ts refuses one without).
  const made = new MadeFiles();
  try {
    made.folder(home, 0o750);
    const seed = webRandom.bytes(32);
    made.folder(dirname(signingPath), 0o700);
    made.key(signingPath, () => writeKeyFile(signingPath, seed, 'signing'));
    made.folder(dirname(oprfPath), 0o700);
    made.key(oprfPath, () => writeKeyFile(oprfPath, generateOprfKeyPair().secretKey, 'oprf'));
    made.folder(dirname(databasePath), 0o750);
    await made.database(databasePath, () => createDatabase(databasePath).catch((e: unknown) => {
      // SQLite's SQLITE_FULL, raw or inside the migration's error.
      const full = isStorageFull(e) ? e : isCairnError(e, 'internal') && isStorageFull(e.cause) ? e.cause : undefined;
      if (full === undefined) throw e;
      throw new CairnError('unavailable', `cannot write the database ${databasePath}: ${noSpaceReason(full)}, so nothing was written. Free some space and run \`cairn init\` again`, { cause: full });
    }));
    writeNewFileDurably(configPath, `${JSON.stringify(input, null, 2)}\n`, { mode: 0o640, what: 'configuration' });
    return { config, signingFingerprint: fingerprintOf(ed25519Signer(seed).publicKey), configPath, databasePath };
  } catch (e) {
    made.undo();
    if (isStorageFull(e)) {
      throw new CairnError('unavailable', `cannot initialise ${home}: ${noSpaceReason(e)}; nothing was left behind. Free some space and run \`cairn init\` again`, { cause: e });
    }
    throw e;
  }
}

/**
 * Create the SQLite file at `path` (which must not exist), migrate it to the
 * latest schema and close it: closing folds the WAL back into the file, so
 * a new database is one file, flushed, with its name flushed in its folder.
 */
export async function createDatabase(path: string): Promise<string[]> {
  const sqlite = openSqlite(path);
  try {
    return await migrateToLatest(sqlite.db);
  } finally {
    await sqlite.close();
    fsyncFolder(dirname(path));
  }
}

/** What an init made, to take back if a later step fails. */
class MadeFiles {
  readonly #keys: string[] = [];
  readonly #databases: string[] = [];
  /** Each folder mkdir created: the first one it made, and the one asked for. */
  readonly #folders: Array<{ first: string; leaf: string }> = [];

  folder(path: string, mode: number): void {
    const first = mkdirSync(path, { recursive: true, mode });
    if (first !== undefined) this.#folders.push({ first: resolve(first), leaf: resolve(path) });
  }

  key(path: string, write: () => void): void {
    write();
    this.#keys.push(path);
  }

  async database(path: string, create: () => Promise<unknown>): Promise<void> {
    // Recorded first: a create that fails half-way leaves files to remove.
    this.#databases.push(path);
    await create();
  }

  /** Destroy the keys written, remove the databases made, then the folders made if they are empty; never throws. */
  undo(): void {
    for (const d of this.#databases) {
      for (const f of [...databaseFiles(d), `${d}-journal`]) {
        try {
          unlinkSync(f);
        } catch {
          // Not made, or already gone.
        }
      }
    }
    for (const k of this.#keys.reverse()) {
      try {
        discardKeyFile(k);
      } catch {
        // The error that brought us here says more; the next init names a leftover key.
      }
    }
    for (const { first, leaf } of this.#folders.reverse()) {
      for (let dir = leaf; ; dir = dirname(dir)) {
        try {
          rmdirSync(dir);
        } catch {
          break; // not empty (not ours alone), or already gone
        }
        if (dir === first) break;
      }
    }
  }
}

function defaultPortFrom(url: string): { port?: number } {
  try {
    const u = new URL(url);
    if (u.port !== '' && (u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]')) return { port: Number(u.port) };
  } catch {
    // the schema reports the bad URL
  }
  return {};
}

/** Path relative to the home unless absolute. */
export function resolveIn(home: string, p: string): string {
  return isAbsolute(p) ? p : join(home, p);
}

/** Load and validate the home's configuration with CAIRN_* overrides. */
export function loadConfig(home: string, env: NodeJS.ProcessEnv): Config {
  const configPath = join(home, CONFIG_FILE);
  if (!existsSync(configPath)) {
    throw new CairnError('home_missing', `no configuration at ${configPath}; run \`cairn init --country XX --name "…" --url URL\` (or \`npm start\` for a development node)`);
  }
  const text = readFileSync(configPath, 'utf8');
  if (text.trim() === '') {
    throw new CairnError('config_invalid', `${configPath} is empty (a write to it was cut short, by a full disk or a crash?): restore it from your backup (\`cairn backup\` keeps a copy), or write it again with the node's id, country, name and URL`);
  }
  let content: unknown;
  try {
    content = parseJsonText(text);
  } catch (e) {
    if (isCairnError(e)) throw new CairnError('config_invalid', `${configPath}: ${e.message}`, { cause: e });
    throw e;
  }
  return resolveConfig(content, env, configPath);
}

export interface NodeKeys {
  signer: Signer;
  oprfSecretKey: Uint8Array;
  oprfPublicKey: Uint8Array;
}

/** Read both private keys, refusing insecure modes. */
export function loadKeys(home: string, config: Config): NodeKeys {
  const signer = nodeEd25519Signer(readKeyFile(resolveIn(home, config.keys.signing), 'signing'));
  const oprfSecretKey = readKeyFile(resolveIn(home, config.keys.oprf), 'oprf');
  let oprfPublicKey: Uint8Array;
  try {
    oprfPublicKey = oprfPublicKey_(oprfSecretKey);
  } catch (cause) {
    throw new CairnError('key_invalid', `oprf key file ${config.keys.oprf} does not hold a valid ristretto255 scalar`, { cause });
  }
  return { signer, oprfSecretKey, oprfPublicKey };
}
