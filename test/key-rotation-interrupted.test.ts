/**
 * A signing-key rotation stopped between its database unit and its files
 * (killed, or a full disk for the previous key's file) left the new key in
 * `signing.next.key` while the key history already named it current, and
 * every later rotation refused. Now the next rotation, or the next `cairn
 * serve`, finishes it as the rotation would have; a new key no rotation
 * recorded (the process died before its unit) never signed anything and is
 * destroyed.
 */
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { originOf } from '../src/core/audit/log.js';
import { toHex } from '../src/core/bytes.js';
import { rotationStatements } from '../src/core/keys/history.js';
import { webRandom } from '../src/core/ports.js';
import { fingerprintOf } from '../src/core/signing.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { nodeEd25519Signer } from '../src/node/ed25519.js';
import { readKeyFile, writeKeyFile } from '../src/node/keyfile.js';
import { openSqlite } from '../src/node/sqlite.js';
import { cairn, freePort, initNode, serveNode, tempDir } from './helpers/cli.js';

/** Do what `keys rotate signing` does up to its database unit, and stop there (as a kill right after the commit would). */
async function rotateUpToTheRecord(home: string, opts: { record: boolean }): Promise<{ seed: Uint8Array; previousSeed: Uint8Array }> {
  const keys = join(home, 'keys');
  const previousSeed = readKeyFile(join(keys, 'signing.key'), 'signing');
  const seed = webRandom.bytes(32);
  writeKeyFile(join(keys, 'signing.next.key'), seed, 'signing');
  if (opts.record) {
    const sqlite = openSqlite(join(home, 'cairn.db'));
    try {
      const at = new Date();
      await sqliteAtomicWriter(sqlite.raw).run(
        rotationStatements(sqlite.db, { previous: nodeEd25519Signer(previousSeed).publicKey, next: nodeEd25519Signer(seed), origin: originOf(JSON.parse(readFileSync(join(home, 'cairn.json'), 'utf8')).node.url), at, overlapUntil: new Date(at.getTime() + 14 * 86_400_000), actor: 'test' }),
      );
    } finally {
      await sqlite.close();
    }
  }
  return { seed, previousSeed };
}

const keyOf = (home: string, file: string) => readFileSync(join(home, 'keys', file), 'utf8').trim();

describe('a signing-key rotation interrupted after its record', () => {
  const t = tempDir('cairn-rotation-interrupted-');
  afterAll(() => t.cleanup());

  it('is finished by the next rotation, which says so and makes no other key', async () => {
    const home = join(t.dir, 'a');
    initNode(home, 'XA', await freePort());
    expect(cairn(['keys', 'status', '--home', home]).status).toBe(0);
    const { seed, previousSeed } = await rotateUpToTheRecord(home, { record: true });
    const r = cairn(['keys', 'rotate', 'signing', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`finished an interrupted rotation: the node's signing key is ${nodeEd25519Signer(seed).keyId}`);
    expect(keyOf(home, 'signing.key')).toBe(toHex(seed));
    expect(keyOf(home, 'signing.previous.key')).toBe(toHex(previousSeed));
    expect(existsSync(join(home, 'keys', 'signing.next.key'))).toBe(false);
    expect(cairn(['keys', 'status', '--home', home]).stdout).toContain(fingerprintOf(nodeEd25519Signer(seed).publicKey).slice(0, 14));
    // A rotation now is an ordinary one.
    expect(cairn(['keys', 'rotate', 'signing', '--home', home]).stdout).toContain('new signing key');
    expect(keyOf(home, 'signing.key')).not.toBe(toHex(seed));
  });

  it('is finished by cairn serve at start-up, which then signs with the new key', async () => {
    const home = join(t.dir, 'b');
    const port = await freePort();
    initNode(home, 'XB', port);
    expect(cairn(['keys', 'status', '--home', home]).status).toBe(0);
    const { seed } = await rotateUpToTheRecord(home, { record: true });
    const node = await serveNode(home, { port });
    try {
      const desc = (await (await fetch(`${node.url}/.well-known/cairn/node`)).json()) as { signatures: { keyid: string }[] };
      expect(desc.signatures.map((s) => s.keyid)).toContain(nodeEd25519Signer(seed).keyId);
      expect(keyOf(home, 'signing.key')).toBe(toHex(seed));
      expect(node.stderr()).toContain('finished an interrupted signing-key rotation');
    } finally {
      await node.stop();
    }
    expect(cairn(['audit', 'verify', '--home', home]).stdout).toMatch(/^audit log OK/);
  });

  it('destroys a new key that no rotation recorded, then rotates afresh; a fresh one may be a rotation still running and is left alone', async () => {
    const home = join(t.dir, 'c');
    initNode(home, 'XC', await freePort());
    const current = keyOf(home, 'signing.key');
    const { seed } = await rotateUpToTheRecord(home, { record: false });
    const running = cairn(['keys', 'rotate', 'signing', '--home', home]);
    expect(running.status).toBe(1);
    expect(running.stderr).toMatch(/signing\.next\.key was written \d+ s ago by a rotation that may still be running; try again in a minute/);
    expect(keyOf(home, 'signing.next.key')).toBe(toHex(seed));
    // Two minutes later it is a leftover.
    const past = new Date(Date.now() - 120_000);
    utimesSync(join(home, 'keys', 'signing.next.key'), past, past);
    const r = cairn(['keys', 'rotate', 'signing', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('a key left by a rotation that was never recorded (the node never used it)');
    expect(r.stdout).toContain('new signing key');
    expect([toHex(seed), current]).not.toContain(keyOf(home, 'signing.key'));
    expect(keyOf(home, 'signing.previous.key')).toBe(current);
  });
});
