/**
 * `--help` on every command and subcommand of the shipped CLI: exit 0,
 * the command's own synopsis on stdout, nothing opened (no node home needed).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COMMANDS, main } from '../src/node/cli.js';
import { cairn, tempDir } from './helpers/cli.js';

describe('cairn --help', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('lists every command and subcommand in `cairn help`', () => {
    const r = cairn(['help']);
    expect(r.status).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c.command}`);
  });

  it('prints the help of every command and subcommand with --help, -h and `cairn help …`, without a node home', async () => {
    const home = join(t.dir, 'nowhere');
    const saved = process.env.CAIRN_HOME;
    process.env.CAIRN_HOME = home;
    try {
      for (const c of COMMANDS) {
        const words = c.command.split(' ');
        for (const argv of [[...words, '--help'], [...words, '-h'], ['help', ...words]]) {
          const out: string[] = [];
          const err: string[] = [];
          const status = await main(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
          const label = `cairn ${argv.join(' ')}: ${err.join('\n')}`;
          expect(status, label).toBe(0);
          expect(err, label).toEqual([]);
          const text = out.join('\n');
          expect(text, label).toContain(`cairn ${c.command}${c.synopsis ? ` ${c.synopsis.split('\n')[0]}` : ''}`);
          expect(text, label).toContain(c.about[0]);
          expect(text, label).toContain('--home DIR');
        }
      }
    } finally {
      if (saved === undefined) delete process.env.CAIRN_HOME;
      else process.env.CAIRN_HOME = saved;
    }
    expect(existsSync(home), 'asking for help must not create a node home').toBe(false);
  });

  it('answers --help from the shipped binary, in a folder without a node', () => {
    for (const argv of [['import', '--help'], ['search', 'confirm', '-h'], ['help', 'peers']]) {
      const r = cairn(argv, { cwd: t.dir });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`cairn ${argv.filter((a) => a !== 'help' && !a.startsWith('-')).join(' ')}`);
    }
    expect(existsSync(join(t.dir, 'data'))).toBe(false);
  });

  it('prints the whole group for a command with subcommands, help after options included', () => {
    const r = cairn(['peers', 'policy', 'XA', '--allow', 'x', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cairn peers policy PEER');
    expect(r.stdout).not.toContain('cairn peers add');
    const group = cairn(['audit', '--help']);
    expect(group.status).toBe(0);
    for (const sub of ['verify', 'export', 'checkpoint', 'reconcile', 'prune']) expect(group.stdout).toContain(`cairn audit ${sub}`);
  });

  it('refuses help on an unknown command with a usage error', () => {
    const r = cairn(['frobnicate', '--help']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "frobnicate"');
    const h = cairn(['help', 'frobnicate']);
    expect(h.status).toBe(2);
    expect(h.stderr).toContain('no command "frobnicate"');
  });
});
