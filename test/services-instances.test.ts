/**
 * Two nodes in one process share nothing: each createServices call owns its
 * audit log's integration lock and checkpoint cache (before, both lived at
 * module level, so a second node could be handed the first node's
 * checkpoint, or wait on the first node's integration and report its size).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/core/audit/checkpoint.js';
import { logVerifierKey, originOf } from '../src/core/audit/log.js';
import { ed25519NoteVerifier } from '../src/core/audit/note.js';
import { memoryApp } from './helpers/app.js';

type Node = Awaited<ReturnType<typeof memoryApp>>;

async function addUsers(n: Node, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await n.services.users.add({ name: `user ${i}`, role: 'analyst' }, 'test');
}

const open = (n: Node, note: string) =>
  openCheckpoint(note, ed25519NoteVerifier(logVerifierKey(n.config.node.url, n.services.node.signer.publicKey)), { origin: originOf(n.config.node.url) }).checkpoint;

describe('two nodes in one process', () => {
  let a: Node;
  let b: Node;
  beforeAll(async () => {
    a = await memoryApp('XA', 'http://a.cairn.test');
    b = await memoryApp('XB', 'http://b.cairn.test');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('integrates each log on its own, even at the same moment', async () => {
    await addUsers(a, 5);
    await addUsers(b, 2);
    const [sa, sb] = await Promise.all([a.services.audit.log.integrate(), b.services.audit.log.integrate()]);
    expect([sa, sb]).toEqual([5, 2]);
  });

  it("hands each node its own checkpoint, signed with its own key, within the checkpoint interval", async () => {
    // Both within audit.checkpointIntervalMs (1 s by default): a shared cache would give B A's checkpoint.
    const ca = await a.services.audit.checkpointForPeers();
    const cb = await b.services.audit.checkpointForPeers();
    expect(ca.size).toBe(5);
    expect(cb.size).toBe(2);
    expect(open(a, ca.note).treeSize).toBe(5);
    expect(open(b, cb.note).treeSize).toBe(2);
    expect(() => open(b, ca.note)).toThrow();
    // And each cache serves its own node again.
    expect((await b.services.audit.checkpointForPeers()).note).toBe(cb.note);
    expect((await a.services.audit.checkpointForPeers()).note).toBe(ca.note);
  });

  it('over HTTP too: each app answers with its own log', async () => {
    const dpoA = (await a.services.users.add({ name: 'dpo', role: 'dpo' }, 'test')).token;
    const dpoB = (await b.services.users.add({ name: 'dpo', role: 'dpo' }, 'test')).token;
    const get = async (n: Node, token: string) => (await n.app.request('/v1/audit/checkpoint', { headers: { authorization: `Bearer ${token}` } })).json() as Promise<{ size: number; checkpoint: string }>;
    const [ra, rb] = await Promise.all([get(a, dpoA), get(b, dpoB)]);
    expect(ra.size).toBe(6);
    expect(rb.size).toBe(3);
    expect(open(a, ra.checkpoint).treeSize).toBe(6);
    expect(open(b, rb.checkpoint).treeSize).toBe(3);
  });
});
