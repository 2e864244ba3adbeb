/**
 * An OPRF activation on a serving node rewrites every token in one unit.
 * It runs off the serving thread (src/node/sqlite-unit.ts), so the node
 * keeps answering while it runs: health checks and reads at once, and a
 * peer's match request either before the switch or refused as
 * `unavailable` at once, never held for the busy timeout and never a
 * no-hit. Two real nodes on loopback; the pending epoch is filled with
 * enough rows, written straight into the owner's SQLite file, for the
 * activation to take seconds.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { freePort, tempDir } from './helpers/cli.js';

const POLICY = { missing_child_tracing: ['missing_child'] };
const CONTEXT = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act (test)', caseReference: 'CASE-ACT-1' };
const CHILD = { names: [{ given: 'Olena', family: 'Kovalenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } };
const RECORD = { ref: 'XA-1', category: 'missing_child', owningUnit: 'Missing children unit', contactPoint: 'desk@police.example', recordDate: '2026-01-15', retentionUntil: '2036-01-01', identifiers: CHILD };
/** Synthetic records in the pending epoch, and tokens each: enough for an activation of seconds. */
const FILLER = 60_000;
const TOKENS_EACH = 4;

describe('an OPRF activation on a serving node', () => {
  const t = tempDir('cairn-activate-served-');
  let xa: FedNode;
  let xb: FedNode;

  beforeAll(async () => {
    [xa, xb] = (await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia police', port: await freePort() },
        { country: 'XB', name: 'Borduria police', port: await freePort() },
      ],
      POLICY,
    )) as [FedNode, FedNode];
    expect((await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: [RECORD] })).status).toBe(200);
    await untilReplicasReady(xb);
  });

  afterAll(async () => {
    await Promise.all([xa, xb].filter(Boolean).map((n) => n.stop()));
    t.cleanup();
  });

  it('keeps answering while it runs, then serves the new epoch', async () => {
    expect((await api(xa, xa.tokens.operator, 'POST', '/v1/keys/oprf/rotate', {})).status).toBe(200);
    const file = join(t.dir, 'xa.ndjson');
    writeFileSync(file, `${JSON.stringify(RECORD)}\n`);
    cli(['import', file, '--node', xa.url, '--token', xa.tokens.operator, '--epoch', 'next']);
    // The filler, as a large re-import would leave the pending epoch.
    const db = new Database(join(xa.home, 'cairn.db'));
    try {
      const rec = db.prepare("insert into pending_records values (?, 'missing_child', 'Unit', 'desk@police.example', '2026-01-15', '2036-01-01', ?, '2026-01-15T00:00:00.000Z')");
      const tok = db.prepare("insert into pending_tokens values (?, 'phoneticPairDob', 'missing_child', ?, ?)");
      db.transaction(() => {
        for (let i = 0; i < FILLER; i++) {
          const ref = `XA-F-${i}`;
          rec.run(ref, randomBytes(32));
          for (let k = 0; k < TOKENS_EACH; k++) tok.run(ref, randomBytes(32), randomBytes(8));
        }
      })();
    } finally {
      db.close();
    }

    let done = false;
    const activation = api(xa, xa.tokens.operator, 'POST', '/v1/keys/oprf/activate', {}).finally(() => (done = true));
    // Health checks during the activation: each answered, or the loop stops at the first that is not.
    let answeredDuring = 0;
    const probes = (async () => {
      while (!done) {
        const r = await fetch(`${xa.url}/healthz`);
        await r.arrayBuffer();
        if (r.status === 200 && !done) answeredDuring++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    // A search by XB while XA switches: XA answers from the old epoch or refuses at once, never a no-hit.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const search = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: CHILD });
    const searchedDuring = !done;
    const activated = await activation;
    await probes;

    expect(activated.status, JSON.stringify(activated.json)).toBe(200);
    expect(activated.json).toMatchObject({ epoch: 2, previous: 1, records: FILLER + 1, dropped: 0 });
    expect(activated.json.tokens).toBeGreaterThan(FILLER * TOKENS_EACH);
    expect(answeredDuring, 'health checks answered while the activation ran').toBeGreaterThanOrEqual(3);
    expect(searchedDuring, 'the search returned before the activation').toBe(true);
    expect(search.status, JSON.stringify(search.json)).toBe(201);
    const during = search.json.results[0];
    // Before the unit took the write lock the match was answered; a confirmation after it is refused, and waits for the analyst.
    if (during.status === 'hit' && during.confirmation === 'confirmed') expect(during.records).toHaveLength(1);
    else if (during.status === 'hit') expect(during).toMatchObject({ confirmation: 'failed', error: { code: 'unavailable' } });
    else expect(during).toMatchObject({ status: 'error', error: { code: 'unavailable' } });

    // After the switch, XB's replica follows XA into epoch 2 and finds the child there.
    const after = await untilReplicasReady(xb);
    expect(after).toEqual([expect.objectContaining({ status: 'no_hit' })]);
    const found = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, caseReference: 'CASE-ACT-2', identifiers: CHILD });
    expect(found.json.results[0]).toMatchObject({ status: 'hit', confirmation: 'confirmed', records: [expect.objectContaining({ receipt: expect.objectContaining({ record: expect.objectContaining({ ref: 'XA-1' }) }) })] });
  });
});
