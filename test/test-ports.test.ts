/**
 * The test suite's port choice (scripts/lib/ports.ts): test files run in
 * parallel processes and a node binds its port seconds after choosing it,
 * so a port is reserved across processes until its owner exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort, reservePort } from '../scripts/lib/ports.js';
import { ROOT } from './helpers/cli.js';

const RESERVATIONS = join(tmpdir(), 'cairn-test-ports');

/** A process that chooses `n` ports with the compiled freePort, prints them, and waits for stdin to close. */
async function chooser(n: number): Promise<{ child: ChildProcess; ports: number[] }> {
  const code = `const { freePort } = await import(${JSON.stringify(join(ROOT, 'dist/scripts/lib/ports.js'))});
const ports = []; for (let i = 0; i < ${n}; i++) ports.push(await freePort());
console.log(JSON.stringify(ports)); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  const ports = await new Promise<number[]>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
    });
    child.once('exit', (code) => reject(new Error(`chooser exited with ${code} before printing its ports`)));
  });
  return { child, ports };
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('test ports', () => {
  it('are never handed out twice in one process', async () => {
    const ports = await Promise.all(Array.from({ length: 40 }, () => freePort()));
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(20_000);
      expect(p).toBeLessThan(32_000);
      expect(reservePort(p)).toBe(false);
    }
  });

  it('held by another live process are refused; its exit releases them', async () => {
    const { child, ports } = await chooser(5);
    for (const p of ports) {
      expect(readFileSync(join(RESERVATIONS, String(p)), 'utf8')).toBe(String(child.pid));
      expect(reservePort(p)).toBe(false);
    }
    child.stdin!.end();
    await exited(child);
    for (const p of ports) expect(existsSync(join(RESERVATIONS, String(p)))).toBe(false);
  });

  it('left by a process killed with SIGKILL are taken over', async () => {
    const { child, ports } = await chooser(3);
    child.kill('SIGKILL');
    await exited(child);
    for (const p of ports) {
      expect(existsSync(join(RESERVATIONS, String(p)))).toBe(true);
      expect(reservePort(p)).toBe(true);
      expect(readFileSync(join(RESERVATIONS, String(p)), 'utf8')).toBe(String(process.pid));
      rmSync(join(RESERVATIONS, String(p)));
    }
  });
});
