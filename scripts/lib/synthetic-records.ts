/**
 * Deterministic synthetic records for tests, benchmarks and the demo: no
 * real person is described. Seeded, so the same seed gives the same file.
 */

/** Small fast PRNG (mulberry32): test data only, never for keys. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = ['Amina', 'Yusuf', 'Elena', 'Mihai', 'Olena', 'Dawit', 'Sara', 'Omar', 'Ioana', 'Andrei', 'Fatima', 'Hassan', 'Marta', 'Tomasz', 'Nadia', 'Karim', 'Lena', 'Pavel', 'Zainab', 'Ahmed', 'Sofia', 'Luka', 'Aylin', 'Mateo'];
const FAMILY = ['Haddad', 'Popescu', 'Kowalski', 'Shevchenko', 'Tesfaye', 'Nowak', 'Ionescu', 'Petrov', 'Rahimi', 'Yilmaz', 'Mensah', 'Novak', 'Horvat', 'Said', 'Berhane', 'Moreau', 'Rossi', 'Kaya', 'Ali', 'Costa'];
const CATEGORIES = ['convicted_offender', 'suspect', 'identified_victim', 'missing_child', 'unaccompanied_minor', 'child_at_risk'] as const;

export interface SyntheticOptions {
  seed?: number;
  /** Reference prefix, e.g. the country. */
  prefix?: string;
  /** Share of records with a passport (0..1). */
  documents?: number;
  /** Share with a phone and an e-mail (0..1). */
  contacts?: number;
}

/** One synthetic record in the API/NDJSON shape. */
export function syntheticRecord(i: number, rnd: () => number, o: SyntheticOptions = {}): Record<string, unknown> {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const given = pick(GIVEN);
  const family = pick(FAMILY);
  const year = 2005 + Math.floor(rnd() * 19);
  const month = 1 + Math.floor(rnd() * 12);
  const day = 1 + Math.floor(rnd() * 28);
  const ids: Record<string, unknown> = {
    names: [{ given, family }],
    sex: rnd() < 0.5 ? 'female' : 'male',
    dateOfBirth: { precision: 'day', date: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}` },
  };
  // The whole index (8 digits up to 10^8): seven digits made records i and i + 10^7 share a passport.
  if (rnd() < (o.documents ?? 0.3)) ids.documents = [{ type: 'passport', issuingCountry: 'SY', number: `N${String(i).padStart(8, '0')}` }];
  if (rnd() < (o.contacts ?? 0.2)) {
    ids.phones = [{ number: `+49151${String(10000000 + i).slice(-8)}` }];
    ids.emails = [`user${i}@example.org`];
  }
  return {
    ref: `${o.prefix ?? 'REC'}-${String(i).padStart(8, '0')}`,
    category: CATEGORIES[i % CATEGORIES.length],
    owningUnit: 'Unit for missing children',
    contactPoint: 'cairn-desk@police.example',
    recordDate: '2025-06-01',
    retentionUntil: '2040-12-31',
    identifiers: ids,
  };
}

/** Yield `n` records as NDJSON lines. */
export function* syntheticNdjson(n: number, o: SyntheticOptions = {}): Generator<string> {
  const rnd = prng(o.seed ?? 1);
  for (let i = 0; i < n; i++) yield `${JSON.stringify(syntheticRecord(i, rnd, o))}\n`;
}
