/**
 * The operator's page: node status, key fingerprints, peers and users,
 * read straight from the core (listPeers/describePeer, listUsers,
 * recordStats) — the same data as the /v1 operator routes.
 */
import type { Hono } from 'hono';
import { describePeer } from '../../core/federation/peers.js';
import { utcDate } from '../../core/records/manage.js';
import { fingerprintOf } from '../../core/signing.js';
import { storageState } from '../../core/services-node.js';
import { CONSOLE } from './constants.js';
import { requireSession, type ConsoleDeps, type ConsoleEnv } from './guard.js';
import { OperatorPage, type OperatorData } from './pages/operator.js';

/** Register the operator's routes. */
export function operatorRoutes(r: Hono<ConsoleEnv>, cd: ConsoleDeps): void {
  const operator = requireSession(cd, 'operator');

  r.get(CONSOLE.paths.operator, operator, async (c) => {
    const { services, clock, version } = cd.app;
    const { config, node } = services;
    const now = clock.now();
    const database = (await node.databaseOk((e) => c.get('log').error({ err: String(e) }, 'console: database check failing'))) ? 'ok' : 'failing';
    const storage = await node.storage().catch((e: unknown) => {
      c.get('log').warn({ err: String(e) }, 'console: could not read the free space under the database');
      return undefined;
    });
    const usage = await services.peers.usageOn(utcDate(now));
    // The active OPRF key, not the one the node started with: an activation changes it while the node runs.
    const lifecycle = await services.keys.status();
    const oprf = lifecycle.find((k) => k.key === 'oprf')!;
    const data: OperatorData = {
      node: {
        id: config.node.id,
        country: config.node.country,
        name: config.node.name,
        url: config.node.url,
        version,
        startedAt: cd.startedAt.toISOString(),
        uptimeSeconds: Math.round((now.getTime() - cd.startedAt.getTime()) / 1000),
        database,
        storage: storage && { ...storage, state: storageState(storage) },
      },
      keys: {
        signingKeyId: node.signer.keyId,
        signingFingerprint: fingerprintOf(node.signer.publicKey),
        oprfFingerprint: oprf.fingerprint,
        matchKeyTypes: node.matchKeyTypes,
        lifecycle,
      },
      records: await services.records.stats(),
      audit: { entries: await services.audit.size(), latestCheckpoint: await services.audit.latestStored() },
      sessions: await services.sessions.activeCount(),
      peers: await (async () => {
        const replicas = await services.index.states();
        return (await services.peers.list()).map((p) => {
          const u = usage.find((x) => x.peer_id === p.id);
          return { ...describePeer(p), usageToday: u && { elements: u.elements, requests: u.requests }, replicas: replicas.filter((r) => r.peer === p.id) };
        });
      })(),
      users: await services.users.list(),
    };
    return c.html(<OperatorPage nodeName={cd.nodeName} session={c.get('session')} data={data} />);
  });
}
