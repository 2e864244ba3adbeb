/**
 * Turning one untrusted record (an HTTP batch item or an import row) into a
 * validated record, or a list of every problem with its field.
 * Attacker-controlled input: parse defensively; messages never echo values.
 */
import { recordEnvelopeSchema, type RecordEnvelope } from '../../../schemas/records.js';
import { hasMatchKey, MATCH_KEY_NEEDS, parseIdentifiers, placeholderNote, type Identifiers } from '../identity/index.js';
import { isCairnError } from '../errors.js';
import { formatPath } from '../decode/json-body.js';

export interface ParsedRecord {
  ref: string;
  category: RecordEnvelope['category'];
  owningUnit: string;
  contactPoint: string;
  recordDate: string;
  retentionUntil: string;
  identifiers: Identifiers;
}

export interface FieldError {
  field: string;
  reason: string;
}

/**
 * Validate a record against the schema and today's date (YYYY-MM-DD, UTC),
 * and require that its identifiers give at least one match key.
 * `phoneCountry`, the node's country, is the numbering plan of phones given
 * in national or "00…" form without a country.
 */
export function parseRecord(
  input: unknown,
  today: string,
  opts: { phoneCountry?: string } = {},
): { ok: true; record: ParsedRecord } | { ok: false; ref?: string; errors: FieldError[] } {
  const env = recordEnvelopeSchema.safeParse(input);
  const ref = typeof (input as { ref?: unknown })?.ref === 'string' ? ((input as { ref: string }).ref.slice(0, 128)) : undefined;
  const errors: FieldError[] = [];
  if (!env.success) {
    for (const i of env.error.issues) {
      const field = formatPath(i.path);
      errors.push({ field, reason: i.code === 'unrecognized_keys' ? `unknown field(s) ${i.keys.join(', ')}` : i.message });
    }
    return { ok: false, ...(ref !== undefined ? { ref } : {}), errors };
  }
  const e = env.data;
  if (e.retentionUntil < today) errors.push({ field: 'retentionUntil', reason: `is in the past (today is ${today}); a record past retention may not be stored` });
  if (e.recordDate > today) errors.push({ field: 'recordDate', reason: `is in the future (today is ${today})` });
  let identifiers: Identifiers | undefined;
  try {
    identifiers = parseIdentifiers(e.identifiers, opts.phoneCountry !== undefined ? { phoneCountry: opts.phoneCountry } : {});
  } catch (err) {
    if (!isCairnError(err)) throw err;
    const issues = (err.details?.issues as { field: string; message: string }[] | undefined) ?? [{ field: err.location?.field ?? '', message: err.message }];
    for (const i of issues) errors.push({ field: i.field ? `identifiers.${i.field}` : 'identifiers', reason: i.message });
  }
  if (errors.length || identifiers === undefined) return { ok: false, ref: e.ref, errors };
  // Valid identifiers that give no key (a given name alone, a name without a
  // date of birth) would be stored where no search can ever reach them. The
  // check stops at the first key; the importer derives them all once, for
  // the record's fingerprint and its tokens.
  if (!hasMatchKey(identifiers)) return { ok: false, ref: e.ref, errors: [{ field: 'identifiers', reason: `give no match key, so no peer could ever find this record: ${MATCH_KEY_NEEDS}${placeholderNote(identifiers)}` }] };
  return {
    ok: true,
    record: {
      ref: e.ref,
      category: e.category,
      owningUnit: e.owningUnit,
      contactPoint: e.contactPoint,
      recordDate: e.recordDate,
      retentionUntil: e.retentionUntil,
      identifiers,
    },
  };
}

