/**
 * The libsodium that the Node OPRF paths run on: the eleven ristretto255
 * functions they use, from one of two builds of the same library.
 *
 *   native  src/node/native/ristretto255.c, a Node-API binding of the
 *           system's libsodium (Debian: libsodium-dev), compiled by
 *           `npm run build` into dist/native/ristretto255.node. About twice
 *           the WASM build's speed: a variable-base multiplication takes
 *           ~48 us against ~100 us here.
 *   wasm    libsodium-wrappers-sumo, always available.
 *
 * Both take and return the same bytes (test/sodium-native.test.ts holds them
 * to it on random and edge-case inputs), so the choice is the operator's:
 * CAIRN_SODIUM=native requires the native build (start-up fails without it),
 * CAIRN_SODIUM=wasm never loads it, and unset (or `auto`) takes the native
 * build when it is there. Every thread (the token, evaluator and finalize
 * pools) loads its own copy by the same rule.
 *
 * Node only: Workers use the portable noble path.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import wasm from 'libsodium-wrappers-sumo';
import { CairnError } from '../../core/errors.js';

/** The functions Cairn uses, with libsodium-wrappers' names and conventions (throw on failure). */
export type Sodium = Pick<
  typeof wasm,
  | 'crypto_core_ristretto255_from_hash'
  | 'crypto_core_ristretto255_is_valid_point'
  | 'crypto_core_ristretto255_add'
  | 'crypto_core_ristretto255_scalar_reduce'
  | 'crypto_core_ristretto255_scalar_invert'
  | 'crypto_core_ristretto255_scalar_mul'
  | 'crypto_core_ristretto255_scalar_sub'
  | 'crypto_core_ristretto255_scalar_add'
  | 'crypto_scalarmult_ristretto255'
  | 'crypto_scalarmult_ristretto255_base'
>;

/** The native module: those functions and the version of the libsodium it runs against. */
type NativeSodium = Sodium & { sodium_version_string(): string };

export type SodiumBuild = 'native' | 'wasm';

/** Which build CAIRN_SODIUM asks for. */
export type SodiumChoice = 'auto' | SodiumBuild;

/** The native module as the running script finds it: under dist/ whether it runs from dist/ or from src/ (vitest). */
const NATIVE_CANDIDATES = [
  // dist/src/node/oprf/sodium.js -> dist/native/
  new URL('../../../native/ristretto255.node', import.meta.url),
  // src/node/oprf/sodium.ts -> dist/native/
  new URL('../../../dist/native/ristretto255.node', import.meta.url),
];

/** The path of the built native module, if there is one. */
export function nativeModulePath(): string | undefined {
  for (const url of NATIVE_CANDIDATES) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  return undefined;
}

let native: { lib: NativeSodium } | { error: string } | undefined;

/** Load the native build once per thread; why not, when it cannot be. */
export function loadNativeSodium(): { lib: NativeSodium } | { error: string } {
  if (native) return native;
  const path = nativeModulePath();
  if (!path) {
    native = { error: `the native build is missing (looked at ${NATIVE_CANDIDATES.map((u) => fileURLToPath(u)).join(', ')}); \`npm run build\` makes it where libsodium-dev is installed` };
    return native;
  }
  try {
    native = { lib: createRequire(import.meta.url)(path) };
  } catch (cause) {
    native = { error: `the native build at ${path} does not load: ${cause instanceof Error ? cause.message : String(cause)}` };
  }
  return native;
}

/** CAIRN_SODIUM, checked. */
export function sodiumChoice(env: NodeJS.ProcessEnv = process.env): SodiumChoice {
  const value = env.CAIRN_SODIUM ?? 'auto';
  if (value === '' || value === 'auto') return 'auto';
  if (value === 'native' || value === 'wasm') return value;
  throw new CairnError('config_invalid', `CAIRN_SODIUM: expected native, wasm or auto, got ${JSON.stringify(value)}`);
}

/** Load the build `choice` names (default: CAIRN_SODIUM); `native` fails loudly when it cannot be loaded. */
export async function loadSodiumBuild(choice: SodiumChoice = sodiumChoice()): Promise<{ lib: Sodium; build: SodiumBuild; version: string }> {
  if (choice !== 'wasm') {
    const n = loadNativeSodium();
    if ('lib' in n) return { lib: n.lib, build: 'native', version: n.lib.sodium_version_string() };
    if (choice === 'native') throw new CairnError('config_invalid', `CAIRN_SODIUM=native: ${n.error}`);
  }
  await wasm.ready;
  return { lib: wasm, build: 'wasm', version: wasm.sodium_version_string() };
}

/** The libsodium the OPRF paths use in this thread (see the rules above). */
export async function loadSodium(): Promise<Sodium> {
  return (await loadSodiumBuild()).lib;
}
