/**
 * The identifier model: what a node may know about a person (a child, an
 * offender, a missing or unaccompanied minor) before it turns it into match
 * keys. Attacker-controlled: records arrive from imports and peers, so every
 * object is strict (unknown fields rejected) and every string is bounded.
 *
 * This schema checks shape only. src/core/identity/parse.ts adds the checks
 * that need more than a field at a time (calendar dates, dates in the future,
 * phone numbering plans, mixed-script names) and turns everything into one
 * typed CairnError. Lengths are counted in Unicode code points, so another
 * implementation gets the same verdict whatever its string encoding.
 * See protocol/10-identifiers.md.
 */
import { z } from 'zod';
import { isCountryCode } from '../src/core/identity/countries.js';

/** Field length limits, in Unicode code points unless noted. */
export const IDENTIFIER_LIMITS = {
  nameField: 100,
  nameEntries: 10,
  aliasesPerEntry: 10,
  locality: 100,
  nationalities: 10,
  documents: 20,
  documentNumber: 40,
  phones: 20,
  phoneNumber: 40,
  emails: 20,
  /** RFC 5321 §4.5.3.1.3 path limit less the angle brackets. */
  email: 254,
  handles: 20,
  handle: 100,
  fileDigests: 100,
  /** Widest window of an estimated birth year, in years either side. */
  estimatedPlusMinus: 5,
} as const;

/** Reasons the CSV reader words again for a spreadsheet's author (csvReasonOf in src/core/records/csv-record.ts). */
export const IDENTIFIER_MESSAGES = {
  dayDate: 'expected YYYY-MM-DD',
  countryCode: 'not an ISO 3166-1 alpha-2 country code (upper case)',
} as const;

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

// Cc (C0/C1 controls), Cf (format: bidi overrides, embeddings and isolates,
// zero-width space, BOM), Co (private use) and lone surrogates. Allowed:
// ZWNJ/ZWJ (U+200C/U+200D), which Persian and Indic names need; the bidi
// marks LRM, RLM and ALM (U+200E, U+200F, U+061C) and the soft hyphen
// (U+00AD), which text copied out of right-to-left forms and word
// processors carries and which change no letter. Normalisation drops them.
const FORBIDDEN_CHAR = /[\p{Cc}\p{Co}\p{Cs}]|(?![\u200C-\u200F\u061C\u00AD])\p{Cf}/u;

/** The first forbidden character of `s`, named with its 1-based position; undefined if none. */
function forbiddenCharacter(s: string): string | undefined {
  // Every identifier text of every imported record passes here: one test of the whole string, and the walk only to name a culprit.
  if (!FORBIDDEN_CHAR.test(s)) return undefined;
  let at = 0;
  for (const ch of s) {
    at++;
    if (FORBIDDEN_CHAR.test(ch)) {
      const code = ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      return `contains U+${code} at character ${at}, a control or invisible formatting character: remove it`;
    }
  }
  return undefined;
}

/** A bounded string without control, format or private-use characters. */
export const boundedText = (max: number) =>
  z
    .string()
    .refine((s) => codePoints(s) <= max, { message: `longer than ${max} characters` })
    .superRefine((s, ctx) => {
      const why = forbiddenCharacter(s);
      if (why !== undefined) ctx.addIssue({ code: 'custom', message: why });
    });

/** A name part as written in any script; non-empty. */
export const NameTextSchema = boundedText(IDENTIFIER_LIMITS.nameField).refine((s) => s.trim().length > 0, {
  message: 'empty name',
});

/** ISO 3166-1 alpha-2, upper case (see src/core/identity/countries.ts). */
export const CountryCodeSchema = z
  .string()
  .refine((s) => isCountryCode(s), { message: IDENTIFIER_MESSAGES.countryCode });

/** One way the person's name was recorded. Any script. */
export const NameEntrySchema = z.strictObject({
  given: NameTextSchema.optional(),
  family: NameTextSchema.optional(),
  /** Patronymic or father's name, where the naming system has one. */
  patronymic: NameTextSchema.optional(),
  /** Other full names or nicknames, each written as one string. */
  aliases: z.array(NameTextSchema).max(IDENTIFIER_LIMITS.aliasesPerEntry).optional(),
});

const SEXES = ['female', 'male', 'other', 'unknown'] as const;
export const SexSchema = z.enum(SEXES, { error: `must be one of ${SEXES.join(', ')}` });

/**
 * Date of birth at the precision it is known. A `day` date of 1 January is
 * taken as a likely placeholder for "year only" when keys are derived
 * (protocol/10-identifiers.md, "Dates of birth").
 */
export const DateOfBirthSchema = z.discriminatedUnion('precision', [
  z.strictObject({
    precision: z.literal('day'),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: IDENTIFIER_MESSAGES.dayDate }),
  }),
  z.strictObject({
    precision: z.literal('month'),
    date: z.string().regex(/^\d{4}-\d{2}$/, { message: 'expected YYYY-MM' }),
  }),
  z.strictObject({
    precision: z.literal('year'),
    date: z.string().regex(/^\d{4}$/, { message: 'expected YYYY' }),
  }),
  z.strictObject({
    precision: z.literal('estimated'),
    date: z.string().regex(/^\d{4}$/, { message: 'expected YYYY' }),
    plusMinusYears: z.number().int().min(0).max(IDENTIFIER_LIMITS.estimatedPlusMinus),
  }),
  z.strictObject({ precision: z.literal('unknown') }),
]);

export const PlaceOfBirthSchema = z.strictObject({
  country: CountryCodeSchema.optional(),
  locality: boundedText(IDENTIFIER_LIMITS.locality).optional(),
});

export const DOCUMENT_TYPES = [
  'passport',
  'national_id',
  'residence_permit',
  'travel_document',
  'refugee_id',
  'birth_certificate',
  'drivers_licence',
  'visa',
  'other',
] as const;

export const DocumentSchema = z.strictObject({
  type: z.enum(DOCUMENT_TYPES, { error: `must be one of ${DOCUMENT_TYPES.join(', ')}` }),
  issuingCountry: CountryCodeSchema,
  /** As printed; spaces, hyphens, dots and slashes are ignored when keyed. */
  number: boundedText(IDENTIFIER_LIMITS.documentNumber),
});

export const PhoneSchema = z.strictObject({
  /** International ("+44 20 …") or national form; national needs `country`. */
  number: boundedText(IDENTIFIER_LIMITS.phoneNumber),
  /** Country whose numbering plan a national-form number follows. */
  country: CountryCodeSchema.optional(),
});

export const EmailSchema = boundedText(IDENTIFIER_LIMITS.email);

/**
 * Platform slugs are lower-case ASCII; peers must use the same slug for the
 * same service (protocol/10-identifiers.md lists the agreed ones).
 */
export const PlatformSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,31}$/, { message: 'expected a lower-case platform slug, e.g. "telegram"' });

export const HandleSchema = z.strictObject({
  platform: PlatformSchema,
  handle: boundedText(IDENTIFIER_LIMITS.handle),
});

/** SHA-256 digest of a file, 64 hex digits (either case). */
export const FileSha256Schema = z.string().regex(/^[0-9a-fA-F]{64}$/, { message: 'expected 64 hex digits' });

/** Everything known about one person. Unknown fields are rejected. */
export const IdentifiersSchema = z.strictObject({
  names: z.array(NameEntrySchema).max(IDENTIFIER_LIMITS.nameEntries).optional(),
  sex: SexSchema.optional(),
  dateOfBirth: DateOfBirthSchema.optional(),
  placeOfBirth: PlaceOfBirthSchema.optional(),
  nationalities: z.array(CountryCodeSchema).max(IDENTIFIER_LIMITS.nationalities).optional(),
  documents: z.array(DocumentSchema).max(IDENTIFIER_LIMITS.documents).optional(),
  phones: z.array(PhoneSchema).max(IDENTIFIER_LIMITS.phones).optional(),
  emails: z.array(EmailSchema).max(IDENTIFIER_LIMITS.emails).optional(),
  handles: z.array(HandleSchema).max(IDENTIFIER_LIMITS.handles).optional(),
  fileSha256: z.array(FileSha256Schema).max(IDENTIFIER_LIMITS.fileDigests).optional(),
});

export type NameEntry = z.infer<typeof NameEntrySchema>;
export type Sex = z.infer<typeof SexSchema>;
export type DateOfBirth = z.infer<typeof DateOfBirthSchema>;
export type PlaceOfBirth = z.infer<typeof PlaceOfBirthSchema>;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];
export type IdentityDocument = z.infer<typeof DocumentSchema>;
export type Phone = z.infer<typeof PhoneSchema>;
export type Handle = z.infer<typeof HandleSchema>;
export type Identifiers = z.infer<typeof IdentifiersSchema>;
