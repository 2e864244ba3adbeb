/**
 * The operator's page: node status, key fingerprints, peers and users,
 * read straight from the core (listPeers/describePeer, listUsers,
 * recordStats) — the same data as the /v1 operator routes.
 */
import type { Hono } from 'hono';
import { sql } from 'kysely';
import { describePeer, listPeers } from '../../core/federation/peers.js';
import { recordStats, utcDate } from '../../core/records/manage.js';
import { fingerprintOf } from '../../core/signing.js';
import { listUsers } from '../../core/users/users.js';
import { CONSOLE } from './constants.js';
import { requireSession, type ConsoleDeps, type ConsoleEnv } from './guard.js';
import { OperatorPage, type OperatorData } from './pages/operator.js';

/** Register the operator's routes. */
export function operatorRoutes(r: Hono<ConsoleEnv>, cd: ConsoleDeps): void {
  const operator = requireSession(cd, 'operator');

  r.get(CONSOLE.paths.operator, operator, async (c) => {
    const { deps } = cd;
    const now = deps.clock.now();
    let database: 'ok' | 'failing' = 'ok';
    try {
      await sql`select 1`.execute(deps.db);
    } catch (e) {
      database = 'failing';
      c.get('log').error({ err: String(e) }, 'console: database check failing');
    }
    const usage = await deps.db.selectFrom('peer_usage').selectAll().where('day', '=', utcDate(now)).execute();
    const entries = await deps.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const cp = await deps.db.selectFrom('audit_checkpoints').select(['size', 'at']).orderBy('size', 'desc').limit(1).executeTakeFirst();
    const sessions = await deps.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('expires_at', '>', now.toISOString()).executeTakeFirstOrThrow();
    const data: OperatorData = {
      node: {
        id: deps.config.node.id,
        country: deps.config.node.country,
        name: deps.config.node.name,
        url: deps.config.node.url,
        version: deps.version,
        startedAt: cd.startedAt.toISOString(),
        uptimeSeconds: Math.round((now.getTime() - cd.startedAt.getTime()) / 1000),
        database,
      },
      keys: {
        signingKeyId: deps.signer.keyId,
        signingFingerprint: fingerprintOf(deps.signer.publicKey),
        oprfFingerprint: fingerprintOf(deps.oprfPublicKey),
        bucketBits: deps.config.matching.bucketBits,
        matchKeyTypes: deps.matchKeyTypes,
      },
      records: await recordStats(deps.db),
      audit: { entries: Number(entries.n), latestCheckpoint: cp },
      sessions: Number(sessions.n),
      peers: await (async () => {
        const replicas = await deps.index.states();
        return (await listPeers(deps.db)).map((p) => {
          const u = usage.find((x) => x.peer_id === p.id);
          return { ...describePeer(p), usageToday: u && { elements: u.elements, requests: u.requests }, replicas: replicas.filter((r) => r.peer === p.id) };
        });
      })(),
      users: await listUsers(deps.db),
    };
    return c.html(<OperatorPage nodeName={cd.nodeName} session={c.get('session')} data={data} />);
  });
}
