/**
 * The worked vectors of protocol/10-identifiers.md and
 * test/vectors/matchkeys/vectors.json (source noted in the file) must be
 * what the code derives: another implementation reproduces them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bucketOf, deriveMatchKeys, deriveQueryKeys, parseIdentifiers, type MatchKey } from '../src/core/identity/index.js';
import { toHex } from '../src/core/bytes.js';
import { computeVectors, type MatchKeyVector } from '../scripts/lib/matchkey-vectors.js';

const root = new URL('..', import.meta.url);
const file = JSON.parse(readFileSync(new URL('test/vectors/matchkeys/vectors.json', root), 'utf8')) as { source: string; vectors: MatchKeyVector[] };
const doc = readFileSync(new URL('protocol/10-identifiers.md', root), 'utf8');

const rowsOf = (keys: MatchKey[]) => keys.map((k) => `${k.type} ${k.strength} ${toHex(k.encoded)} ${bucketOf(k.encoded, 16)}`);
const parse = (identifiers: unknown) => parseIdentifiers(identifiers, { now: () => new Date('2026-01-01T00:00:00Z') });
const derive = (identifiers: unknown) => rowsOf(deriveMatchKeys(parse(identifiers)));
const deriveQuery = (identifiers: unknown) => rowsOf(deriveQueryKeys(parse(identifiers)));

describe('match key vectors', () => {
  it('vectors.json matches the code', () => {
    expect(file.source).toMatch(/matchkey-vectors\.ts/);
    expect(file.vectors.length).toBeGreaterThanOrEqual(3);
    for (const v of file.vectors) {
      expect(derive(v.identifiers), v.name).toEqual(v.keys.map((k) => `${k.type} ${k.strength} ${k.encoded} ${k.bucket}`));
      expect(deriveQuery(v.identifiers), v.name).toEqual(v.queryKeys.map((k) => `${k.type} ${k.strength} ${k.encoded} ${k.bucket}`));
    }
    expect(computeVectors()).toEqual(file.vectors);
  });

  it('the protocol document carries the same vectors', () => {
    const blocks = [...doc.matchAll(/```json\n(.+?)\n```\s*```matchkeys\n([\s\S]*?)\n?```\s*```querykeys\n([\s\S]*?)\n?```/g)];
    expect(blocks.length).toBe(file.vectors.length);
    const lines = (rows: string) => (rows === '' ? [] : rows.split('\n'));
    for (const [, json, stored, asked] of blocks) {
      expect(derive(JSON.parse(json!))).toEqual(lines(stored!));
      expect(deriveQuery(JSON.parse(json!))).toEqual(lines(asked!));
    }
  });
});
