/**
 * Compile the native ristretto255 module (src/node/native/ristretto255.c)
 * into dist/native/ristretto255.node, against the system's libsodium and
 * the running Node's headers. `npm run build` and the test suite's global
 * set-up run it after tsc.
 *
 * The module is an optimisation: without a C compiler or libsodium-dev the
 * node runs on libsodium's WASM build, so a missing prerequisite is a notice
 * and exit 0, unless CAIRN_SODIUM=native, which requires the module (CI
 * sets it). A compile error in the source is always a failure.
 *
 * Rebuilt only when the module is missing or older than its source.
 *
 * Usage: node dist/scripts/build-native.js [--force]
 * Environment: CC (default cc), CAIRN_NODE_INCLUDE (the folder holding
 * node_api.h; default: <node prefix>/include/node, npm's nodedir).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from dist/scripts/ or scripts/. */
function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const up = resolve(here, '..');
  return existsSync(join(up, 'package.json')) ? up : resolve(up, '..');
}

/** Folders that may hold node_api.h, most specific first. */
function includeCandidates(env: NodeJS.ProcessEnv): string[] {
  const found = [
    env.CAIRN_NODE_INCLUDE,
    env.npm_config_nodedir ? join(env.npm_config_nodedir, 'include', 'node') : undefined,
    resolve(dirname(process.execPath), '..', 'include', 'node'),
  ];
  return found.filter((d): d is string => typeof d === 'string' && d.length > 0);
}

export interface NativeBuild {
  readonly status: 'built' | 'current' | 'unavailable';
  readonly output: string;
  /** Why the module could not be built (status unavailable). */
  readonly reason?: string;
}

/** Build the module if needed. Throws on a compile error; returns `unavailable` when a prerequisite is missing. */
export function buildNative(options: { force?: boolean; env?: NodeJS.ProcessEnv } = {}): NativeBuild {
  const env = options.env ?? process.env;
  const root = packageRoot();
  const source = join(root, 'src', 'node', 'native', 'ristretto255.c');
  const output = join(root, 'dist', 'native', 'ristretto255.node');
  if (!options.force && existsSync(output) && statSync(output).mtimeMs >= statSync(source).mtimeMs) return { status: 'current', output };

  const include = includeCandidates(env).find((d) => existsSync(join(d, 'node_api.h')));
  if (!include) return { status: 'unavailable', output, reason: `node_api.h not found in ${includeCandidates(env).join(', ')} (set CAIRN_NODE_INCLUDE)` };
  const cc = env.CC ?? 'cc';
  const probe = spawnSync(cc, ['-E', '-x', 'c', '-'], { input: '#include <sodium.h>\n', encoding: 'utf8' });
  if (probe.error) return { status: 'unavailable', output, reason: `no C compiler (${cc}: ${probe.error.message})` };
  if (probe.status !== 0) return { status: 'unavailable', output, reason: 'libsodium headers not found (Debian: apt-get install libsodium-dev)' };

  mkdirSync(dirname(output), { recursive: true });
  // Written beside the target and renamed: a reader never loads half a file.
  const partial = `${output}.${process.pid}.tmp`;
  const args = ['-O2', '-fPIC', '-shared', '-std=c11', '-Wall', '-Wextra', '-Werror', '-fvisibility=hidden', `-I${include}`, source, '-o', partial, '-lsodium'];
  const run = spawnSync(cc, args, { encoding: 'utf8' });
  if (run.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`${cc} ${args.join(' ')} failed:\n${run.stderr || run.error?.message}`);
  }
  renameSync(partial, output);
  return { status: 'built', output };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const required = process.env.CAIRN_SODIUM === 'native';
  try {
    const result = buildNative({ force: process.argv.includes('--force') });
    if (result.status === 'built') console.log(`native ristretto255: built ${result.output}`);
    if (result.status === 'unavailable') {
      const message = `native ristretto255 not built: ${result.reason}`;
      if (required) {
        console.error(`${message}; CAIRN_SODIUM=native requires it`);
        process.exit(1);
      }
      console.log(`${message}; the node uses libsodium's WASM build`);
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
