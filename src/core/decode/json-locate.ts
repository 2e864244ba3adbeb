/**
 * Where is a JSON text broken? JSON.parse's messages differ between engines,
 * do not always give a position, and quote the input (which may hold raw
 * identifiers). This scanner (RFC 8259 grammar) finds the first offending
 * offset and describes it without echoing the text.
 */

export interface JsonSyntaxError {
  position: number;
  reason: string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);
const show = (ch: string | undefined) => (ch === undefined ? 'end of input' : /^[[\]{}:,"]$/.test(ch) ? `'${ch}'` : 'character');

/** The first syntax error of `text`, or undefined if it is valid JSON. */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (reason: string): never => {
    throw { position: i, reason } satisfies JsonSyntaxError;
  };
  const ws = () => {
    while (i < text.length && WS.has(text.charCodeAt(i))) i++;
  };
  const literal = (word: string) => {
    for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) fail(`unexpected ${show(text[i])}`);
  };
  const string = () => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i += 2;
            fail('bad \\u escape');
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else {
          i++;
          fail('bad escape');
        }
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail('bad number');
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 512) fail('nested too deeply');
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a property name in double quotes, found ${show(text[i])}`);
        string();
        ws();
        if (text[i] !== ':') fail(`expected ':', found ${show(text[i])}`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`expected ',' or '}', found ${show(text[i])}`);
      }
    } else if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`expected ',' or ']', found ${show(text[i])}`);
      }
    } else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) number();
    else fail(`unexpected ${show(ch)}`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`unexpected ${show(text[i])} after the JSON value`);
    return undefined;
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'position' in e) return e as JsonSyntaxError;
    throw e;
  }
}

/**
 * What RFC 8259 leaves open and Cairn refuses (RFC 7493, I-JSON): an object
 * with two members of the same name, which parsers resolve differently
 * (JSON.parse keeps the last, others the first), and an escaped lone
 * surrogate (`"\ud800"`), which is no character and becomes U+FFFD or an
 * error depending on the reader. Either lets two conforming nodes read one
 * signed text two ways. `text` must already be valid JSON: strings are
 * skipped whole, so the scan costs little beside JSON.parse.
 */
export function locateStrictJsonIssue(text: string): JsonSyntaxError | undefined {
  /** Member names seen in each open container: a set for an object, null for an array. */
  const open: (Set<string> | null)[] = [];
  let expectName = false;
  let backslash = text.indexOf('\\');
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: find its closing quote, checking each escape on the way.
      let j = i + 1;
      let escaped = false;
      for (;;) {
        if (backslash !== -1 && backslash < j) backslash = text.indexOf('\\', j);
        const quote = text.indexOf('"', j);
        if (backslash === -1 || backslash > quote) {
          j = quote;
          break;
        }
        escaped = true;
        if (text.charCodeAt(backslash + 1) !== 0x75 /* u */) {
          j = backslash + 2;
          continue;
        }
        const unit = parseInt(text.slice(backslash + 2, backslash + 6), 16);
        if (unit >= 0xdc00 && unit <= 0xdfff) return { position: backslash, reason: 'lone low surrogate escape (not a character)' };
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.slice(backslash + 6, backslash + 8) === '\\u' ? parseInt(text.slice(backslash + 8, backslash + 12), 16) : NaN;
          if (!(low >= 0xdc00 && low <= 0xdfff)) return { position: backslash, reason: 'lone high surrogate escape (not a character)' };
          j = backslash + 12;
        } else j = backslash + 6;
      }
      const names = open[open.length - 1];
      if (expectName && names) {
        const name = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j);
        if (names.has(name)) return { position: i, reason: 'duplicate member name in an object' };
        names.add(name);
        expectName = false;
      }
      i = j;
    } else if (c === 0x7b) {
      open.push(new Set());
      expectName = true;
    } else if (c === 0x5b) {
      open.push(null);
      expectName = false;
    } else if (c === 0x7d || c === 0x5d) {
      open.pop();
      expectName = false;
    } else if (c === 0x2c) {
      expectName = open[open.length - 1] != null;
    }
  }
  return undefined;
}
