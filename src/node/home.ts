/**
 * A node's home folder: configuration, database and keys.
 *
 *   <home>/cairn.json        configuration (JSON; CAIRN_* variables override)
 *   <home>/cairn.db          SQLite database
 *   <home>/keys/signing.key  Ed25519 seed, mode 0600
 *   <home>/keys/oprf.key     ristretto255 VOPRF secret scalar, mode 0600
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { generateOprfKeyPair, oprfPublicKey as oprfPublicKey_ } from '../core/oprf/index.js';
import { configSchema, resolveConfig, type Config, type ConfigInput } from '../core/config.js';
import { parseJsonText } from '../core/decode/json-body.js';
import { CairnError, isCairnError } from '../core/errors.js';
import { webRandom } from '../core/ports.js';
import { ed25519Signer, fingerprintOf, type Signer } from '../core/signing.js';
import { nodeEd25519Signer } from './ed25519.js';
import { writeKeyFile, readKeyFile } from './keyfile.js';

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

/** Create a node home: config, empty keys. Fails if a config already exists. */
export function initHome(home: string, opts: InitOptions): { config: Config; signingFingerprint: string; configPath: string } {
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
  mkdirSync(home, { recursive: true, mode: 0o750 });
  const config = parsed.data;
  const signingPath = resolveIn(home, config.keys.signing);
  const oprfPath = resolveIn(home, config.keys.oprf);
  for (const p of [signingPath, oprfPath]) {
    if (existsSync(p)) throw new CairnError('home_exists', `${p} already exists; refusing to overwrite a key`);
  }
  const seed = webRandom.bytes(32);
  writeKeyFile(signingPath, seed, 'signing');
  writeKeyFile(oprfPath, generateOprfKeyPair().secretKey, 'oprf');
  writeFileSync(configPath, `${JSON.stringify(input, null, 2)}\n`, { mode: 0o640, flag: 'wx' });
  return { config, signingFingerprint: fingerprintOf(ed25519Signer(seed).publicKey), configPath };
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
  let content: unknown;
  try {
    content = parseJsonText(readFileSync(configPath, 'utf8'));
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
