/**
 * Submitted console forms. Bodies are application/x-www-form-urlencoded
 * (the console has no uploads), read with a size limit and kept as ordered
 * name/value pairs, so a form can be carried through a sign-in unchanged.
 * Attacker-controlled: any field may be missing, repeated or oversized.
 */
import { fromUtf8 } from '../../core/bytes.js';
import { CairnError, isCairnError } from '../../core/errors.js';
import { readBody } from '../../core/decode/json-body.js';

/** Console forms are small; anything bigger is not one of ours. */
export const MAX_FORM_BYTES = 64 * 1024;

/** Ordered text fields of a submitted form. */
export class FormFields {
  constructor(readonly pairs: readonly (readonly [string, string])[]) {}

  /** The first value of `name`, or '' (an absent field and an empty one read the same). */
  get(name: string): string {
    return this.pairs.find(([k]) => k === name)?.[1] ?? '';
  }

  /** Every value of `name`, in order. */
  all(name: string): string[] {
    return this.pairs.filter(([k]) => k === name).map(([, v]) => v);
  }

  /** The fields whose names start with `prefix`, with the prefix removed. */
  under(prefix: string): FormFields {
    return new FormFields(this.pairs.filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v] as const));
  }

  /** Fields without those named in `drop`. */
  without(...drop: string[]): FormFields {
    return new FormFields(this.pairs.filter(([k]) => !drop.includes(k)));
  }

  static empty = new FormFields([]);
}

/** Read a urlencoded form body. */
export async function readForm(req: Request): Promise<FormFields> {
  const ct = req.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(ct)) {
    throw new CairnError('unsupported_media_type', `console forms are application/x-www-form-urlencoded, got ${ct === '' ? 'none' : JSON.stringify(ct)}`);
  }
  let text: string;
  try {
    text = fromUtf8(await readBody(req, MAX_FORM_BYTES));
  } catch (cause) {
    if (isCairnError(cause)) throw cause;
    throw new CairnError('invalid_request', 'form body is not UTF-8', { cause });
  }
  return new FormFields([...new URLSearchParams(text)]);
}
