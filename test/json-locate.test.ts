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

describe('strict JSON (RFC 7493): duplicate member names and lone surrogates', () => {
  const issue = (text: string) => {
    try {
      parseJsonText(text);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('refuses a name twice in one object, however it is escaped, and never quotes it', () => {
    expect(issue('{"ref":"a","ref":"b"}')).toBe('malformed JSON at position 11 (line 1, column 12): duplicate member name in an object');
    expect(issue('{"r\\u0065f":"Olena","ref":"b"}')).toMatch(/duplicate member name/);
    expect(issue('{"a":{"b":1,"c":{"b":2,"b":3}}}')).toMatch(/position 23 .*duplicate member name/);
    expect(issue('{"":1,"":2}')).toMatch(/duplicate member name/);
    expect(issue('{"ref":"Olena","ref":"Olena"}')).not.toContain('Olena');
    // The same name in sibling objects, in arrays, or inside a string is not a duplicate.
    for (const ok of ['{"a":{"x":1},"b":{"x":2}}', '[{"a":1},{"a":2}]', '{"a":"{\\"a\\":1}","b":"\\"a\\":"}', '{"a":[1,{"b":1,"c":2}],"d":{"b":3}}', '{"a\\\\":1,"a":2}']) expect(issue(ok), ok).toBeUndefined();
  });

  it('refuses an escaped lone surrogate, and accepts a pair and an escaped backslash before u', () => {
    expect(issue('{"a":"\\ud800"}')).toBe('malformed JSON at position 6 (line 1, column 7): lone high surrogate escape (not a character)');
    expect(issue('["x\\udc00"]')).toMatch(/position 3 .*lone low surrogate/);
    expect(issue('["\\ud800\\u0041"]')).toMatch(/lone high surrogate/);
    expect(issue('["\\ud83d\\ude00"]')).toBeUndefined();
    expect(issue('["\\\\ud800"]')).toBeUndefined();
  });

  it('gives what JSON.parse gives for every JSON text without either', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const value = JSON.parse(text) as unknown;
        // fast-check's texts come from JSON.stringify: unique names, no lone surrogates escaped (stringify escapes them as \udXXX, so skip those).
        if (/\\ud[89a-f]/i.test(text)) return;
        expect(parseJsonText(text)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });
});
