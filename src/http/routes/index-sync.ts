/**
 * Peer-facing token index routes (protocol/37-token-index.md), under
 * /federation/v2 in the cairn/2 media type: signed heads,
 * changes since a version, and snapshot pages, each only for the categories
 * our policy lets the asking peer match for some purpose.
 */
import type { Hono } from 'hono';
import { indexChangesRequestSchema, indexHeadsRequestSchema, indexSnapshotRequestSchema } from '../../../schemas/index.js';
import type { RecordCategory } from '../../../schemas/records.js';
import { toBase64Url } from '../../core/bytes.js';
import { FEDERATION } from '../../core/constants.js';
import { CairnError } from '../../core/errors.js';
import { fetchableCategories } from '../../core/federation/index/service.js';
import { INDEX_PATHS } from '../../core/federation/index/sync.js';
import { changesToWire } from '../../core/federation/index/types.js';
import type { Peer } from '../../core/federation/peers.js';
import { validate } from '../../core/decode/json-body.js';
import type { AppContext, Env } from '../context.js';
import { requireMediaType, signedFederationRoute } from './signed.js';

/** Refuse a category the peer may not fetch: deny by default, as for matching. */
function requireFetchable(peer: Peer, category: RecordCategory): void {
  if (!fetchableCategories(peer).includes(category)) {
    throw new CairnError('purpose_denied', `this node's policy does not let ${peer.country} (${peer.id}) match ${category} for any purpose`, { location: { field: 'category' } });
  }
}

/** Mount the index routes on the federation router. */
export function indexSyncRoutes(r: Hono<Env>, ctx: AppContext): void {
  const { index } = ctx.services;
  // Under the cairn/2 prefix, so in its media type like match and hits.
  const signed = (handle: Parameters<typeof signedFederationRoute>[1]) =>
    signedFederationRoute(
      ctx,
      (peer, body, c) => {
        requireMediaType(c, FEDERATION.mediaType);
        return handle(peer, body, c);
      },
      FEDERATION.mediaType,
    );

  r.post(
    INDEX_PATHS.heads,
    signed(async (peer, body) => {
      // The body is `{}` (section 37): objects are strict, so anything else is refused, as every node must.
      validate(indexHeadsRequestSchema, body);
      const heads = [];
      for (const c of fetchableCategories(peer)) heads.push((await index.owner.head(c)).envelope);
      return { heads };
    }),
  );

  r.post(
    INDEX_PATHS.changes,
    signed(async (peer, body) => {
      const req = validate(indexChangesRequestSchema, body);
      requireFetchable(peer, req.category);
      return changesToWire(await index.owner.changesSince(req.category, req.sinceVersion, req.max));
    }),
  );

  r.post(
    INDEX_PATHS.snapshot,
    signed(async (peer, body) => {
      const req = validate(indexSnapshotRequestSchema, body);
      requireFetchable(peer, req.category);
      const page = await index.owner.snapshotPage(req.category, req.version, req.fromShard, req.toShard);
      return { category: req.category, version: req.version, fromShard: req.fromShard, toShard: page.toShard, count: page.count, fingerprints: toBase64Url(page.packed) };
    }),
  );
}
