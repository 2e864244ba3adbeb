/**
 * `npx tsx scripts/conformance-vectors.ts`: write the conformance vector set
 * (test/vectors/conformance/, PROTOCOL.md section 50) from the real node code
 * with fixed TEST keys, clock, randomness and proof scalar. The output is the
 * same every run; test/conformance-vectors.test.ts recomputes it and fails
 * when the files and the code disagree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeConformanceVectors, type ConformanceVectors } from './lib/conformance-exchange.js';

/** File name -> content of each vector file (the README is written by hand). */
export function conformanceFiles(v: ConformanceVectors): Record<string, unknown> {
  return {
    'keys.json': { note: 'TEST keys: public, for tests only; never hold real records with them.', ...v.keys, descriptors: v.descriptors },
    'record.json': v.record,
    'searcher-state.json': { ...v.searcherState, note: 'The searcher keeps these secret; they are here so the finalization can be reproduced.' },
    '1-match-request.json': v.matchRequest,
    '2-match-answer.json': { ...v.matchAnswer, proofRandomScalar: v.proofRandomScalar },
    '3-confirm-request.json': v.confirmRequest,
    '4-confirm-answer.json': { ...v.confirmAnswer, receipt: v.receipt },
  };
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url).replace(/\.ts$/, '.js') === process.argv[1].replace(/\.ts$/, '.js');
if (isMain) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'vectors', 'conformance');
  mkdirSync(dir, { recursive: true });
  const files = conformanceFiles(await computeConformanceVectors());
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), `${JSON.stringify(content, null, 2)}\n`);
  console.log(`wrote ${Object.keys(files).length} files to ${dir}`);
}
