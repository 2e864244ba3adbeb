/**
 * One search across peers (search.ts, client.ts): real peers as `cairn
 * serve` processes, the searcher in-process on its own home with a
 * libsodium client that counts its calls.
 * - Each match key is hashed to the group once and blinded afresh for
 *   every peer: the hit at one peer shows the split blinding yields the
 *   peer's tokens; no blinded element is sent to two peers.
 * - A hit on several key types (a phone and a name with its date of birth)
 *   is confirmed once per key type, and the record is listed once, with the
 *   receipt of its strongest key.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import type { OprfClient } from '../src/core/federation/client.js';
import { toHex } from '../src/core/bytes.js';
import { deriveQueryKeys, parseIdentifiers } from '../src/core/identity/index.js';
import { nodeServices, openNodeContext, type NodeContext } from '../src/node/context.js';
import { createSodiumOprfClient } from '../src/node/oprf/sodium-client.js';
import { freePort, tempDir } from './helpers/cli.js';

const IDENTIFIERS = { names: [{ given: 'Amira', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2012-05-17' }, phones: [{ number: '+33612345678' }] };

describe('a search across peers', () => {
  const t = tempDir('cairn-search-peers-');
  let nodes: FedNode[];
  let ctx: NodeContext | undefined;

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    nodes = await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'A', port: ports[0]! },
        { country: 'XB', name: 'B', port: ports[1]! },
        { country: 'XC', name: 'C', port: ports[2]! },
      ],
      { missing_child_tracing: ['missing_child'] },
    );
    const [, xb] = nodes as [FedNode, FedNode, FedNode];
    const put = await api(xb, xb.tokens.analyst, 'POST', '/v1/records', {
      records: [{ ref: 'XB-1', category: 'missing_child', owningUnit: 'Unit', contactPoint: 'desk@xb.example', recordDate: '2026-01-15', retentionUntil: '2036-01-01', identifiers: IDENTIFIERS }],
    });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    await untilReplicasReady(nodes[0]!);
  });

  afterAll(async () => {
    await ctx?.close();
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    t.cleanup();
  });

  it('hashes each key once across two peers, blinds it per peer, and confirms the hit once per key type', async () => {
    const inner = await createSodiumOprfClient();
    const hashedInputs: string[] = [];
    const blinded: string[] = [];
    const counting: OprfClient = {
      ...inner,
      hashToGroup: (input) => {
        hashedInputs.push(toHex(input));
        return inner.hashToGroup!(input);
      },
      blindElement: (element) => {
        const b = inner.blindElement!(element);
        blinded.push(toHex(b.blindedElement));
        return b;
      },
    };
    ctx = await openNodeContext(nodes[0]!.home);
    const { searches } = await nodeServices(ctx, { oprfClient: counting });
    const result = await searches.run({ id: 'analyst-test', name: 'analyst', role: 'analyst' } as never, {
      identifiers: IDENTIFIERS,
      purpose: 'missing_child_tracing',
      legalBasis: 'test',
      caseReference: 'H-1',
    });
    const byCountry = Object.fromEntries(result.results.map((r) => [r.peer.country, r]));
    expect(byCountry.XB).toMatchObject({ status: 'hit', strength: 'strong', confirmation: 'confirmed' });
    // One record, one receipt (from its phone, the strongest key), though its name keys named it too.
    expect(byCountry.XB!.receipts).toHaveLength(1);
    const stored = await searches.get(result.id);
    expect(stored.results.find((r) => r.peer.country === 'XB')!.records!.map((r) => [r.receipt.record.ref, r.strength, r.keyType])).toEqual([['XB-1', 'strong', 'phone']]);
    // XB disclosed it once per key type asked for (phone; name and exact date of birth), and logged each.
    const db = new Database(join(nodes[1]!.home, 'cairn.db'), { readonly: true });
    const confirmations = db.prepare("select count(*) n from audit_entries where type = 'hit.confirm.incoming'").get() as { n: number };
    db.close();
    expect(confirmations.n).toBe(2);
    expect(byCountry.XC).toMatchObject({ status: 'no_hit' });

    const keys = deriveQueryKeys(parseIdentifiers(IDENTIFIERS));
    // Each key hashed once for both peers, and blinded once per peer into distinct elements.
    expect(hashedInputs.sort()).toEqual(keys.map((k) => toHex(k.encoded)).sort());
    expect(blinded).toHaveLength(2 * keys.length);
    expect(new Set(blinded).size).toBe(blinded.length);
  });
});
