/**
 * Where a compiled worker script is (token-worker.js for the token pool,
 * evaluate-worker.js for the answering node's evaluator, sqlite-unit-worker.js
 * for long write units). Worker threads run JavaScript, so a pool always
 * starts the script under dist/src/node/:
 *   1. the sibling script of the running module, which is the case when the
 *      pool itself runs from dist/ (production, the CLI);
 *   2. otherwise, when the pool runs from TypeScript source (vitest imports
 *      src/…/token-pool.ts), the same path with src/ mapped to dist/src/.
 *      test/global-setup.ts builds dist/ before the suite, so it is current.
 * Anything else is a missing build and fails with a typed error.
 */
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CairnError } from '../../core/errors.js';

const WORKER_FILE = 'token-worker.js';
const SOURCE_DIR = `${sep}src${sep}node${sep}`;
const DIST_DIR = `${sep}dist${sep}src${sep}node${sep}`;

/** The parent's Node flags, less --input-type (which only applies to `node -e` and stops a worker file from loading). */
export const WORKER_EXEC_ARGV = process.execArgv.filter((a, i, all) => !a.startsWith('--input-type') && all[i - 1] !== '--input-type');

/** Resolve the worker script for a pool module at `moduleUrl` (see the rules above). */
export function resolveTokenWorkerUrl(moduleUrl: string): URL {
  return resolveWorkerUrl(moduleUrl, WORKER_FILE);
}

/** Resolve `file`, a worker script in the folder of the module at `moduleUrl`, by the same rules. */
export function resolveWorkerUrl(moduleUrl: string, file: string): URL {
  const sibling = new URL(`./${file}`, moduleUrl);
  if (existsSync(sibling)) return sibling;
  const tried = [fileURLToPath(sibling)];
  const path = fileURLToPath(moduleUrl);
  const at = path.lastIndexOf(SOURCE_DIR);
  if (at >= 0 && !path.slice(0, at + 1).endsWith(`${sep}dist${sep}`)) {
    const built = join(path.slice(0, at) + DIST_DIR + dirname(path.slice(at + SOURCE_DIR.length)), file);
    if (existsSync(built)) return pathToFileURL(built);
    tried.push(built);
  }
  throw new CairnError('internal', `worker script ${file} not found (run \`npm run build\`); looked at ${tried.join(', ')}`);
}
