/**
 * Search on registration: a child registered as missing in one country is
 * searched against the peers at once, and both owning units are told.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { freePort, tempDir } from './helpers/cli.js';

const IDS = { names: [{ given: 'Dawit', family: 'Tesfaye' }], dateOfBirth: { precision: 'day', date: '2012-11-05' } };

describe('search on registration', () => {
  const t = tempDir('cairn-reg-');
  let xa: FedNode;
  let xb: FedNode;
  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    [xa, xb] = (await startFederation(
      t.dir,
      [{ country: 'XA', name: 'A', port: ports[0]! }, { country: 'XB', name: 'B', port: ports[1]! }],
      { missing_child_tracing: ['missing_child', 'unaccompanied_minor'] },
      { CAIRN_FEDERATION_SEARCH_ON_REGISTRATION: 'true' },
    )) as [FedNode, FedNode];
    // XA registered the boy as an unaccompanied minor at a reception centre.
    const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XA-RC-12', category: 'unaccompanied_minor', owningUnit: 'Reception centre North', contactPoint: 'rc-north@xa.example', recordDate: '2026-02-01', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.status).toBe(200);
    // XB searches against its copy of XA's index: in sync before the child is registered.
    await untilReplicasReady(xb);
  });
  afterAll(async () => {
    await Promise.all([xa?.stop(), xb?.stop()]);
    t.cleanup();
  });

  it('searches the peers when a missing child is imported, and both owners see the hit', async () => {
    // Through the running node's API: `cairn import` refuses a home its node is serving (home_locked).
    const record = { ref: 'XB-MC-3', category: 'missing_child', owningUnit: 'Missing persons', contactPoint: 'mp@xb.example', recordDate: '2026-03-01', retentionUntil: '2036-01-01', identifiers: IDS };
    const first = await api(xb, xb.tokens.analyst, 'POST', '/v1/records', { records: [record] });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ imported: 1 });
    expect(first.json.searches).toEqual([{ ref: 'XB-MC-3', searchId: expect.stringMatching(/^s_/) }]);
    const mine = await api(xb, xb.tokens.analyst, 'GET', '/v1/searches?caseReference=XB-MC-3');
    expect(mine.json.searches).toHaveLength(1);
    expect(mine.json.searches[0]).toMatchObject({ user: 'system:registration', purpose: 'missing_child_tracing', hits: 1 });
    const detail = await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${mine.json.searches[0].id}`);
    const receipt = JSON.parse(Buffer.from(detail.json.results[0].receipts[0].payload, 'base64').toString('utf8'));
    expect(receipt.record).toMatchObject({ ref: 'XA-RC-12', contactPoint: 'rc-north@xa.example' });
    const theirs = await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming');
    expect(theirs.json.hits[0]).toMatchObject({ record: { ref: 'XA-RC-12' }, caseReference: 'XB-MC-3', peer: { country: 'XB' } });
    // Re-importing the unchanged record does not search again.
    const again = await api(xb, xb.tokens.analyst, 'POST', '/v1/records', { records: [record] });
    expect(again.json).toMatchObject({ unchanged: 1 });
    expect(again.json.searches ?? []).toEqual([]);
  });

  it('does the same for records posted over the API', async () => {
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XB-MC-4', category: 'missing_child', owningUnit: 'Missing persons', contactPoint: 'mp@xb.example', recordDate: '2026-03-02', retentionUntil: '2036-01-01', identifiers: IDS }],
    });
    expect(r.json.searches).toEqual([{ ref: 'XB-MC-4', searchId: expect.stringMatching(/^s_/) }]);
  });
});
