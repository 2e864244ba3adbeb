/**
 * Hits on our own records: every time a peer confirmed a match and we
 * disclosed a record's reference, newest first. What owning units follow up.
 */
import type { FC } from 'hono/jsx';
import type { HitsIncomingTable } from '../../../core/db/schema.js';
import { CONSOLE } from '../constants.js';
import { keyTypeLabel } from '../key-types.js';
import { Layout, When, orDash, words } from '../components.js';
import type { Session } from '../../../core/users/sessions.js';

export interface HitsPageProps {
  nodeName: string;
  session: Session;
  hits: readonly HitsIncomingTable[];
  limit: number;
  /** Peer node id → its name, for the peers still registered. */
  peerNames: Record<string, string>;
}

export const HitsPage: FC<HitsPageProps> = ({ nodeName, session, hits, limit, peerNames }) => (
  <Layout title="Hits on our records" session={session} current={CONSOLE.paths.hits} nodeName={nodeName}>
    <h1>Hits on our records</h1>
    <p>
      Each row is a record of ours whose reference and contact point a peer received after a confirmed match, with the peer's case reference and purpose. The owning
      unit should expect contact.
    </p>
    {hits.length === 0 ? (
      <p>No peer has had a confirmed hit on our records yet.</p>
    ) : (
      <div class="table-wrap">
      <table>
        <caption>
          {hits.length === limit ? `The latest ${limit} hits` : `${hits.length} hit${hits.length === 1 ? '' : 's'}`}, newest first
        </caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Peer</th>
            <th scope="col">Our record</th>
            <th scope="col">Category</th>
            <th scope="col">Owning unit</th>
            <th scope="col">Matched on</th>
            <th scope="col">Their purpose</th>
            <th scope="col">Their case reference</th>
            <th scope="col">Justification</th>
          </tr>
        </thead>
        <tbody>
          {hits.map((h) => (
            <tr>
              <td>
                <When at={h.at} />
              </td>
              <td title={h.peer_id}>
                {h.peer_country}
                {peerNames[h.peer_id] ? ` · ${peerNames[h.peer_id]}` : ''}
              </td>
              <td>
                <code class="nowrap">{h.record_ref}</code>
              </td>
              <td>{words(h.category)}</td>
              <td>{h.owning_unit}</td>
              <td>{keyTypeLabel(h.key_type)}</td>
              <td>{words(h.purpose)}</td>
              <td class="free">{h.case_reference}</td>
              <td class="free">{orDash(h.justification)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
    )}
  </Layout>
);
