/**
 * Matching-quality evaluation (npm run eval:matching): generates a seeded
 * synthetic population of cross-border record variants and look-alikes and
 * prints precision and recall per key strength and recall per variant kind.
 *
 *   node dist/scripts/eval-matching.js [--seed N] [--persons N] [--min-dob-pairs N] [--json]
 *
 * --min-dob-pairs: day-exact pairs every origin group is topped up to
 * (stratified sampling; default 40, 0 for none).
 */
import { pathToFileURL } from 'node:url';
import { evaluateMatching, formatFigures } from './lib/matching-eval.js';

export { evaluateMatching, formatFigures, MIN_DOB_PAIRS_PER_ORIGIN, type MatchingFigures } from './lib/matching-eval.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const seed = arg('seed') === undefined ? undefined : Number(arg('seed'));
  const persons = arg('persons') === undefined ? undefined : Number(arg('persons'));
  const minDobPairsPerOrigin = arg('min-dob-pairs') === undefined ? undefined : Number(arg('min-dob-pairs'));
  const figures = evaluateMatching({ seed, persons, minDobPairsPerOrigin });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(figures, null, 2)}\n` : `${formatFigures(figures)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
