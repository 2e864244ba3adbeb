/**
 * Matching quality as a regression test: a smaller fixed-seed run of the
 * evaluation of protocol/10-identifiers.md (10.7) must keep its floors. The
 * seed is fixed, so the figures are exact and the test cannot flake; a
 * change that lowers one below its floor fails CI.
 */
import { describe, expect, it } from 'vitest';
import { evaluateMatching, MIN_DOB_PAIRS_PER_ORIGIN } from '../scripts/eval-matching.js';
import { ORIGINS } from '../scripts/lib/name-data.js';

// Floors of the 1,200-person run: issue 14's targets, for every origin group
// alike, except recall where dates agree, which this run holds at 0.98
// (98.19% since the joined names of 10.4). The evaluation tops each group up
// to at least 40 day-exact pairs (stratified sampling), so one missed pair
// moves a group by at most 2.5 points (protocol/10-identifiers.md, 10.7).
// Possible precision is issue 14's 0.80 read at 10,000 persons; this smaller
// run holds 96.8% since the year keys by kind (10.5) and gave 92.8% with the
// symmetric year keys before them, so its floor of 0.95 fails if they return.
const FLOOR = {
  probableRecallDobAgrees: 0.98,
  probablePrecision: 0.995,
  possiblePrecision: 0.95,
  originProbableRecallDobAgrees: 0.93,
  originDobPairs: 40,
  keysPerRecord: 10,
} as const;

describe('matching evaluation (seed 20260601, 1200 persons, every origin group ≥ 40 day-exact pairs)', () => {
  const f = evaluateMatching({ seed: 20260601, persons: 1200, minDobPairsPerOrigin: FLOOR.originDobPairs });

  it('meets the probable-strength floors', () => {
    expect(f.sameDobPairs).toBeGreaterThan(1000);
    expect(f.byStrength.probable.recallDobAgrees).toBeGreaterThanOrEqual(FLOOR.probableRecallDobAgrees);
    expect(f.byStrength.probable.precision).toBeGreaterThanOrEqual(FLOOR.probablePrecision);
    expect(f.byStrength.possible.precision).toBeGreaterThanOrEqual(FLOOR.possiblePrecision);
  });

  it('has no false strong match', () => {
    expect(f.byStrength.strong.falsePositives).toBe(0);
    expect(f.topUp.falseStrong).toBe(0);
    expect(f.byStrength.strong.truePositives).toBeGreaterThan(0);
  });

  it('keeps every origin group above the floor, each on enough pairs for it to mean something', () => {
    expect(MIN_DOB_PAIRS_PER_ORIGIN).toBe(FLOOR.originDobPairs);
    expect(f.topUp.persons).toBeGreaterThan(0);
    for (const { pool } of ORIGINS) {
      const o = f.byOrigin[pool.origin];
      expect(o.dobPairs, pool.origin).toBeGreaterThanOrEqual(FLOOR.originDobPairs);
      expect(o.recallDobAgrees.probable, pool.origin).toBeGreaterThanOrEqual(FLOOR.originProbableRecallDobAgrees);
    }
  });

  it('keeps the key set small', () => {
    expect(f.keysPerRecord).toBeLessThanOrEqual(FLOOR.keysPerRecord);
  });

  it('keeps transliteration and naming-system variants matching at probable strength', () => {
    for (const kind of [
      'translit-cyrillic',
      'translit-arabic',
      'translit-geez',
      'orthography-latin',
      'diacritics-latin',
      'patronymic-chain',
      'vietnamese-form',
      'order-swap',
      'middle-names',
      'joined-names',
    ] as const) {
      expect(f.byKind[kind].recall.probable, kind).toBeGreaterThanOrEqual(0.9);
    }
    expect(f.byKind['dob-day-month-swap'].recall.possible).toBeGreaterThanOrEqual(0.95);
    expect(f.byKind['dob-jan1-estimate'].recall.possible).toBeGreaterThanOrEqual(0.95);
    // Age assessments (±1 to ±3 years) match through the year keys, at possible strength only.
    expect(f.byKind['dob-age-assessed'].recall.possible).toBeGreaterThanOrEqual(0.95);
    expect(f.byKind['dob-age-assessed'].recall.probable).toBeLessThan(0.6);
  });
});
