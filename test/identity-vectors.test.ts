/**
 * The worked vectors of protocol/10-identifiers.md and
 * test/vectors/matchkeys/vectors.json (source noted in the file) must be
 * what the code derives: another implementation reproduces them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bucketOf, deriveMatchKeys, deriveQueryKeys, parseIdentifiers, type MatchKey } from '../src/core/identity/index.js';
import { normaliseName } from '../src/core/identity/normalise-name.js';
import { normalisePhone } from '../src/core/identity/normalise-contact.js';
import { toHex } from '../src/core/bytes.js';
import { computeVectors, normalisedLines, type MatchKeyVector } from '../scripts/lib/matchkey-vectors.js';

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
    const blocks = [...doc.matchAll(/```json\n(.+?)\n```\s*```normalised\n([\s\S]*?)\n?```\s*```matchkeys\n([\s\S]*?)\n?```\s*```querykeys\n([\s\S]*?)\n?```/g)];
    expect(blocks.length).toBe(file.vectors.length);
    const lines = (rows: string) => (rows === '' ? [] : rows.split('\n'));
    for (const [i, [, json, normalised, stored, asked]] of blocks.entries()) {
      expect(lines(normalised!)).toEqual(normalisedLines(file.vectors[i]!.normalised));
      expect(derive(JSON.parse(json!))).toEqual(lines(stored!));
      expect(deriveQuery(JSON.parse(json!))).toEqual(lines(asked!));
    }
  });

  it('states each name field after steps 5 and 15 of 10.2, and each phone in E.164, as the code reads them', () => {
    let names = 0;
    let phones = 0;
    for (const v of file.vectors) {
      const ids = parse(v.identifiers);
      const valueAt = (path: string): string => {
        let at: unknown = ids;
        for (const [, key, index] of path.matchAll(/\.?(\w+)|\[(\d+)\]/g)) at = (at as Record<string, unknown>)[key ?? Number(index)];
        expect(typeof at, `${v.name}: ${path}`).toBe('string');
        return at as string;
      };
      for (const f of v.normalised.names) {
        const reading = f.reading ?? 'soft';
        expect(normaliseName(valueAt(f.field), reading).tokens, `${v.name}: ${f.field}`).toEqual(f.tokens);
        // Step 5 leaves lower-case ASCII, on which steps 1 to 5 change nothing: steps 6 to 15 alone must give the tokens.
        expect(f.step5, `${v.name}: ${f.field}`).toMatch(/^[\x20-\x7e]*$/);
        expect(f.step5).toBe(f.step5.toLowerCase());
        expect(normaliseName(f.step5, reading).tokens, `${v.name}: ${f.field} after step 5`).toEqual(f.tokens);
        names++;
      }
      for (const p of v.normalised.phones) {
        const i = Number(/^phones\[(\d+)\]$/.exec(p.field)![1]);
        expect(normalisePhone(ids.phones![i]!), `${v.name}: ${p.field}`).toEqual({ ok: true, value: p.e164 });
        expect(p.e164).toMatch(/^\+[1-9]\d{1,14}$/);
        phones++;
      }
      // Every name field and phone of the vector is stated.
      const stated = new Set(v.normalised.names.map((f) => f.field));
      (ids.names ?? []).forEach((e, i) => {
        for (const role of ['given', 'family', 'patronymic'] as const) if (e[role] !== undefined) expect(stated).toContain(`names[${i}].${role}`);
        (e.aliases ?? []).forEach((_, j) => expect(stated).toContain(`names[${i}].aliases[${j}]`));
      });
      expect(v.normalised.phones.length).toBe(ids.phones?.length ?? 0);
    }
    expect(names).toBeGreaterThan(40);
    expect(phones).toBeGreaterThanOrEqual(1);
  });
});
