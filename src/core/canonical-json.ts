/**
 * Canonical JSON for hashed and signed data (audit entries, receipts):
 * object keys sorted by UTF-16 code units, no whitespace, strings as
 * JSON.stringify writes them, integers only (no floats: their text form is
 * not portable across implementations). A subset of RFC 8785 (JCS) that is
 * byte-identical to it for the values Cairn uses.
 */
import { CairnError } from './errors.js';

export type CanonicalValue = null | boolean | number | string | CanonicalValue[] | { [k: string]: CanonicalValue | undefined };

/** Serialise a value canonically; throws on floats, NaN, or non-JSON values. */
export function canonicalJson(v: CanonicalValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v)) throw new CairnError('internal', `canonical JSON admits safe integers only, got ${v}`);
      return String(v);
    case 'string':
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
      const keys = Object.keys(v)
        .filter((k) => v[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k]!)}`).join(',')}}`;
    }
    default:
      throw new CairnError('internal', `canonical JSON cannot encode a ${typeof v}`);
  }
}
