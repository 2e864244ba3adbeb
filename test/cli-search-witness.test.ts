/**
 * `cairn search` runs the same search use case as POST /v1/searches, built
 * by the same composition root, so it witnesses the peer's checkpoint too
 * (before, the CLI built its own dependencies without a witness).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startFederation, type FedNode } from '../scripts/lib/federation.js';
import { cairn, freePort, tempDir } from './helpers/cli.js';

const IDS = { names: [{ given: 'Leyla', family: 'Aliyeva' }], dateOfBirth: { precision: 'day', date: '2014-06-09' } };

describe('cairn search witnesses', () => {
  const t = tempDir('cairn-cli-witness-');
  let xa: FedNode;
  let xb: FedNode;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'A', port: ports[0]! },
        { country: 'XB', name: 'B', port: ports[1]! },
      ],
      { missing_child_tracing: ['missing_child'] },
      { CAIRN_AUDIT_CHECKPOINT_INTERVAL_MS: '0' },
    )) as [FedNode, FedNode];
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XA-L-1', category: 'missing_child', owningUnit: 'U', contactPoint: 'c@x.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  it("stores the peer's checkpoint after a search from the command line", async () => {
    const before = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(before.json.peers[0]).toMatchObject({ country: 'XA', witnessedSize: null, checkpoints: 0 });

    const s = cairn(['search', '--home', xb.home, '--purpose', 'missing_child_tracing', '--legal-basis', 'Art. 3 (test)', '--case', 'CLI-W-1', '--given', 'Leyla', '--family', 'Aliyeva', '--dob', '2014-06-09', '--json']);
    expect(s.status, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).results[0]).toMatchObject({ status: 'hit' });

    // The CLI awaits witnessing before it exits: the checkpoint is stored already.
    const after = await api(xb, xb.tokens.dpo, 'GET', '/v1/audit/witness');
    expect(after.json.peers[0].country).toBe('XA');
    expect(after.json.peers[0].checkpoints).toBe(1);
    expect(after.json.peers[0].witnessedSize).toBeGreaterThan(0);
    expect(after.json.alerts).toEqual([]);
  });
});
