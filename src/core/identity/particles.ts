/**
 * Name particles and prefixes that are written inconsistently across borders
 * ("van der Berg" / "Berg", "al-Hassan" / "Hassan", "bin Salman" / "Salman"),
 * so they are left out of match keys. Lists are part of the key version.
 */

/** Dropped wherever they stand as a separate token. */
export const PARTICLES: ReadonlySet<string> = new Set([
  // Dutch, German, Scandinavian
  'van', 'von', 'der', 'den', 'ter', 'ten', 'zu', 'zum', 'zur', 'af', 'av',
  // Romance
  'de', 'del', 'della', 'delle', 'dei', 'degli', 'di', 'da', 'das', 'do', 'dos', 'du', 'des', 'la', 'le', 'lo', 'les',
  // Arabic, Hebrew, Malay, Maghreb: article and "son/daughter of"
  'al', 'el', 'ul', 'bin', 'ibn', 'ben', 'bint', 'binti', 'ould', 'bat',
]);

/** Dropped only as a hyphenated prefix: Arabic article assimilated to a sun letter. */
export const HYPHEN_PARTICLES: ReadonlySet<string> = new Set([
  'ad', 'adh', 'an', 'ar', 'as', 'ash', 'at', 'ath', 'az',
  'ed', 'en', 'er', 'es', 'et', 'ez', 'ud', 'un', 'ur', 'us', 'uz',
]);

/** Arabic articles that may sit between "Abd"/"Abu" and the name they join. */
export const ARTICLES: ReadonlySet<string> = new Set(['al', 'el', 'ul', 'ol', 'il']);

/**
 * "Servant of" / "father of" forms that make one name with the next word:
 * Abd al-Rahman, Abdul Rahman, Abdelrahman and عبد الرحمن are one given name.
 */
export const JOINING_PREFIXES: ReadonlySet<string> = new Set([
  'abd', 'abdu', 'abdul', 'abdel', 'abdal', 'abdol', 'abdoul', 'abu', 'abou',
]);
