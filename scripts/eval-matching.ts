/**
 * Matching-quality evaluation (npm run eval:matching): generates a seeded
 * synthetic population of cross-border record variants and look-alikes and
 * prints precision and recall per key strength and recall per variant kind.
 *
 *   node dist/scripts/eval-matching.js [--seed N] [--persons N] [--json]
 */
import { pathToFileURL } from 'node:url';
import { evaluateMatching, formatFigures } from './lib/matching-eval.js';

export { evaluateMatching, formatFigures, type MatchingFigures } from './lib/matching-eval.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const seed = arg('seed') === undefined ? undefined : Number(arg('seed'));
  const persons = arg('persons') === undefined ? undefined : Number(arg('persons'));
  const figures = evaluateMatching({ seed, persons });
  process.stdout.write(process.argv.includes('--json') ? `${JSON.stringify(figures, null, 2)}\n` : `${formatFigures(figures)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
