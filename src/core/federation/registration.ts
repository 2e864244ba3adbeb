/**
 * Search on registration: when a missing child or an unaccompanied minor is
 * registered (or its record changes), search the peers at once, so a child
 * registered in one country is found against records elsewhere. The peer
 * that holds a match learns of it through the confirmed hit (its owning unit
 * sees it under incoming hits); our owning unit sees the search under the
 * record's reference. Off by default (federation.searchOnRegistration):
 * a first bulk load should not fire a search per record.
 */
import type { RecordCategory } from '../../../schemas/records.js';
import { isCairnError } from '../errors.js';
import type { ParsedRecord } from '../records/parse.js';
import type { User } from '../users/users.js';
import { listPeers } from './peers.js';
import { runSearch, type SearchDeps } from './search.js';

/** Categories that trigger a search when registered. */
export const SEARCH_ON_REGISTRATION: readonly RecordCategory[] = ['missing_child', 'unaccompanied_minor'];

const SYSTEM_USER: User = { id: 'system:registration', name: 'search on registration', role: 'analyst', createdAt: '', revokedAt: null };

/** Search the peers for each newly registered or changed qualifying record. */
export async function searchOnRegistration(deps: SearchDeps, records: readonly ParsedRecord[], changedRefs: readonly string[]): Promise<{ ref: string; searchId: string }[]> {
  const changed = new Set(changedRefs);
  const due = records.filter((r) => changed.has(r.ref) && SEARCH_ON_REGISTRATION.includes(r.category));
  if (due.length === 0) return [];
  if (!(await listPeers(deps.db)).some((p) => p.status === 'active')) return [];
  const out: { ref: string; searchId: string }[] = [];
  for (const r of due) {
    try {
      const s = await runSearch(deps, SYSTEM_USER, {
        identifiers: r.identifiers,
        purpose: 'missing_child_tracing',
        legalBasis: 'search on registration of a missing or unaccompanied child (node policy federation.searchOnRegistration)',
        caseReference: r.ref,
        path: 'registration',
      });
      out.push({ ref: r.ref, searchId: s.id });
    } catch (e) {
      // A record whose identifiers give no match key, or a transient failure: logged, never fatal to the import.
      deps.logger.warn({ ref: r.ref, code: isCairnError(e) ? e.code : 'internal' }, 'search on registration failed');
    }
  }
  return out;
}
