/**
 * Builds dist/ once before the suite: CLI tests spawn the shipped JavaScript
 * (bin/cairn.js -> dist/), and worker threads load compiled worker files.
 * This is the suite's only compile before the tests start, and its
 * typecheck: tsconfig.build.json covers src, schemas, scripts and test
 * (everything tsconfig.json does), so a type error anywhere stops the run
 * here. The Workers entry's own typecheck (workers-types) runs as
 * test/workers-typecheck.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  // For quick local reruns against an existing dist/ (never set in CI).
  if (process.env.CAIRN_TEST_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  // The native ristretto255 module (a notice and the WASM build where libsodium-dev is missing; CI requires it).
  execFileSync(process.execPath, [`${root}dist/scripts/build-native.js`], { cwd: root, stdio: 'inherit' });
}
