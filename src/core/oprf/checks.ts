/**
 * Argument checks at the boundary of the OPRF module. Every public function
 * checks its arguments here first, so a bad call fails with one message shape
 * ("<field>: <what is wrong>") and a typed CairnError, never deep inside the
 * curve library.
 */
import { OPRF } from '../constants.js';
import { CairnError, isCairnError, type ErrorCode } from '../errors.js';

/**
 * Where an OPRF argument problem is: a field name, or item `index` of the
 * batch named `batch` (the field is then `batch[index]` and the error keeps
 * the index as a number).
 */
export type OprfField = string | { readonly batch: string; readonly index: number };

/** The field name of `at`: `batch[index]` for a batch item. */
function fieldName(at: OprfField): string {
  return typeof at === 'string' ? at : `${at.batch}[${at.index}]`;
}

/**
 * Build the module's error: "<field>: <problem>", with the field (and a batch
 * item's index) as location. The problem is kept in `details.problem`, so
 * `relocate` can name the field in a caller's terms without parsing the message.
 */
export function oprfError(code: ErrorCode, at: OprfField, problem: string, cause?: unknown): CairnError {
  const field = fieldName(at);
  return new CairnError(code, `${field}: ${problem}`, {
    location: typeof at === 'string' ? { field } : { field, index: at.index },
    details: { problem },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * The same OPRF error about another place: `at` in the caller's terms (an
 * item of a caller's batch, a peer's request field). Errors that do not come
 * from `oprfError` are returned unchanged.
 */
export function relocate(e: unknown, at: OprfField): unknown {
  if (!isCairnError(e) || typeof e.details?.problem !== 'string') return e;
  return oprfError(e.code, at, e.details.problem, e);
}

/** Require a Uint8Array (of `length` bytes when given); fails with `code`. */
export function requireBytes(
  value: unknown,
  field: OprfField,
  length?: number,
  code: ErrorCode = 'oprf_invalid_input',
): Uint8Array {
  if (!(value instanceof Uint8Array)) throw oprfError(code, field, 'expected a Uint8Array');
  if (length !== undefined && value.length !== length) {
    throw oprfError(code, field, `expected ${length} bytes, got ${value.length}`);
  }
  return value;
}

/**
 * Require a protocol input (PrivateInput): bytes of at most 2^16 - 1 bytes.
 * https://www.rfc-editor.org/rfc/rfc9497#section-1.2
 */
export function requireInput(value: unknown, field: OprfField): Uint8Array {
  const bytes = requireBytes(value, field);
  if (bytes.length > OPRF.maxInputLength) {
    throw oprfError('oprf_invalid_input', field, `expected at most ${OPRF.maxInputLength} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Require a non-empty array; batch sizes of zero have no meaningful proof. */
export function requireBatch(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw oprfError('oprf_invalid_input', field, 'expected an array');
  if (value.length === 0) throw oprfError('oprf_invalid_input', field, 'expected at least one item');
  return value;
}

/** Require FinalizeBatch's arrays to be batches of one item per input; returns the batch size. */
export function requireFinalizeBatches(
  inputs: unknown,
  others: { blinds: unknown; evaluatedElements: unknown; blindedElements: unknown },
): number {
  const n = requireBatch(inputs, 'inputs').length;
  for (const [field, arr] of Object.entries(others)) {
    const m = requireBatch(arr, field).length;
    if (m !== n) throw oprfError('oprf_invalid_input', field, `expected ${n} items (one per input), got ${m}`);
  }
  return n;
}

/**
 * Require a padded batch: evaluated and blinded elements and blinds one per
 * element sent, and the inputs for a prefix of them (the real keys; the rest
 * are dummies, whose blinds are their scalars and which have nothing to
 * finalize). Returns the count of elements.
 */
export function requirePaddedBatches(inputs: unknown, blinds: unknown, evaluatedElements: unknown, blindedElements: unknown): number {
  const n = requireBatch(evaluatedElements, 'evaluatedElements').length;
  const m = requireBatch(blindedElements, 'blindedElements').length;
  if (m !== n) throw oprfError('oprf_invalid_input', 'blindedElements', `expected ${n} items (one per evaluated element), got ${m}`);
  const k = requireBatch(inputs, 'inputs').length;
  if (k > n) throw oprfError('oprf_invalid_input', 'inputs', `${k} inputs for ${n} evaluated elements`);
  const b = requireBatch(blinds, 'blinds').length;
  if (b !== n) throw oprfError('oprf_invalid_input', 'blinds', `expected ${n} items (one per element), got ${b}`);
  return n;
}
