/**
 * Argument checks at the boundary of the OPRF module. Every public function
 * checks its arguments here first, so a bad call fails with one message shape
 * ("<field>: <what is wrong>") and a typed CairnError, never deep inside the
 * curve library.
 */
import { OPRF } from '../constants.js';
import { CairnError, type ErrorCode } from '../errors.js';

/** Build the module's error: "<field>: <problem>", with the field as location. */
export function oprfError(code: ErrorCode, field: string, problem: string, cause?: unknown): CairnError {
  return new CairnError(code, `${field}: ${problem}`, {
    location: { field },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Require a Uint8Array (of `length` bytes when given); fails with `code`. */
export function requireBytes(
  value: unknown,
  field: string,
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
export function requireInput(value: unknown, field: string): Uint8Array {
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
