import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

describe('Workers entry', () => {
  it('is the wrangler main and type-checks against @cloudflare/workers-types', () => {
    const toml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
    expect(toml).toMatch(/^main = "src\/workers\/index.ts"$/m);
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'src/workers/tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('keeps the core free of Node-only imports', () => {
    const r = spawnSync('grep', ['-rlE', "from '(node:|better-sqlite3|pino|@hono/node-server)", 'src/core', 'schemas'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout).toBe('');
    const p = spawnSync('grep', ['-rlE', '\\bprocess\\.(env|exit|argv|on|once|cwd|platform|stdout|stderr|hrtime|memoryUsage)', 'src/core', 'schemas'], { cwd: ROOT, encoding: 'utf8' });
    expect(p.stdout).toBe('');
  });
});
