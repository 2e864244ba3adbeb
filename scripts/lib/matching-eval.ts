/**
 * Matching-quality evaluation: derive the match keys every synthetic record
 * stores and those a search for it asks, find every pair of records where
 * one's query meets the other's stored keys, and score the pairs against
 * the ground truth. A pair matches at strength S if such a key has strength
 * ≥ S. No crypto: equal encoded keys stand for equal tokens.
 */
import { deriveMatchKeys, deriveQueryKeys, parseIdentifiers, strengthRank, type MatchKey, type MatchKeyStrength } from '../../src/core/identity/index.js';
import { MATCH_KEYS } from '../../src/core/constants.js';
import { dobAgrees, generatePopulation, VARIANT_KINDS, type Relation, type SyntheticRecord, type VariantKind } from './variants.js';
import { ORIGINS, type Origin } from './name-data.js';

const STRENGTHS = MATCH_KEYS.strengths;
const RANK = Object.fromEntries(STRENGTHS.map((s) => [s, strengthRank(s)])) as Record<MatchKeyStrength, number>;

export interface StrengthFigures {
  /** Pairs sharing a key of this strength or stronger. */
  matched: number;
  truePositives: number;
  falsePositives: number;
  precision: number;
  /** Over every same-person pair. */
  recall: number;
  /** Over same-person pairs whose dates of birth are equal, day-exact and not 1 January. */
  recallDobAgrees: number;
  /** False matches by how the two persons are related. */
  falseByRelation: Record<Relation | 'unrelated', number>;
}

export interface KindFigures {
  pairs: number;
  recall: Record<MatchKeyStrength, number>;
}

/** Figures of one origin group: its persons' same-person pairs, and false pairs touching it. */
export interface OriginFigures {
  pairs: number;
  dobPairs: number;
  /** Recall over same-person pairs whose dates agree (as recallDobAgrees), per strength. */
  recallDobAgrees: Record<MatchKeyStrength, number>;
  recall: Record<MatchKeyStrength, number>;
  /** False pairs at probable or stronger with a record of this origin on either side. */
  falseProbable: number;
}

/** The persons added by the stratified top-up, and the false pairs their records are in. */
export interface TopUpFigures {
  /** Index persons added (their look-alikes not counted). */
  persons: number;
  records: number;
  /** False pairs with a top-up record on either side, at probable or stronger and at strong. */
  falseProbable: number;
  falseStrong: number;
}

export interface MatchingFigures {
  seed: number;
  /** Index persons drawn by weight: the representative population. */
  persons: number;
  /** Each origin group was topped up to at least this many day-exact pairs. */
  minDobPairsPerOrigin: number;
  /** Records of the representative population. */
  records: number;
  sameDobPairs: number;
  samePersonPairs: number;
  byStrength: Record<MatchKeyStrength, StrengthFigures>;
  byKind: Record<VariantKind | 'between-variants', KindFigures>;
  byOrigin: Record<Origin, OriginFigures>;
  /** Over the representative population's records. */
  keysPerRecord: number;
  /** Keys a search for one of those records asks (before padding), on average. */
  queryKeysPerRecord: number;
  topUp: TopUpFigures;
}

/**
 * Day-exact pairs each origin group is topped up to (stratified sampling):
 * below some 40 one missed pair moves a group's recall by more than 2.5
 * points, and a floor of 0.93 says little about the group.
 */
export const MIN_DOB_PAIRS_PER_ORIGIN = 40;

/** Fixed clock, so generated dates are never "in the future" for a run. */
const EVAL_NOW = new Date('2026-06-01T00:00:00Z');

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

function pairKind(a: SyntheticRecord, b: SyntheticRecord): VariantKind | 'between-variants' {
  if (a.kind === 'source' && b.kind !== 'source') return b.kind;
  if (b.kind === 'source' && a.kind !== 'source') return a.kind;
  return 'between-variants';
}


/**
 * Inverted index of match keys: encoded key → the records that store it and
 * the records whose query asks it, with the key's strength rank.
 */
export class KeyIndex {
  readonly #keys = new Map<string, { rank: number; holders: number[]; askers: number[] }>();

  #entry(k: MatchKey) {
    // One character a byte: cheaper to build and hash than hex.
    const id = Buffer.from(k.encoded.buffer, k.encoded.byteOffset, k.encoded.byteLength).toString('latin1');
    let e = this.#keys.get(id);
    if (e === undefined) this.#keys.set(id, (e = { rank: RANK[k.strength], holders: [], askers: [] }));
    return e;
  }

  /** Record `index` stores `stored` and its search asks `asked`. */
  add(index: number, stored: readonly MatchKey[], asked: readonly MatchKey[]): void {
    for (const k of stored) this.#entry(k).holders.push(index);
    for (const k of asked) this.#entry(k).askers.push(index);
  }

  /**
   * The strongest key rank of each matched pair of the `n` records (keyed
   * min × n + max): a search for one meeting the other's stored keys,
   * either way round.
   */
  strongestPairs(n: number): Map<number, number> {
    const best = new Map<number, number>();
    for (const { rank, holders, askers } of this.#keys.values()) {
      for (const x of askers) {
        for (const y of holders) {
          if (x === y) continue;
          const id = Math.min(x, y) * n + Math.max(x, y);
          if ((best.get(id) ?? -1) < rank) best.set(id, rank);
        }
      }
    }
    return best;
  }
}

/**
 * Run the evaluation on a generated population and return the figures.
 * Every origin group is topped up to `minDobPairsPerOrigin` day-exact pairs
 * (default MIN_DOB_PAIRS_PER_ORIGIN; 0 for none). The figures by origin count
 * the top-up; the overall figures (by strength, by kind, keys per record)
 * are those of the representative population drawn by weight, and the
 * top-up's false pairs are reported on their own.
 */
export function evaluateMatching(opts: { seed?: number; persons?: number; minDobPairsPerOrigin?: number } = {}): MatchingFigures {
  const seed = opts.seed ?? 20260601;
  const persons = opts.persons ?? 2000;
  const minDobPairsPerOrigin = opts.minDobPairsPerOrigin ?? MIN_DOB_PAIRS_PER_ORIGIN;
  const records = generatePopulation({ seed, persons, minDobPairsPerOrigin });

  const index = new KeyIndex();
  let keyCount = 0;
  let queryKeyCount = 0;
  for (const r of records) {
    const ids = parseIdentifiers(r.identifiers, { now: () => EVAL_NOW });
    const stored = deriveMatchKeys(ids);
    const asked = deriveQueryKeys(ids);
    if (r.topUp === undefined) {
      keyCount += stored.length;
      queryKeyCount += asked.length;
    }
    index.add(r.index, stored, asked);
  }
  // Strongest key per matched pair: a search for one record meeting the other's stored keys, either way round.
  const n = records.length;
  const best = index.strongestPairs(n);

  // Ground truth: every pair of records of one person.
  const byPerson = new Map<number, SyntheticRecord[]>();
  for (const r of records) byPerson.set(r.personId, [...(byPerson.get(r.personId) ?? []), r]);
  const truePairs: { id: number; kind: VariantKind | 'between-variants'; dobAgrees: boolean; origin: Origin; topUp: boolean }[] = [];
  for (const rs of byPerson.values()) {
    for (let i = 0; i < rs.length; i++) {
      for (let j = i + 1; j < rs.length; j++) {
        const a = rs[i]!;
        const b = rs[j]!;
        truePairs.push({ id: Math.min(a.index, b.index) * n + Math.max(a.index, b.index), kind: pairKind(a, b), dobAgrees: dobAgrees(a, b), origin: a.origin, topUp: a.topUp === true });
      }
    }
  }
  const relationOf = (a: SyntheticRecord, b: SyntheticRecord): Relation | 'unrelated' => {
    if (a.relation?.to === b.personId) return a.relation.relation;
    if (b.relation?.to === a.personId) return b.relation.relation;
    if (a.relation && b.relation && a.relation.to === b.relation.to) {
      return a.relation.relation === 'namesake' || b.relation.relation === 'namesake' ? 'namesake' : 'sibling';
    }
    return 'unrelated';
  };

  const repPairs = truePairs.filter((p) => !p.topUp);
  const topUp: TopUpFigures = { persons: 0, records: 0, falseProbable: 0, falseStrong: 0 };
  for (const r of records) {
    if (r.topUp === undefined) continue;
    topUp.records++;
    if (r.kind === 'source' && r.relation === undefined) topUp.persons++;
  }
  for (const [id, rank] of best) {
    const a = records[Math.floor(id / n)]!;
    const b = records[id % n]!;
    if (a.personId === b.personId || (a.topUp === undefined && b.topUp === undefined)) continue;
    if (rank >= RANK.probable) topUp.falseProbable++;
    if (rank >= RANK.strong) topUp.falseStrong++;
  }

  const byStrength = {} as Record<MatchKeyStrength, StrengthFigures>;
  for (const s of STRENGTHS) {
    const min = RANK[s];
    let tp = 0;
    let fp = 0;
    const falseByRelation: StrengthFigures['falseByRelation'] = { sibling: 0, twin: 0, namesake: 0, unrelated: 0 };
    for (const [id, rank] of best) {
      if (rank < min) continue;
      const a = records[Math.floor(id / n)]!;
      const b = records[id % n]!;
      if (a.topUp !== undefined || b.topUp !== undefined) continue;
      if (a.personId === b.personId) tp++;
      else {
        fp++;
        falseByRelation[relationOf(a, b)]++;
      }
    }
    const found = (p: { id: number }) => (best.get(p.id) ?? -1) >= min;
    const dobPairs = repPairs.filter((p) => p.dobAgrees);
    byStrength[s] = {
      matched: tp + fp,
      truePositives: tp,
      falsePositives: fp,
      precision: ratio(tp, tp + fp),
      recall: ratio(repPairs.filter(found).length, repPairs.length),
      recallDobAgrees: ratio(dobPairs.filter(found).length, dobPairs.length),
      falseByRelation,
    };
  }

  const byKind = {} as MatchingFigures['byKind'];
  for (const kind of [...VARIANT_KINDS, 'between-variants'] as const) {
    const ps = repPairs.filter((p) => p.kind === kind);
    const recall = {} as Record<MatchKeyStrength, number>;
    for (const s of STRENGTHS) recall[s] = ratio(ps.filter((p) => (best.get(p.id) ?? -1) >= RANK[s]).length, ps.length);
    byKind[kind] = { pairs: ps.length, recall };
  }

  const byOrigin = {} as MatchingFigures['byOrigin'];
  const falseProbableByOrigin = new Map<Origin, number>();
  for (const [id, rank] of best) {
    if (rank < RANK.probable) continue;
    const a = records[Math.floor(id / n)]!;
    const b = records[id % n]!;
    if (a.personId === b.personId) continue;
    for (const o of new Set([a.origin, b.origin])) falseProbableByOrigin.set(o, (falseProbableByOrigin.get(o) ?? 0) + 1);
  }
  for (const { pool } of ORIGINS) {
    const ps = truePairs.filter((p) => p.origin === pool.origin);
    const dps = ps.filter((p) => p.dobAgrees);
    const recall = {} as Record<MatchKeyStrength, number>;
    const recallDob = {} as Record<MatchKeyStrength, number>;
    for (const s of STRENGTHS) {
      const found = (p: { id: number }) => (best.get(p.id) ?? -1) >= RANK[s];
      recall[s] = ratio(ps.filter(found).length, ps.length);
      recallDob[s] = ratio(dps.filter(found).length, dps.length);
    }
    byOrigin[pool.origin] = {
      pairs: ps.length,
      dobPairs: dps.length,
      recall,
      recallDobAgrees: recallDob,
      falseProbable: falseProbableByOrigin.get(pool.origin) ?? 0,
    };
  }

  return {
    seed,
    persons,
    minDobPairsPerOrigin,
    records: records.length - topUp.records,
    samePersonPairs: repPairs.length,
    sameDobPairs: repPairs.filter((p) => p.dobAgrees).length,
    byStrength,
    byKind,
    byOrigin,
    keysPerRecord: keyCount / (records.length - topUp.records),
    queryKeysPerRecord: queryKeyCount / (records.length - topUp.records),
    topUp,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);

/** The figures as a plain-text report. */
export function formatFigures(f: MatchingFigures): string {
  const lines: string[] = [];
  lines.push(`seed ${f.seed}: ${f.persons} index persons drawn by weight, ${f.records} records, ${f.keysPerRecord.toFixed(2)} keys (OPRF tokens) per record, ${f.queryKeysPerRecord.toFixed(2)} asked by a search for one`);
  lines.push(`${f.samePersonPairs} same-person pairs, ${f.sameDobPairs} of them with equal day-exact dates of birth other than 1 January`);
  lines.push('');
  lines.push('strength   matched  precision  recall  recall(DOB agrees)  false: sibling twin namesake unrelated');
  for (const s of [...STRENGTHS].reverse()) {
    const x = f.byStrength[s];
    const fr = x.falseByRelation;
    lines.push(
      `${`>=${s}`.padEnd(10)} ${String(x.matched).padStart(7)}  ${pct(x.precision)}  ${pct(x.recall)}  ${pct(x.recallDobAgrees).padStart(18)}  ${String(fr.sibling).padStart(13)} ${String(fr.twin).padStart(4)} ${String(fr.namesake).padStart(8)} ${String(fr.unrelated).padStart(9)}`,
    );
  }
  lines.push('');
  lines.push('recall by variant kind       pairs   strong  probable  possible');
  for (const [kind, k] of Object.entries(f.byKind)) {
    lines.push(`${kind.padEnd(26)} ${String(k.pairs).padStart(6)}  ${pct(k.recall.strong)}  ${pct(k.recall.probable)}  ${pct(k.recall.possible)}`);
  }
  lines.push('');
  const t = f.topUp;
  lines.push(
    `by origin group: each topped up to ${f.minDobPairsPerOrigin} day-exact pairs (${t.persons} more index persons, ${t.records} records; false pairs with one of them: ${t.falseProbable} probable, ${t.falseStrong} strong)`,
  );
  lines.push('origin group     pairs  DOB-agree  probable(DOB agrees)  possible(DOB agrees)  probable  possible  false probable');
  for (const [origin, o] of Object.entries(f.byOrigin)) {
    lines.push(
      `${origin.padEnd(16)} ${String(o.pairs).padStart(6)}  ${String(o.dobPairs).padStart(9)}  ${pct(o.recallDobAgrees.probable).padStart(20)}  ${pct(o.recallDobAgrees.possible).padStart(20)}  ${pct(o.recall.probable).padStart(8)}  ${pct(o.recall.possible).padStart(8)}  ${String(o.falseProbable).padStart(14)}`,
    );
  }
  return lines.join('\n');
}
