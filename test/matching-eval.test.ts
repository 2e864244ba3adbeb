/**
 * Matching quality as a regression test: a smaller fixed-seed run of the
 * evaluation of protocol/10-identifiers.md (10.7) must keep its floors. The
 * seed is fixed, so the figures are exact and the test cannot flake; a
 * change that lowers one below its floor fails CI.
 */
import { describe, expect, it } from 'vitest';
import { evaluateHebrewNames, evaluateLeadingNames, evaluateMatching, evaluateSingleNames, MIN_DOB_PAIRS_PER_ORIGIN } from '../scripts/eval-matching.js';
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

// Floors of the single-name measurement (0x24, docs/matching-eval.md "Single
// names") on a 400-person run with a 2,000-record register, under a second:
// it measures 95.8% for another writing, 99.3% for a standard placeholder and
// 95.7% for "unknown" in the origin's language as registers romanise it
// (97.0%, 98.0% and 98.4% at 2,000 persons). A 1 January date is a placeholder, not
// a birthday, so those pairs must not key at all; typos are not meant to
// match (no typo variants for 0x24: half of them leave the CPH1 code as it
// was); and a single name never meets the given name of a full name.
const SINGLE_FLOOR = {
  otherWriting: 0.9,
  placeholder: 0.93,
  translated: 0.9,
  typoCeiling: 0.7,
  /** False register pairs over its pairs born the same day: 2.1% here, 1.9% at 20,000 records. */
  registerSameDayShare: 0.05,
} as const;

describe('single-name measurement (seed 20260601, 400 persons, register of 2,000)', () => {
  const f = evaluateSingleNames({ seed: 20260601, persons: 400, registerRecords: 2000 });

  it('matches single names written another way or with a placeholder at possible', () => {
    expect(f.byKind['other-writing'].pairs).toBeGreaterThan(100);
    expect(f.byKind.placeholder.pairs).toBeGreaterThan(100);
    expect(f.byKind['other-writing'].recall.possible).toBeGreaterThanOrEqual(SINGLE_FLOOR.otherWriting);
    expect(f.byKind.placeholder.recall.possible).toBeGreaterThanOrEqual(SINGLE_FLOOR.placeholder);
    expect(f.byKind.translated.recall.possible).toBeGreaterThanOrEqual(SINGLE_FLOOR.translated);
    for (const form of ['LNU', 'Unknown', 'FNU', 'NN', 'N.N.', 'XXX']) {
      expect(f.placeholders[form]!.dropped, form).toBe(f.placeholders[form]!.records);
    }
  });

  it('gives a 1 January date no single-name key, and typos no variants', () => {
    expect(f.byKind.jan1.pairs).toBeGreaterThan(20);
    expect(f.byKind.jan1.recall.possible).toBe(0);
    expect(f.byKind.typo.recall.possible).toBeLessThan(SINGLE_FLOOR.typoCeiling);
  });

  it('meets only other single names born the same day', () => {
    expect(f.fullNameRecords).toBeGreaterThan(0);
    expect(f.falsePairs.fullNameBySingleKey).toBe(0);
    expect(f.register.falsePairs).toBeLessThanOrEqual(SINGLE_FLOOR.registerSameDayShare * f.register.sameDayPairs);
  });
});

// Floors of the leading-name measurement (the leading pair, 10.4;
// docs/matching-eval.md "Leading names") on a 400-person run with a
// 1,000-record register, under a second. A record with Md., Mohammad, محمد,
// Sayed or Syeda before the called name meets the record without it at
// probable: 93.3% here (93.6% at 2,000 persons; without the leading pair's
// keys 2.4%, which is what the pairs gave before it); the misses are
// spellings only the typo variants join, which the leading pair does not
// get. Typed onto the called name with its capital (MohammadRahim,
// Md.Rahim) 94.3%; left out with a 1 January or assessed date 88.6% at
// possible and none at probable; spelt differently (Md. / Mohammad) and Mst.
// (a title) 100%. The leading pair must add no false probable pair with an
// unrelated person or a twin of the slice.
const LEADING_FLOOR = {
  leftOut: 0.9,
  /** Left out, without the leading pair's keys: what the pairs met before the rule. */
  leftOutWithoutRuleCeiling: 0.05,
  joined: 0.85,
  leftOutDatePossible: 0.8,
  writtenDifferently: 0.95,
  mst: 0.95,
} as const;

describe('leading-name measurement (seed 20260601, 400 persons, register of 1,000)', () => {
  const f = evaluateLeadingNames({ seed: 20260601, persons: 400, registerRecords: 1000 });

  it('meets a record without its leading name at probable', () => {
    expect(f.byKind['left-out'].pairs).toBeGreaterThan(100);
    expect(f.byKind['left-out'].recall.probable).toBeGreaterThanOrEqual(LEADING_FLOOR.leftOut);
    expect(f.byKind['left-out'].withoutRule.probable).toBeLessThanOrEqual(LEADING_FLOOR.leftOutWithoutRuleCeiling);
    expect(f.byKind.joined.recall.probable).toBeGreaterThanOrEqual(LEADING_FLOOR.joined);
    expect(f.byKind['written-differently'].recall.probable).toBeGreaterThanOrEqual(LEADING_FLOOR.writtenDifferently);
    expect(f.byKind.mst.pairs).toBeGreaterThan(10);
    expect(f.byKind.mst.recall.probable).toBeGreaterThanOrEqual(LEADING_FLOOR.mst);
  });

  it('meets it at possible when one date is a 1 January estimate or an age assessment', () => {
    expect(f.byKind['left-out-date'].recall.probable).toBe(0);
    expect(f.byKind['left-out-date'].recall.possible).toBeGreaterThanOrEqual(LEADING_FLOOR.leftOutDatePossible);
  });

  it('adds no false probable pair with an unrelated person or a twin', () => {
    expect(f.falsePairs.byRelation.unrelated.ruleOnlyProbable).toBe(0);
    expect(f.falsePairs.byRelation.twin.ruleOnlyProbable).toBe(0);
    expect(f.register.falsePairs.ruleOnlyProbable).toBe(0);
    expect(f.register.ruleFired).toBeGreaterThanOrEqual(0.95 * f.register.leadingRecords);
  });
});

// Floors of the Hebrew-name measurement (unpointed Hebrew script against
// Latin spellings, 10.2 step 4 and 10.4 "Hebrew readings";
// docs/matching-eval.md "Hebrew names") on a 400-person run with a
// 1,000-record register, under a second. With both readings of ב כ פ:
// script against Latin 93.8% at probable, with one date an estimate 78.6%
// at possible, two Latin spellings 100%; 65 of the 65 listed spellings of
// names with a hard ב כ פ after the first letter code as their script form
// (Goldberg, Kaplan, Shapira, Malka), 95 of the 104 of names with a soft
// one (Rivka, Mordechai, Avraham). With the soft reading alone (3650078)
// these were 85.9%, 33.3%, 100%, 0 of 65 and 90 of 104: the floors below
// fail if the hard reading is lost, and the soft floor if it takes a soft
// name. The extra forms cost keys: 9.60 per record in script (7.41 with
// the soft reading alone; the register's 10.35 and 8.02).
const HEBREW_FLOOR = {
  scriptLatin: 0.9,
  latinLatin: 0.97,
  scriptLatinDatePossible: 0.65,
  hardSpellings: 0.9,
  softSpellings: 0.88,
  keysPerScriptRecordCeiling: 11,
  /** False probable pairs in the register other than namesakes born the same day, over its pairs born the same day: none here. */
  registerSameDayShare: 0.02,
} as const;

describe('Hebrew-name measurement (seed 20260601, 400 persons, register of 1,000)', () => {
  const f = evaluateHebrewNames({ seed: 20260601, persons: 400, registerRecords: 1000 });
  const share = (x: { spellings: number; meeting: number }) => x.meeting / x.spellings;

  it('meets a record in Hebrew script and one in Latin letters at probable', () => {
    expect(f.byKind['script-latin'].pairs).toBeGreaterThan(200);
    expect(f.byKind['latin-latin'].pairs).toBeGreaterThan(80);
    expect(f.byKind['script-latin'].recall.probable).toBeGreaterThanOrEqual(HEBREW_FLOOR.scriptLatin);
    expect(f.byKind['latin-latin'].recall.probable).toBeGreaterThanOrEqual(HEBREW_FLOOR.latinLatin);
  });

  it('meets them at possible when one date is a 1 January estimate or an age assessment', () => {
    expect(f.byKind['script-latin-date'].pairs).toBeGreaterThan(30);
    expect(f.byKind['script-latin-date'].recall.probable).toBe(0);
    expect(f.byKind['script-latin-date'].recall.possible).toBeGreaterThanOrEqual(HEBREW_FLOOR.scriptLatinDatePossible);
  });

  it('keeps the soft ב כ פ of Hebrew given names while reading the hard ones', () => {
    expect(share(f.spellings.hard)).toBeGreaterThanOrEqual(HEBREW_FLOOR.hardSpellings);
    expect(share(f.spellings.soft)).toBeGreaterThanOrEqual(HEBREW_FLOOR.softSpellings);
  });

  it('keeps the keys of a record in script few and adds no false probable pair but namesakes', () => {
    expect(f.keysPerScriptRecord).toBeLessThanOrEqual(HEBREW_FLOOR.keysPerScriptRecordCeiling);
    expect(f.register.keysPerScriptRecord).toBeLessThanOrEqual(HEBREW_FLOOR.keysPerScriptRecordCeiling);
    const r = f.register.falsePairs;
    expect(r.probable - r.namesakeProbable).toBeLessThanOrEqual(HEBREW_FLOOR.registerSameDayShare * f.register.sameDayPairs);
  });
});
