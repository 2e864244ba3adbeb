/**
 * Builds dist/ once before the suite: CLI tests spawn the shipped JavaScript
 * (bin/cairn.js -> dist/), and worker threads load compiled worker files.
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
}
