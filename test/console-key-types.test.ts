/**
 * The console names match-key types in words: every type the core derives
 * has its own label, and a name the node does not know is shown as sent.
 */
import { describe, expect, it } from 'vitest';
import { KEY_TYPE_LABELS, keyTypeLabel, keyTypeLabels } from '../src/http/console/key-types.js';
import { MATCH_KEY_TYPE_NAMES } from '../src/core/identity/index.js';

describe('console key-type labels', () => {
  it('labels every key type, each differently', () => {
    expect(Object.keys(KEY_TYPE_LABELS).sort()).toEqual([...MATCH_KEY_TYPE_NAMES].sort());
    const labels = MATCH_KEY_TYPE_NAMES.map(keyTypeLabel);
    expect(new Set(labels).size).toBe(labels.length);
    for (const [t, l] of MATCH_KEY_TYPE_NAMES.map((t, i) => [t, labels[i]!])) expect(l, t).not.toBe(t);
  });

  it('shows an unknown type as it came, and joins several', () => {
    expect(keyTypeLabel('irisCode')).toBe('irisCode');
    expect(keyTypeLabels(['phoneticPairDob', 'document'])).toBe('Name and exact date of birth; Identity document');
  });
});
