/**
 * What an operator's monitoring asks of a node beyond request counts: how
 * old the newest signed checkpoint is and how many entries no checkpoint
 * covers yet, the witness alerts raised against each peer, and whether each
 * peer answered the last time we asked it. Read from the database at scrape
 * time, so searches from every process (API, console, CLI, registration)
 * count, and a restart loses nothing.
 */
import type { Db, PeersTable } from './db/schema.js';

/** Search outcomes that mean the peer did not answer at all. */
const UNREACHED = new Set(['timeout']);
/** Error codes of an outcome that mean we could not reach the peer (as opposed to a refusal it signed). */
const UNREACHED_CODES = new Set(['peer_unreachable', 'peer_timeout']);

export interface PeerHealth {
  country: string;
  status: PeersTable['status'];
  /** Whether the peer answered our newest search of it; undefined before the first. */
  answered?: boolean;
  /** Seconds since that search. */
  lastContactAgeSeconds?: number;
  /** Witness alerts we raised against the peer (forks, rewritten history, bad signatures). */
  witnessAlerts: number;
  /** Our replicas of its indexes by category: 1 when ready to search, else 0. */
  replicasReady: Record<string, number>;
}

export interface NodeHealth {
  /** Entries in our audit log. */
  auditSize: number;
  /** Seconds since our newest signed checkpoint; undefined before the first. */
  checkpointAgeSeconds?: number;
  /** Entries after the largest size a checkpoint or cosignature vouches for. */
  uncoveredEntries: number;
  peers: PeerHealth[];
}

/** A snapshot of the node's health, for /metrics. */
export async function nodeHealth(db: Db, now: Date): Promise<NodeHealth> {
  const tree = await db.selectFrom('audit_tree').select('size').where('id', '=', 1).executeTakeFirst();
  const auditSize = tree?.size ?? 0;
  const newest = await db.selectFrom('audit_checkpoints').select(['size', 'at']).orderBy('size', 'desc').limit(1).executeTakeFirst();
  const cosigned = await db.selectFrom('audit_cosignatures').select((eb) => eb.fn.max('size').as('size')).executeTakeFirst();
  const vouched = Math.max(newest?.size ?? 0, Number(cosigned?.size ?? 0));
  const seconds = (iso: string) => Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  const peers = await db.selectFrom('peers').select(['id', 'country', 'status']).orderBy('country').execute();
  const alerts = await db.selectFrom('witness_alerts').select(['peer_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('peer_id').execute();
  const alertsOf = new Map(alerts.map((a) => [a.peer_id, Number(a.n)]));
  // The newest search result per peer (a correlated max, one row per peer).
  const last = await db
    .selectFrom('search_results as r')
    .select(['r.peer_id', 'r.status', 'r.error', 'r.updated_at'])
    .where('r.updated_at', '=', (eb) => eb.selectFrom('search_results as s').select((e) => e.fn.max('s.updated_at').as('m')).whereRef('s.peer_id', '=', 'r.peer_id'))
    .execute();
  const lastOf = new Map(last.map((r) => [r.peer_id, r]));
  const replicas = await db.selectFrom('replicas').select(['peer_id', 'category', 'status']).execute();
  return {
    auditSize,
    ...(newest ? { checkpointAgeSeconds: seconds(newest.at) } : {}),
    uncoveredEntries: Math.max(0, auditSize - vouched),
    peers: peers.map((p) => {
      const r = lastOf.get(p.id);
      const replicasReady: Record<string, number> = {};
      for (const x of replicas) if (x.peer_id === p.id) replicasReady[x.category] = x.status === 'ready' ? 1 : 0;
      return {
        country: p.country,
        status: p.status,
        ...(r ? { answered: !unreached(r.status, r.error), lastContactAgeSeconds: seconds(r.updated_at) } : {}),
        witnessAlerts: alertsOf.get(p.id) ?? 0,
        replicasReady,
      };
    }),
  };
}

function unreached(status: string, error: string | null): boolean {
  if (UNREACHED.has(status)) return true;
  if (status !== 'error' || !error) return false;
  try {
    return UNREACHED_CODES.has((JSON.parse(error) as { code?: string }).code ?? '');
  } catch {
    return false;
  }
}
