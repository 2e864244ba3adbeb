/**
 * Identity: identifiers in, match keys out. The public surface of
 * src/core/identity; see protocol/10-identifiers.md.
 */
import { MATCH_KEYS } from '../constants.js';
import type { MatchKeyType } from './matchkeys.js';

export { parseIdentifiers, formatField, namePlaceholderFields, placeholderNote, type IdentifierIssue, type ParseIdentifiersOptions } from './parse.js';
export {
  deriveMatchKeys,
  deriveQueryKeys,
  hasMatchKey,
  strengthAtLeast,
  strengthRank,
  strongestOf,
  MATCH_KEY_TYPES,
  type MatchKey,
  type MatchKeyStrength,
  type MatchKeyType,
  type MatchKeyTypeInfo,
} from './matchkeys.js';
export { bucketOf } from './bucket.js';
export { encodeMatchKey, decodeMatchKey, type DecodedMatchKey } from './encoding.js';
export { normaliseNameField } from './normalise-name.js';
export { phoneticCodes } from './phonetic.js';
export { transliterate } from './transliterate.js';
export { isCountryCode, ISO_3166_ALPHA2 } from './countries.js';
export type {
  Identifiers,
  NameEntry,
  DateOfBirth,
  Sex,
  IdentityDocument,
  Phone,
  Handle,
  PlaceOfBirth,
} from '../../../schemas/identifiers.js';

/**
 * What identifiers need to give a match key (protocol/10-identifiers.md):
 * the one explanation a refused record, a refused search and the console's
 * search form give.
 */
export const MATCH_KEY_NEEDS =
  "a name needs two or more words (given and family name, a father's name, or a full name as an alias) and a date of birth (exact, month, year or estimate), or one word and an exact date of birth (not a 1 January placeholder); or add a document, phone number, e-mail address, handle or file digest";

/** Version byte of every encoded match key. */
export const MATCH_KEY_VERSION: number = MATCH_KEYS.version;

/** Names of every match key type, in type-id order. */
export const MATCH_KEY_TYPE_NAMES: readonly MatchKeyType[] = (Object.keys(MATCH_KEYS.types) as MatchKeyType[]).sort(
  (a, b) => MATCH_KEYS.types[a].id - MATCH_KEYS.types[b].id,
);
