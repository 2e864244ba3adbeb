/**
 * Matching-quality evaluation (npm run eval:matching): generates a seeded
 * synthetic population of cross-border record variants and look-alikes and
 * prints precision and recall per key strength and recall per variant kind,
 * then issue 14's targets against that run (met or MISSED), the spread of
 * the headline figures over smaller runs at other seeds, and the
 * supplementary measurements of single names (0x24), of leading names
 * (the leading pair, 10.4) and of Hebrew names (unpointed Hebrew script
 * against Latin spellings, 10.2 step 4), which have populations of their
 * own and leave every figure before them as it was.
 *
 *   node dist/scripts/eval-matching.js [--seed N] [--persons N] [--min-dob-pairs N] [--seeds 1,2,3 | --seeds none]
 *     [--single-persons N] [--single-register N] [--leading-persons N] [--leading-register N]
 *     [--hebrew-persons N] [--hebrew-register N] [--json]
 *
 * --persons: index persons of the main run (default 10,000: one 2,000-person
 * draw moves recall by about a point; protocol/10-identifiers.md, 10.7).
 * --min-dob-pairs: day-exact pairs every origin group is topped up to
 * (stratified sampling; default 40, 0 for none).
 * --seeds: seeds of the 2,000-person spread runs (default 1,2,3; none to skip).
 * --single-persons: single-name persons, each recorded twice (default 2,000).
 * --single-register: records of the single-name register whose false pairs
 * are counted (default 20,000; they grow with its square).
 * --leading-persons: leading-name persons, each recorded twice (default 2,000).
 * --leading-register: records of the leading-name register whose false pairs
 * are counted (default 10,000).
 * --hebrew-persons: Hebrew-name persons, each recorded twice (default 2,000).
 * --hebrew-register: records of the Hebrew-name register, half in script,
 * whose false pairs are counted (default 10,000).
 */
import { pathToFileURL } from 'node:url';
import { evaluateMatching, formatFigures } from './lib/matching-eval.js';
import { checkTargets, formatTargets, HEADLINE_PERSONS, spread, SPREAD_SEEDS } from './lib/matching-targets.js';
import { evaluateSingleNames, formatSingleNames } from './lib/single-names-eval.js';
import { evaluateLeadingNames, formatLeadingNames } from './lib/leading-names-eval.js';
import { evaluateHebrewNames, formatHebrewNames } from './lib/hebrew-names-eval.js';

export { evaluateMatching, formatFigures, MIN_DOB_PAIRS_PER_ORIGIN, type MatchingFigures } from './lib/matching-eval.js';
export { checkTargets, headline, HEADLINE_PERSONS, TARGETS } from './lib/matching-targets.js';
export { evaluateSingleNames, formatSingleNames, type SingleNameFigures } from './lib/single-names-eval.js';
export { evaluateLeadingNames, formatLeadingNames, type LeadingNameFigures } from './lib/leading-names-eval.js';
export { evaluateHebrewNames, formatHebrewNames, type HebrewNameFigures } from './lib/hebrew-names-eval.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function seedList(s: string | undefined): number[] {
  if (s === undefined) return [...SPREAD_SEEDS];
  if (s === 'none') return [];
  const seeds = s.split(',').map(Number);
  if (seeds.some((x) => !Number.isInteger(x))) throw new Error(`--seeds: expected a comma-separated list of integers or "none", got ${JSON.stringify(s)}`);
  return seeds;
}

function main(): void {
  const seed = arg('seed') === undefined ? undefined : Number(arg('seed'));
  const persons = arg('persons') === undefined ? HEADLINE_PERSONS : Number(arg('persons'));
  const minDobPairsPerOrigin = arg('min-dob-pairs') === undefined ? undefined : Number(arg('min-dob-pairs'));
  const figures = evaluateMatching({ seed, persons, minDobPairsPerOrigin });
  const targets = checkTargets(figures);
  const runs = spread(seedList(arg('seeds')));
  const num = (name: string) => (arg(name) === undefined ? undefined : Number(arg(name)));
  const singleNames = evaluateSingleNames({ seed: figures.seed, persons: num('single-persons'), registerRecords: num('single-register') });
  const leadingNames = evaluateLeadingNames({ seed: figures.seed, persons: num('leading-persons'), registerRecords: num('leading-register') });
  const hebrewNames = evaluateHebrewNames({ seed: figures.seed, persons: num('hebrew-persons'), registerRecords: num('hebrew-register') });
  process.stdout.write(
    process.argv.includes('--json')
      ? `${JSON.stringify({ ...figures, targets, spread: runs, singleNames, leadingNames, hebrewNames }, null, 2)}\n`
      : `${formatFigures(figures)}\n\n${formatTargets(figures, targets, runs)}\n\n${formatSingleNames(singleNames)}\n\n${formatLeadingNames(leadingNames)}\n\n${formatHebrewNames(hebrewNames)}\n`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
