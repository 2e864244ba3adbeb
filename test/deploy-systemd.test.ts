/**
 * The systemd unit in deploy/: `systemd-analyze verify` accepts it without a
 * warning, with its ExecStart pointed at this checkout so the executable is
 * checked too; the offline security analysis rates its exposure low.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './helpers/cli.js';

const UNIT = join(ROOT, 'deploy/systemd/cairn.service');
const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
const missing = analyze.error !== undefined;
// CI installs systemd (.ci/run); only a developer machine without it may skip.
const skip = missing && !process.env.CI;

/** systemd-analyze on a copy of the unit whose paths point at this checkout. */
function verify(text: string, ...args: string[]) {
  const t = tempDir();
  try {
    const file = join(t.dir, 'cairn.service');
    writeFileSync(file, text.replaceAll('/usr/bin/node', process.execPath).replaceAll('/opt/cairn/', `${ROOT}/`));
    return spawnSync('systemd-analyze', [...args, file], { encoding: 'utf8' });
  } finally {
    t.cleanup();
  }
}

describe.skipIf(skip)('deploy/systemd/cairn.service', () => {
  const text = readFileSync(UNIT, 'utf8');

  it('passes systemd-analyze verify without a warning', () => {
    expect(missing, 'systemd-analyze is missing: apt-get install systemd').toBe(false);
    const r = verify(text, 'verify');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.trim()).toBe('');
  });

  it('is caught by verify when a directive is misspelt or a value is wrong (the check can fail)', () => {
    expect(verify(text.replace('ProtectHome=yes', 'ProtectHomme=yes'), 'verify').stderr).toContain("Unknown key 'ProtectHomme'");
    expect(verify(text.replace('ProtectSystem=strict', 'ProtectSystem=stric'), 'verify').stderr).toContain('protect system value');
  });

  it('runs as a dedicated user with the hardening the deployment guide promises, and rates as low exposure', () => {
    for (const line of [
      'User=cairn',
      'ProtectSystem=strict',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'NoNewPrivileges=yes',
      'CapabilityBoundingSet=',
      'ReadWritePaths=/var/lib/cairn',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
      'SystemCallFilter=@system-service',
      'UMask=0077',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    const r = verify(text, 'security', '--offline=true', '--threshold=20');
    // Older systemd has no --offline; then verify above is the check.
    if (/unrecognized option|unknown option/i.test(r.stderr)) return;
    const m = /Overall exposure level for .*: (\d+\.\d+)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(2.0);
  });
});
