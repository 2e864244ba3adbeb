import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../src/core/decode/json-body.js';
import { locateJsonError } from '../src/core/decode/json-locate.js';

describe('locateJsonError', () => {
  it('accepts exactly what JSON.parse accepts', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('', ',', ']', '}', '"', ':', 'x', '\u0001'), (json, at, junk) => {
        const broken = json.slice(0, at % (json.length + 1)) + junk + json.slice(at % (json.length + 1));
        for (const text of [json, broken]) {
          let ok = true;
          try {
            JSON.parse(text);
          } catch {
            ok = false;
          }
          expect(locateJsonError(text) === undefined).toBe(ok);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('names the position, line and column, and never quotes the input', () => {
    const secret = '{"name": "Olena Shevchenko", "dob": 2012-01-01}';
    try {
      parseJsonText(secret);
      expect.unreachable();
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toBe("malformed JSON at position 40 (line 1, column 41): expected ',' or '}', found character");
      expect(msg).not.toContain('Olena');
    }
    expect(locateJsonError('{\n  "a": [1,\n  ]\n}')).toEqual({ position: 15, reason: 'unexpected \']\'' });
    expect(locateJsonError('')).toEqual({ position: 0, reason: 'unexpected end of input' });
  });
});
