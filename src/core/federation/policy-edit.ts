/**
 * Editing a peer's policy one grant at a time, as operators do: "also allow
 * this purpose for these categories", "no longer allow that". An edit never
 * replaces the whole policy by accident; a typo names the valid values
 * instead of silently dropping a category (issue 15).
 */
import { PURPOSES, type PeerPolicy, type Purpose } from '../../../schemas/federation.js';
import { RECORD_CATEGORIES, type RecordCategory } from '../../../schemas/records.js';
import { CairnError } from '../errors.js';

/** One `--allow` or `--deny` grant: a purpose and, for allow always, some categories. */
export interface PolicyGrant {
  purpose: Purpose;
  /** Undefined on a deny: the whole purpose. */
  categories?: RecordCategory[];
}

export interface PolicyEdit {
  allow: PolicyGrant[];
  deny: PolicyGrant[];
  /** Start from deny-all instead of the current grants. */
  replace?: boolean;
}

const isPurpose = (s: string): s is Purpose => (PURPOSES as readonly string[]).includes(s);
const isCategory = (s: string): s is RecordCategory => (RECORD_CATEGORIES as readonly string[]).includes(s);

/**
 * Parse `PURPOSE=CATEGORY[,CATEGORY…]` (and, for a deny, a bare `PURPOSE`).
 * Refuses unknown names with the list of valid ones.
 */
export function parseGrant(text: string, kind: 'allow' | 'deny'): PolicyGrant {
  const field = kind;
  const eq = text.indexOf('=');
  const purpose = (eq === -1 ? text : text.slice(0, eq)).trim();
  if (!isPurpose(purpose)) {
    throw new CairnError('invalid_request', `--${kind} ${JSON.stringify(text)}: unknown purpose ${JSON.stringify(purpose)}; the purposes are: ${PURPOSES.join(', ')}`, { location: { field } });
  }
  if (eq === -1) {
    if (kind === 'allow') {
      throw new CairnError('invalid_request', `--allow ${JSON.stringify(text)}: name the categories it may match, as ${purpose}=CATEGORY[,CATEGORY…]; the categories are: ${RECORD_CATEGORIES.join(', ')}`, { location: { field } });
    }
    return { purpose };
  }
  const names = text
    .slice(eq + 1)
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (names.length === 0) {
    throw new CairnError('invalid_request', `--${kind} ${JSON.stringify(text)}: no category after "="; the categories are: ${RECORD_CATEGORIES.join(', ')}`, { location: { field } });
  }
  const unknown = names.filter((c) => !isCategory(c));
  if (unknown.length) {
    throw new CairnError(
      'invalid_request',
      `--${kind} ${JSON.stringify(text)}: unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.map((c) => JSON.stringify(c)).join(', ')}; the categories are: ${RECORD_CATEGORIES.join(', ')}`,
      { location: { field } },
    );
  }
  return { purpose, categories: [...new Set(names as RecordCategory[])] };
}

/**
 * The purposes after an edit: the current grants (or none, with `replace`),
 * plus every allow, minus every deny. Categories keep the schema's order.
 */
export function applyPolicyEdit(purposes: PeerPolicy['purposes'], edit: PolicyEdit): PeerPolicy['purposes'] {
  const out = new Map<Purpose, Set<RecordCategory>>();
  if (!edit.replace) for (const [p, cats] of Object.entries(purposes) as [Purpose, RecordCategory[] | undefined][]) out.set(p, new Set(cats ?? []));
  for (const g of edit.allow) {
    const set = out.get(g.purpose) ?? new Set<RecordCategory>();
    for (const c of g.categories ?? []) set.add(c);
    out.set(g.purpose, set);
  }
  for (const g of edit.deny) {
    if (g.categories === undefined) out.delete(g.purpose);
    else {
      const set = out.get(g.purpose);
      if (!set) continue;
      for (const c of g.categories) set.delete(c);
      if (set.size === 0) out.delete(g.purpose);
    }
  }
  const result: PeerPolicy['purposes'] = {};
  for (const p of PURPOSES) {
    const set = out.get(p);
    if (set?.size) result[p] = RECORD_CATEGORIES.filter((c) => set.has(c));
  }
  return result;
}

/** What an edit changed, one line per purpose: `+purpose: cat` / `-purpose: cat`. */
export function describePolicyChange(before: PeerPolicy['purposes'], after: PeerPolicy['purposes']): string[] {
  const lines: string[] = [];
  for (const p of PURPOSES) {
    const b = new Set(before[p] ?? []);
    const a = new Set(after[p] ?? []);
    const added = RECORD_CATEGORIES.filter((c) => a.has(c) && !b.has(c));
    const removed = RECORD_CATEGORIES.filter((c) => b.has(c) && !a.has(c));
    if (added.length) lines.push(`+ ${p}: ${added.join(', ')}`);
    if (removed.length) lines.push(`- ${p}: ${removed.join(', ')}`);
  }
  return lines;
}
