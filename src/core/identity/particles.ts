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
  // Arabic, Malay, Mauritanian: article and "son/daughter of" (Maghreb "ben" joins instead)
  'al', 'el', 'ul', 'bin', 'ibn', 'bint', 'binti', 'ould', 'bat',
  // Vietnamese middle names marking sex (Văn, Thị), written or left out by registers
  'thi',
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
  'abd', 'abdu', 'abdul', 'abdel', 'abdal', 'abdol', 'abdoul', 'abdur', 'abdus', 'abu', 'abou',
  // Maghreb surnames: Ben Ali / Benali / بن علي, Bou Zid / Bouzid.
  'ben', 'bn', 'bou',
  // South Asian Ud Din / Uddin; Dari and Pashto Gul Ahmad / Gulahmad, Ghulam Ali / Gholamali.
  // گل and غلام unvocalised are "gl" and "ghlam".
  'ud', 'gul', 'gl', 'ghulam', 'gholam', 'ghlam',
  // Ge'ez compound names: Habte Mariam / Habtemariam, Wolde Giorgis, Gebre Selassie, Tekle Haimanot.
  'gebre', 'ghebre', 'habte', 'wolde', 'welde', 'walda', 'tekle', 'tecle',
]);

/**
 * Word endings written apart or solid that make one name with the word
 * before: Pashto tribal -zai (Ahmad Zai / Ahmadzai) and -khel, theophoric
 * -ullah (Rahmat Ullah / Rahmatullah, ذبیح الله / Zabihullah).
 */
export const JOINING_SUFFIXES: ReadonlySet<string> = new Set([
  'zai', 'zay', 'zoy', 'zei', 'khel', 'khil', 'ullah', 'ulla', 'ollah', 'olla', 'allah', 'allh',
  // Persian compounds: Ali Reza / Alireza, Mohammad Reza / Mohammadreza (رضا: "rza").
  'reza', 'rza',
]);

/**
 * Words a register writes where it does not know a name: the abbreviations
 * of immigration and police records (FNU, LNU, MNU: first, last, middle name
 * unknown; NFN, NLN, NMN: no first, last, middle name; UNK; NN, nomen nescio)
 * and "unknown" in the languages of the registers Cairn serves, as they
 * normalise (Неизвестный → neizvestnyy, مجهول → mdzhhul, نامعلوم → namalum).
 * Dropped wherever they stand, even when nothing is left: a placeholder is
 * no name, and two records sharing one are not the same person. Words that
 * are also family names somewhere (Czech Neznámý) are not listed.
 */
export const NAME_PLACEHOLDERS: ReadonlySet<string> = new Set([
  'fnu', 'lnu', 'mnu', 'nfn', 'nln', 'nmn', 'unk', 'nn',
  'unknown', 'unbekannt', 'inconnu', 'inconnue', 'desconocido', 'desconocida', 'desconhecido', 'desconhecida',
  'sconosciuto', 'sconosciuta', 'onbekend', 'nieznany', 'nieznana', 'nieznane', 'necunoscut', 'necunoscuta',
  'ismeretlen', 'okand', 'okant', 'ukjent', 'ukendt', 'tuntematon', 'tundmatu', 'nezinams', 'nezinomas',
  'nepoznat', 'nepoznata', 'nepoznato', 'neizvestno', 'neizvestnyy', 'neizvestnaya', 'nevidomo', 'nevidomiy',
  'nevidoma', 'agnostos', 'agnosti', 'agnosto', 'bilinmiyor', 'bilinmeyen', 'mdzhhul', 'mdzhhula', 'namalum', 'nashnas',
  // The same words as registers romanise them (ICAO, German, Polish, English
  // habits; Arabic, Egyptian and Dari spellings; Amharic ያልታወቀ; Albanian
  // i/e panjohur; Turkish meçhul), which normalisation does not bring to the forms above.
  'neizvestnyi', 'neizvestnyj', 'neiswestnyj', 'neizwestnyj', 'neizvestny', 'neizvestnaia', 'neizvestnaja', 'neiswestnaja',
  'neizwestnaja', 'neiswestno', 'neizwestno', 'neizvesten', 'neiswesten', 'neizwesten', 'nevidomyy', 'nevidomyi', 'nevidomyj',
  'newidomyj', 'newidoma', 'newidomo', 'majhul', 'majhool', 'majhoul', 'maghool', 'maghul', 'majhula', 'majhoola', 'majhoula',
  'maghoola', 'maghula', 'namaloom', 'namaalum', 'namalumh', 'yaltaweke', 'yaltawekech', 'panjohur', 'nepoznati', 'nieznani', 'mechul',
]);

/**
 * Whole fields that say the name is not known, as their parts joined by one
 * space: N.N. (nomen nescio, written with its dots), "Not known", "غير معروف",
 * Vietnamese "Không rõ".
 * Their words are names on their own (No, Maruf), so only the whole field counts.
 */
export const NAME_PLACEHOLDER_FIELDS: ReadonlySet<string> = new Set([
  'n n', 'not known', 'not stated', 'no name', 'name unknown', 'nomen nescio', 'ghir maruf', 'khong ro',
]);

/**
 * Forms of address written before a name: English, French and German
 * registers put them in the name field when they export a title column
 * with it (Miss Amina, Master Ali, Mme Anne). Kept, "Miss" would be the
 * first given name, the one paired with the family name, and the person's
 * own first name would pair with nothing. Dropped only at the start of a
 * field and never when nothing else is left: Master and Herr are family
 * names too.
 */
export const TITLES: ReadonlySet<string> = new Set([
  'mr', 'mrs', 'ms', 'miss', 'mx', 'mstr', 'master', 'dr', 'prof', 'mme', 'mlle', 'herr', 'frau',
  // Bangladeshi Mst. / Mosammat before a woman's name, as Md. before a man's (which is a name: ABBREVIATIONS).
  'mst', 'most', 'mosammat', 'mosamat', 'mossammat', 'mosammet',
]);

/**
 * Abbreviations expanded to the name they stand for: Bangladeshi and
 * Malaysian "Md.", "Mohd." before the name a person is called by.
 */
export const ABBREVIATIONS: ReadonlyMap<string, string> = new Map([
  ['md', 'muhammad'],
  ['mohd', 'muhammad'],
  ['muhd', 'muhammad'],
  ['mhd', 'muhammad'],
]);

/**
 * The commonest Vietnamese family names, which together cover most of the
 * population (Nguyễn alone about two in five), as normalised tokens, with
 * the Đ names also as "d" (registers without diacritics write Đ as D).
 */
export const VIETNAMESE_FAMILY_NAMES: ReadonlySet<string> = new Set([
  'nguyen', 'tran', 'le', 'pham', 'hoang', 'huynh', 'phan', 'vu', 'vo', 'dang', 'bui', 'do', 'ho', 'ngo',
  'duong', 'ly', 'dinh', 'doan', 'trinh', 'truong', 'luong', 'lam', 'cao', 'quach', 'trieu',
  'djang', 'djo', 'djinh', 'djoan',
]);
