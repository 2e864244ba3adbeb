/**
 * The owner's answer to a searcher whose replica is in step (the common case
 * of every match answer) takes a short path: an empty delta with the head
 * already signed for that version. It must be the very answer the full path
 * gives, and must never hide a change, whoever wrote it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkChanges } from '../src/core/federation/index/chain.js';
import { IndexOwner } from '../src/core/federation/index/owner.js';
import { silentLogger } from '../src/core/ports.js';
import { sqliteAtomicWriter } from '../src/node/atomic.js';
import { network, person } from './helpers/index-nodes.js';

const ALLOW = { missing_child_tracing: ['missing_child'] };

describe('changes since the current version', () => {
  let net: ReturnType<typeof network>;
  afterEach(async () => {
    await net?.close();
  });

  it('is an empty delta under the stored head, and shows every later change', async () => {
    net = network();
    const { clock, xa, xb } = await net.twoNodes(ALLOW);
    await xa.put([person('A-1', 'missing_child', 1), person('A-2', 'missing_child', 2)]);
    const peerA = await net.peerOf(xb, xa);
    expect(await xb.index.sync(peerA.id)).toEqual({ missing_child: 'ready' });
    const v0 = (await xb.index.replicaVersions(peerA.id)).missing_child!;

    // Twice: the first may take the full path, the second the short one; both give the same answer.
    const first = await xa.index.changesSince('missing_child', v0);
    const second = await xa.index.changesSince('missing_child', v0);
    const head = await xa.index.owner.head('missing_child');
    for (const d of [first, second]) {
      expect(d).toEqual({ category: 'missing_child', head: head.envelope, fromVersion: v0, toVersion: v0, changes: new Uint8Array(0) });
      expect(await xb.index.applyDelta(peerA, d)).toBe('ready');
    }

    // A new record (imported by the importer, a writer apart from the index service): the same call now carries it.
    await xa.put([person('A-3', 'missing_child', 3)]);
    const changed = await xa.index.changesSince('missing_child', v0);
    if ('resync' in changed) throw new Error('unexpected resync');
    expect(changed.toVersion).toBeGreaterThan(v0);
    expect(checkChanges(changed.changes).adds).toBeGreaterThan(0);
    expect(await xb.index.applyDelta(peerA, changed)).toBe('ready');
    const v1 = changed.toVersion;
    const inStep = await xa.index.changesSince('missing_child', v1);
    expect(inStep).toMatchObject({ fromVersion: v1, toVersion: v1, changes: new Uint8Array(0) });
    expect(await xb.index.applyDelta(peerA, inStep)).toBe('ready');

    // A change by another writer of the same database (another process: the CLI's import, a second isolate):
    // this instance's head of v1 is no longer current, and the delta since v1 carries the change.
    await xa.remove('A-1');
    const other = new IndexOwner({ db: xa.sqlite.db, atomic: sqliteAtomicWriter(xa.sqlite.raw), clock, signer: xa.signer, logger: silentLogger, nodeId: xa.nodeId });
    const fromOther = await other.changesSince('missing_child', v1);
    const fromThis = await xa.index.changesSince('missing_child', v1);
    // An answer reads the versions of all its categories in one statement first, then asks with them.
    const versions = await xa.index.currentVersions(['missing_child', 'suspect']);
    expect(versions).toEqual({ missing_child: await xa.index.owner.version('missing_child'), suspect: 0 });
    expect(versions.missing_child).toBeGreaterThan(v1);
    const withVersions = await xa.index.changesSince('missing_child', v1, undefined, versions.missing_child);
    expect(withVersions).toEqual(fromThis);
    for (const d of [fromOther, fromThis]) {
      if ('resync' in d) throw new Error('unexpected resync');
      expect(d.toVersion).toBeGreaterThan(v1);
      expect(checkChanges(d.changes).removes).toBeGreaterThan(0);
    }
    expect(await xb.index.applyDelta(peerA, fromThis)).toBe('ready');
    const found = await xb.index.lookup(peerA.id, ['missing_child'], (xa.sqlite.raw.prepare("select fingerprint from tokens where category = 'missing_child'").all() as { fingerprint: Buffer }[]).map((t) => new Uint8Array(t.fingerprint)));
    expect(found.hits.length).toBeGreaterThan(0);
  });
});
