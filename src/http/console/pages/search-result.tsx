/**
 * One search: first every record the peers confirmed, one row each (from its
 * verified receipt: peer, reference, contact point, strength, when), and the
 * possible matches still waiting for the analyst; then peer by peer: status,
 * strength and the key types that matched; for confirmed hits the signed
 * receipts decoded (reference, category, owning unit, contact point); for
 * possible hits a form to confirm them with a justification. A receipt
 * carries no identifier of the person, so none is shown.
 */
import { keyTypeLabel, keyTypeLabels } from '../key-types.js';
import type { FC } from 'hono/jsx';
import type { getSearch } from '../../../core/federation/search.js';
import { CONSOLE } from '../constants.js';
import { FEDERATION } from '../../../core/constants.js';
import { CsrfField, ErrorSummary, Layout, TextArea, When, orDash, words, type FieldErrors } from '../components.js';
import type { FormFields } from '../form.js';
import type { ReceiptView } from '../receipts.js';
import type { Session } from '../../../core/users/sessions.js';

export type StoredSearch = Awaited<ReturnType<typeof getSearch>>;
export type PeerResult = StoredSearch['results'][number];

export interface SearchResultProps {
  nodeName: string;
  session: Session;
  search: StoredSearch;
  /** The analyst who ran it (name), when known. */
  byName?: string | undefined;
  /** Decoded receipts per peer node id, in the stored order. */
  receipts: Record<string, ReceiptView[]>;
  /** Errors of a confirmation form, keyed `justification:<peer id>`. */
  errors?: FieldErrors;
  /** Values of a confirmation form being shown again. */
  values?: FormFields | undefined;
  notice?: string | undefined;
}

/** The error key of the justification field of one peer's confirm form. */
export const justificationKey = (peerId: string) => `justification:${peerId}`;

type AwaitingCount = NonNullable<PeerResult['awaiting']>;

/**
 * What possible matches wait for, in words: a token may name several records
 * at the peer and one record may hold several tokens, so only a range of
 * records is known until the analyst confirms.
 */
export function awaitingWords(a: AwaitingCount): string {
  const { atLeast, atMost } = a.records;
  const records = atLeast === atMost ? `${atLeast} record${atLeast === 1 ? '' : 's'}` : `${atLeast} to ${atMost} records`;
  return `${a.tokens} matched key${a.tokens === 1 ? '' : 's'} (${records}) await${a.tokens === 1 ? 's' : ''} your confirmation`;
}

/** Records a peer holds under a confirmed key and did not disclose, in words. */
export function undisclosedWords(r: Pick<PeerResult, 'peer' | 'undisclosed'>): string {
  const n = r.undisclosed ?? 0;
  return `${r.peer.country} holds ${n} more record${n === 1 ? '' : 's'} under the same key than one confirmation discloses (at most ${FEDERATION.maxReceipts}): ask its contact point for the rest`;
}

/** Every record the peers confirmed, one row each, and the possible matches still awaiting confirmation. */
const RecordsFound: FC<{ results: readonly PeerResult[] }> = ({ results }) => {
  const rows = results.flatMap((r) => (r.records ?? []).map((record) => ({ peer: r.peer, record })));
  const awaiting = results.filter((r) => r.awaiting !== undefined);
  if (rows.length === 0 && awaiting.length === 0) return <></>;
  return (
    <section class="records" aria-labelledby="records-found">
      <h2 id="records-found">Records found</h2>
      {rows.length === 0 ? (
        <p>No record has been confirmed yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <caption>
              {rows.length} record{rows.length === 1 ? '' : 's'} confirmed, one row each, from the peer's signed receipt verified with its pinned signing key; the strongest matching key of each
            </caption>
            <thead>
              <tr>
                <th scope="col">Peer</th>
                <th scope="col">Reference</th>
                <th scope="col">Category</th>
                <th scope="col">Owning unit</th>
                <th scope="col">Contact point</th>
                <th scope="col">Strength</th>
                <th scope="col">Matched on</th>
                <th scope="col">Receipt issued</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ peer, record }) => (
                <tr>
                  <td>
                    {peer.country} · <bdi>{peer.name}</bdi>
                  </td>
                  <td>
                    <bdi><code>{record.receipt.record.ref}</code></bdi>
                  </td>
                  <td>{words(record.receipt.record.category)}</td>
                  <td><bdi>{record.receipt.record.owningUnit}</bdi></td>
                  <td><bdi>{record.receipt.record.contactPoint}</bdi></td>
                  <td>
                    <span class={`badge ${record.strength}`}>{record.strength}</span>
                  </td>
                  <td>{keyTypeLabel(record.keyType)}</td>
                  <td>
                    <When at={record.receipt.issuedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {results
        .filter((r) => r.undisclosed)
        .map((r) => (
          <p class="notice">{undisclosedWords(r)}.</p>
        ))}
      {awaiting.length > 0 && (
        <>
          <h3>Awaiting your confirmation</h3>
          <ul class="awaiting">
            {awaiting.map((r) => (
              <li>
                {r.peer.country} · <bdi>{r.peer.name}</bdi>: {awaitingWords(r.awaiting!)}.
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
};

const STATUS_WORDS: Record<string, string> = { hit: 'Hit', no_hit: 'No hit', index_syncing: 'Index syncing', not_searched: 'Not searched', error: 'Failed', timeout: 'Timed out', pending: 'Pending' };

const Receipt: FC<{ view: ReceiptView; country: string }> = ({ view, country }) =>
  view.ok ? (
    <div class="receipt">
      <h4>Receipt <bdi>{view.receipt.receiptId}</bdi></h4>
      <dl class="kv">
        <dt>Reference</dt>
        <dd>
          <bdi><code>{view.receipt.record.ref}</code></bdi>
        </dd>
        <dt>Category</dt>
        <dd>{words(view.receipt.record.category)}</dd>
        <dt>Owning unit</dt>
        <dd><bdi>{view.receipt.record.owningUnit}</bdi></dd>
        <dt>Contact point</dt>
        <dd>
          <strong><bdi>{view.receipt.record.contactPoint}</bdi></strong>
        </dd>
        <dt>Recorded</dt>
        <dd>{view.receipt.record.recordDate}</dd>
        <dt>Matched on</dt>
        <dd>{keyTypeLabel(view.receipt.keyType)}</dd>
        <dt>Issued</dt>
        <dd>
          <When at={view.receipt.issuedAt} /> by {view.receipt.issuer.country} (<bdi>{view.receipt.issuer.nodeId}</bdi>)
        </dd>
        <dt>Signature</dt>
        <dd>{view.signature === 'verified' ? `verified with ${country}'s pinned signing key` : `not checked: the peer is no longer registered here`}</dd>
      </dl>
    </div>
  ) : (
    <div class="alert">
      <p>A receipt from {country} could not be read: {view.problem}</p>
    </div>
  );

const PeerSection: FC<{ r: PeerResult; searchId: string; session: Session; receipts: ReceiptView[]; errors: FieldErrors; values?: FormFields | undefined }> = ({ r, searchId, session, receipts, errors, values }) => (
  <section class="peer" aria-labelledby={`peer-${r.peer.nodeId}`}>
    <h3 id={`peer-${r.peer.nodeId}`}>
      {r.peer.country} · <bdi>{r.peer.name}</bdi> <span class={`badge ${r.status}`}>{STATUS_WORDS[r.status] ?? r.status}</span>{' '}
      {r.strength && <span class={`badge ${r.strength}`}>{r.strength}</span>}
    </h3>
    <dl class="kv">
      <dt>Node</dt>
      <dd>
        <bdi><code>{r.peer.nodeId}</code></bdi>
      </dd>
      {r.keyTypes && (
        <>
          <dt>Matched key types</dt>
          <dd>{keyTypeLabels(r.keyTypes)}</dd>
        </>
      )}
      {r.ms !== undefined && (
        <>
          <dt>Answered in</dt>
          <dd>{r.ms} ms</dd>
        </>
      )}
    </dl>
    {r.status === 'index_syncing' && (
      <p>
        Our copy of {r.peer.country}'s index is not ready yet, so nothing can be said about this peer: this is not a no-hit. Search again once the copy is in
        sync (the operator's peers page shows its progress).
      </p>
    )}
    {r.status === 'not_searched' && (
      <p>
        {r.peer.country} holds none of the kinds of identifier this search has (its node lists the key types it matches), so it was not asked: this is not a
        no-hit. Search it with other identifiers, such as a name with a date of birth.
      </p>
    )}
    {r.error && r.status !== 'index_syncing' && r.status !== 'not_searched' && (
      <div class="alert">
        <p>
          {r.status === 'hit' ? 'The hit could not be confirmed: ' : ''}
          <code>{r.error.code}</code> — <bdi>{r.error.detail}</bdi>
        </p>
      </div>
    )}
    {r.status === 'no_hit' && <p>No record of this peer matched.</p>}
    {receipts.map((view) => (
      <Receipt view={view} country={r.peer.country} />
    ))}
    {r.awaiting && <p class="awaiting">{awaitingWords(r.awaiting)}.</p>}
    {r.status === 'hit' && r.confirmation !== 'confirmed' && (
      <form method="post" action={`${CONSOLE.paths.searches}/${searchId}/confirm`}>
        <CsrfField session={session} />
        <input type="hidden" name="peer" value={r.peer.nodeId} />
        <p>
          {r.confirmation === 'failed'
            ? 'Ask again for the reference of this hit.'
            : `This is a ${r.strength ?? 'possible'} hit: a looser coincidence worth a human look. ${r.peer.country} discloses the record's reference and contact point only if you confirm, and records your justification.`}
        </p>
        <TextArea
          name="justification"
          fieldKey={justificationKey(r.peer.nodeId)}
          label="Justification"
          required
          wide
          rows={3}
          maxlength={1000}
          hint="Why this coincidence is worth following up (shown to the peer's owning unit and recorded in both audit logs)"
          value={values?.get('peer') === r.peer.nodeId ? values.get('justification') : ''}
          errors={errors}
        />
        <p>
          <button type="submit">Confirm and ask {r.peer.country} for the reference</button>
        </p>
      </form>
    )}
  </section>
);

export const SearchResultPage: FC<SearchResultProps> = ({ nodeName, session, search, byName, receipts, errors = {}, values, notice }) => {
  const hits = search.results.filter((r) => r.status === 'hit').length;
  const failed = search.results.filter((r) => r.status === 'error' || r.status === 'timeout').length;
  const syncing = search.results.filter((r) => r.status === 'index_syncing').length;
  const notSearched = search.results.filter((r) => r.status === 'not_searched').length;
  return (
    <Layout title={`Search ${search.caseReference}`} session={session} current={CONSOLE.paths.search} nodeName={nodeName}>
      <h1>Search results</h1>
      {notice && (
        <div class="notice" role="status">
          <p>{notice}</p>
        </div>
      )}
      <ErrorSummary errors={errors} labels={Object.fromEntries(search.results.map((r) => [justificationKey(r.peer.nodeId), `Justification for ${r.peer.country}`]))} />
      <dl class="kv box">
        <dt>Search</dt>
        <dd>
          <code>{search.id}</code>
        </dd>
        <dt>When</dt>
        <dd>
          <When at={search.createdAt} />
        </dd>
        <dt>By</dt>
        <dd>{orDash(byName ?? search.user)}</dd>
        <dt>Purpose</dt>
        <dd>{words(search.purpose)}</dd>
        <dt>Legal basis</dt>
        <dd>{search.legalBasis}</dd>
        <dt>Case reference</dt>
        <dd>{search.caseReference}</dd>
        <dt>Key types searched</dt>
        <dd>{keyTypeLabels(search.keyTypes)}</dd>
      </dl>
      <p role="status">
        {search.results.length - notSearched} peer{search.results.length - notSearched === 1 ? '' : 's'} asked: {hits} with a hit, {search.results.length - hits - failed - syncing - notSearched} without
        {syncing ? `, ${syncing} with an index copy still syncing (not a no-hit)` : ''}
        {notSearched ? `, and ${notSearched} not asked: ${notSearched === 1 ? 'it holds' : 'they hold'} none of this search's key types (not a no-hit)` : ''}
        {failed ? `, ${failed} failed (a failure is not a no-hit)` : ''}.
      </p>
      <RecordsFound results={search.results} />
      {search.results.map((r) => (
        <PeerSection r={r} searchId={search.id} session={session} receipts={receipts[r.peer.nodeId] ?? []} errors={errors} values={values} />
      ))}
      <p>
        <a href={CONSOLE.paths.search}>New search</a>
      </p>
    </Layout>
  );
};
