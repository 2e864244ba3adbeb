/**
 * The operator's page: node status, this node's key fingerprints (to read
 * out to peers' operators), peers with their pinned fingerprints and
 * policy, and the local users with their roles.
 */
import type { FC } from 'hono/jsx';
import type { describePeer } from '../../../core/federation/peers.js';
import type { ReplicaState } from '../../../../schemas/index.js';
import { INDEX } from '../../../core/constants.js';
import type { User } from '../../../core/users/users.js';
import { CONSOLE } from '../constants.js';
import { Layout, When, words } from '../components.js';
import type { Session } from '../../../core/users/sessions.js';
import type { KeyStatus } from '../../../core/services-keys.js';
import type { StorageUsage } from '../../../core/ports.js';

export interface OperatorData {
  node: { id: string; country: string; name: string; url: string; version: string; startedAt: string; uptimeSeconds: number; database: 'ok' | 'failing'; storage?: (StorageUsage & { state: 'ok' | 'low' | 'full' }) | undefined };
  keys: { signingKeyId: string; signingFingerprint: string; oprfFingerprint: string; matchKeyTypes: readonly string[]; lifecycle: readonly KeyStatus[] };
  records: { records: number; tokens: number; byCategory: Record<string, number> };
  audit: { entries: number; latestCheckpoint?: { size: number; at: string } | undefined };
  sessions: number;
  peers: (ReturnType<typeof describePeer> & { usageToday?: { elements: number; requests: number } | undefined; replicas: ReplicaState[] })[];
  users: readonly User[];
}

/** Bytes as an operator reads them off `df -h`. */
export const sizeOf = (bytes: number): string => {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
};

const uptime = (s: number): string => {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
};

export const OperatorPage: FC<{ nodeName: string; session: Session; data: OperatorData }> = ({ nodeName, session, data }) => {
  const { node, keys, records, audit, peers, users } = data;
  return (
    <Layout title="Node, peers and users" session={session} current={CONSOLE.paths.operator} nodeName={nodeName}>
      <h1>Node, peers and users</h1>
      <div class={node.database === 'ok' ? 'ok' : 'alert'} role="status">
        <p>
          <strong>{node.database === 'ok' ? 'The node is up.' : 'The database is failing.'}</strong> Version {node.version}, up for {uptime(node.uptimeSeconds)} (since{' '}
          <When at={node.startedAt} />
          ).
        </p>
      </div>
      {node.storage?.state === 'full' && (
        <div class="alert" role="alert">
          <p>
            <strong>The disk under the database is full</strong> ({sizeOf(node.storage.freeBytes)} free). The node refuses peers' match requests, searches and imports until there is room; nothing stored is lost. Free space on that disk: the node takes requests again by itself.
          </p>
        </div>
      )}
      {node.storage?.state === 'low' && (
        <div class="warn" role="status">
          <p>
            <strong>The disk under the database is getting full</strong> ({sizeOf(node.storage.freeBytes)} free). Make room before the node has to refuse writes.
          </p>
        </div>
      )}

      <h2>This node</h2>
      <dl class="kv box">
        <dt>Node id</dt>
        <dd>
          <code>{node.id}</code>
        </dd>
        <dt>Country</dt>
        <dd>{node.country}</dd>
        <dt>Name</dt>
        <dd>{node.name}</dd>
        <dt>Base URL</dt>
        <dd>
          <code>{node.url}</code>
        </dd>
        <dt>Records held</dt>
        <dd>
          {records.records} ({records.tokens} tokens)
          {Object.keys(records.byCategory).length > 0 &&
            `: ${Object.entries(records.byCategory)
              .map(([k, n]) => `${words(k)} ${n}`)
              .join(', ')}`}
        </dd>
        <dt>Audit log</dt>
        <dd>
          {audit.entries} entries
          {audit.latestCheckpoint && (
            <>
              ; latest signed checkpoint at size {audit.latestCheckpoint.size} (<When at={audit.latestCheckpoint.at} />)
            </>
          )}
        </dd>
        {node.storage && (
          <>
            <dt>Storage</dt>
            <dd>
              {sizeOf(node.storage.freeBytes)} free of {sizeOf(node.storage.sizeBytes)} on the disk under the database; the database takes {sizeOf(node.storage.databaseBytes)}
            </dd>
          </>
        )}
        <dt>Console sessions open</dt>
        <dd>{data.sessions}</dd>
      </dl>

      <h2>Key fingerprints</h2>
      <p>
        Read the signing key fingerprint to each peer's operator out of band; they pin it when they add this node (<code>cairn peers add URL --fingerprint …</code>).
      </p>
      <dl class="kv box">
        <dt>Signing key (Ed25519) fingerprint</dt>
        <dd>
          <code>{keys.signingFingerprint}</code>
        </dd>
        <dt>Signing key id</dt>
        <dd>
          <code>{keys.signingKeyId}</code>
        </dd>
        <dt>OPRF key (ristretto255) fingerprint</dt>
        <dd>
          <code>{keys.oprfFingerprint}</code>
        </dd>
        {keys.lifecycle.map((k) => (
          <>
            <dt>{k.key === 'signing' ? 'Signing key' : 'OPRF key'} rotation</dt>
            <dd class={k.due ? 'alert' : undefined}>
              {k.due ? <strong>Rotation due</strong> : 'Rotation due'} {k.due ? 'since' : 'on'} {k.dueAt.slice(0, 10)} (every {k.rotateEveryDays} days; key age {Math.floor(k.ageSeconds / 86_400)} days):{' '}
              <code>cairn keys rotate {k.key}</code>
              {(k.retiring ?? []).map((r) => (
                <>
                  <br />
                  overlap: the previous key <code>{r.fingerprint}</code> cross-signs the descriptor until <When at={r.overlapUntil} />
                </>
              ))}
            </dd>
          </>
        ))}
        <dt>Match key types</dt>
        <dd>{keys.matchKeyTypes.join(', ')}</dd>
      </dl>

      <h2>Peers</h2>
      {peers.length === 0 ? (
        <p>
          No peers yet. Add one with <code>cairn peers add URL --fingerprint …</code> after comparing its fingerprint with its operator.
        </p>
      ) : (
        <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Peer</th>
              <th scope="col">Status</th>
              <th scope="col">Pinned fingerprints</th>
              <th scope="col">Policy: what each purpose may match here</th>
              <th scope="col" class="num">Rate / min</th>
              <th scope="col" class="num">Daily budget</th>
              <th scope="col" class="num">Used today</th>
            </tr>
          </thead>
          <tbody>
            {peers.map((p) => {
              const purposes = Object.entries(p.policy.purposes);
              return (
                <tr>
                  <td>
                    <strong>
                      {p.country} · <bdi>{p.name}</bdi>
                    </strong>
                    <br />
                    <bdi><code>{p.id}</code></bdi>
                    <br />
                    <bdi><code>{p.baseUrl}</code></bdi>
                  </td>
                  <td>
                    {p.status === 'repin_required' ? (
                      <strong class="alert" title="its signing key changed without a cross-signature">
                        repin required: check its new fingerprint with its operator, then <code>cairn peers update {p.country} --fingerprint …</code>
                      </strong>
                    ) : (
                      p.status
                    )}
                    {p.revokedAt && (
                      <>
                        {' '}
                        (<When at={p.revokedAt} />)
                      </>
                    )}
                    <br />
                    <span class="muted">
                      added <When at={p.addedAt} />
                    </span>
                    {p.replicas.length === 0 ? (
                      <>
                        <br />
                        <span class="muted">no index replica yet</span>
                      </>
                    ) : (
                      p.replicas.map((r) => (
                        <>
                          <br />
                          <span class="replica" title={r.error ?? undefined}>
                            replica of {words(r.category)}: {r.status}
                            {r.status === 'syncing' ? ` ${Math.floor((r.shardsDone * 100) / INDEX.shardCount)}%` : ''}, {r.count} fingerprints, version {r.version}
                          </span>
                        </>
                      ))
                    )}
                  </td>
                  <td>
                    signing <code>{p.signingKeyFingerprint}</code>
                    <br />
                    OPRF <code>{p.oprfKeyFingerprint}</code>
                  </td>
                  <td>
                    {purposes.length === 0 ? (
                      <em>denies everything (default)</em>
                    ) : (
                      <ul>
                        {purposes.map(([purpose, cats]) => (
                          <li>
                            {words(purpose)}: {(cats ?? []).map(words).join(', ') || 'nothing'}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td class="num">{p.policy.ratePerMinute}</td>
                  <td class="num">{p.policy.dailyElementBudget}</td>
                  <td class="num">
                    {p.usageToday ? `${p.usageToday.elements} elements in ${p.usageToday.requests} requests` : '0'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      )}

      <h2>Users</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">User id</th>
            <th scope="col">Created</th>
            <th scope="col">Token</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr>
              <td>{u.name}</td>
              <td>{u.role}</td>
              <td>
                <code>{u.id}</code>
              </td>
              <td>
                <When at={u.createdAt} />
              </td>
              <td>{u.revokedAt ? <>revoked <When at={u.revokedAt} /></> : 'active'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">
        Users are added and revoked with <code>cairn users add</code> / <code>cairn users revoke</code> or the <code>/v1/users</code> API; a token is shown only once, when it is
        created.
      </p>
    </Layout>
  );
};
