/**
 * Matching quality as a regression test: a small seeded evaluation must meet
 * the targets of protocol/10-identifiers.md — at probable strength or better,
 * recall ≥ 0.95 for same-person pairs whose dates of birth agree and
 * precision ≥ 0.99; strong keys never match two different persons.
 */
import { describe, expect, it } from 'vitest';
import { evaluateMatching } from '../scripts/eval-matching.js';

describe('matching evaluation (seeded, 1200 persons)', () => {
  const f = evaluateMatching({ seed: 20260601, persons: 1200 });

  it('meets the probable-strength targets', () => {
    expect(f.sameDobPairs).toBeGreaterThan(1000);
    expect(f.byStrength.probable.recallDobAgrees).toBeGreaterThanOrEqual(0.95);
    expect(f.byStrength.probable.precision).toBeGreaterThanOrEqual(0.99);
  });

  it('has no false strong match', () => {
    expect(f.byStrength.strong.falsePositives).toBe(0);
    expect(f.byStrength.strong.truePositives).toBeGreaterThan(0);
  });

  it('keeps transliteration variants matching at probable strength', () => {
    for (const kind of ['translit-cyrillic', 'translit-arabic', 'translit-geez', 'diacritics-latin', 'order-swap', 'middle-names'] as const) {
      expect(f.byKind[kind].recall.probable, kind).toBeGreaterThanOrEqual(0.9);
    }
    expect(f.byKind['dob-day-month-swap'].recall.possible).toBeGreaterThanOrEqual(0.95);
    expect(f.byKind['dob-jan1-estimate'].recall.possible).toBeGreaterThanOrEqual(0.95);
  });
});
