/**
 * Human labels for match-key types in the console: officers read "Name and
 * exact date of birth", not `phoneticPairDob`. Keyed by the core's type
 * union, so a new key type without a label fails the typecheck.
 */
import type { MatchKeyType } from '../../core/identity/matchkeys.js';

export const KEY_TYPE_LABELS: { readonly [K in MatchKeyType]: string } = {
  document: 'Identity document',
  phone: 'Phone number',
  email: 'E-mail address',
  handle: 'Online handle',
  fileSha256: 'File (SHA-256)',
  phoneticPairDob: 'Name and exact date of birth',
  phoneticPairDobUnordered: 'Name and date of birth (day and month either way)',
  phoneticPairYear: 'Name and year of birth',
  phoneticPairExactYear: 'Name and year of an exact date of birth',
  phoneticSingleDob: 'Single name and exact date of birth',
};

/** The label of a key type as a peer or the database names it; an unknown name is shown as it is. */
export function keyTypeLabel(type: string): string {
  return (KEY_TYPE_LABELS as Record<string, string>)[type] ?? type;
}

/** Labels of several key types, one line. */
export const keyTypeLabels = (types: readonly string[]): string => types.map(keyTypeLabel).join('; ');
