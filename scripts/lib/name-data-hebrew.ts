/**
 * Hebrew-origin names for the supplementary "Hebrew names" measurement of
 * the matching evaluation (hebrew-names-eval.ts). No real person: common
 * given and family names in Israel, each in the unpointed spelling Israeli
 * records use (full spelling, ktiv male, with its vowel letters ו and י and
 * the final forms ך ם ן ף ץ), and the Latin spellings registers produce for
 * it, repeated by how often they are seen. This pool is not an origin of the
 * main population (name-data.ts ORIGINS) and changes none of its figures.
 *
 * Habits and where they come from (described, not copied from any list):
 *  - Israeli passports and the Population Authority's Latin fields: the
 *    Academy of the Hebrew Language's simplified transliteration as
 *    passports write it, listed first and repeated: ח as h, כ after a vowel
 *    as kh or ch, צ as tz (or ts), ו as v, ש as sh, no final h for a final
 *    ה, א and ע left out or written as the vowel they carry (Yosef,
 *    Avraham, Yitzhak, Yaakov, Haim, Tzipora, Shapira).
 *  - English and American habits: ch for ח and כ (Chaim, Mordechai, Rachel,
 *    Bracha), a final h for ה (Sarah, Rivkah, Leah), double letters
 *    (Hadass, Ittai, Haddad), y for final י (Levy, Ashkenazy).
 *  - German and Yiddish-derived surnames as their families spelt them
 *    before Hebrew records: w for ו, sch, ei, final -mann (Weiss, Weinberg,
 *    Rabinowitz, Schapira, Zilbermann); j for י only in the German forms
 *    of given names that really use it (Jehuda, Jael).
 *  - French habits, for North African families and francophone registers:
 *    ou for ו, ch for ש, diaereses (Aboutboul, Ouhayoun, Azoulay, Haïm,
 *    Michaël).
 *  - Translations rather than transliterations (Abraham for Avraham, Jacob
 *    for Yaakov) are listed once among several spellings, as a register
 *    writing an English form now and then: they stand for real records,
 *    and CPH1 is not expected to join them.
 *
 * The measurement's question is ב כ פ after the word's first letter, which
 * unpointed script does not mark hard (dagesh: b, k, p) or soft (v, kh,
 * f), so every name with one is tagged by how it is pronounced: hard in
 * Goldberg, Kaplan, Shapira, Malka, soft in Rivka, Mordechai, Avraham.
 * Tzipora is hard (a doubled p), and is written ציפורה with its yod, as
 * Israeli records write it.
 */
import type { SpelledName } from './name-data.js';

/** How a name's ב כ פ after its first letter are pronounced: hard (b, k, p) or soft (v, kh, f). */
export type BkpSound = 'hard' | 'soft';

/** A name in unpointed Hebrew and its Latin spellings; `bkp` set when it has ב כ פ after its first letter. */
export interface HebrewName extends SpelledName {
  bkp?: BkpSound;
}

/** The pool the measurement draws from: not an `OriginPool`, whose origins are the main population's. */
export interface HebrewPool {
  country: 'IL';
  male: readonly HebrewName[];
  female: readonly HebrewName[];
  family: readonly HebrewName[];
}

const n = (native: string, ...latin: string[]): HebrewName => ({ native, latin });
const hard = (native: string, ...latin: string[]): HebrewName => ({ native, latin, bkp: 'hard' });
const soft = (native: string, ...latin: string[]): HebrewName => ({ native, latin, bkp: 'soft' });

export const HEBREW: HebrewPool = {
  country: 'IL',
  male: [
    soft('יוסף', 'Yosef', 'Yosef', 'Yosef', 'Yossef', 'Josef', 'Joseph'),
    n('דוד', 'David', 'David', 'David', 'Dovid'),
    // Abraham: the English form, a translation.
    soft('אברהם', 'Avraham', 'Avraham', 'Avraham', 'Abraham'),
    n('יצחק', 'Yitzhak', 'Yitzhak', 'Itzhak', 'Itzhak', 'Yitzchak', 'Yitshak', 'Izhak'),
    // Jacob: the English form, a translation.
    soft('יעקב', 'Yaakov', 'Yaakov', "Ya'akov", 'Yakov', 'Yacov', 'Jacob'),
    soft('מרדכי', 'Mordechai', 'Mordechai', 'Mordehai', 'Mordekhai', 'Mordechay'),
    n('משה', 'Moshe', 'Moshe', 'Moshe', 'Moshé', 'Mosche'),
    n('שמואל', 'Shmuel', 'Shmuel', 'Shmuel', 'Schmuel', 'Shemuel'),
    n('בנימין', 'Binyamin', 'Binyamin', 'Benjamin', 'Binjamin', 'Benyamin'),
    n('נועם', 'Noam', 'Noam', 'Noam'),
    n('איתי', 'Itay', 'Itay', 'Itai', 'Itai', 'Ittai'),
    n('עומר', 'Omer', 'Omer', 'Omer'),
    n('אורי', 'Uri', 'Uri', 'Ori', 'Oury'),
    n('יונתן', 'Yonatan', 'Yonatan', 'Yonatan', 'Jonathan', 'Jonatan'),
    n('איתן', 'Eitan', 'Eitan', 'Etan', 'Eytan', 'Ethan'),
    n('אריאל', 'Ariel', 'Ariel', 'Ariel'),
    n('דניאל', 'Daniel', 'Daniel', 'Daniel'),
    soft('נדב', 'Nadav', 'Nadav', 'Nadav'),
    n('עידו', 'Ido', 'Ido', 'Iddo'),
    n('אליהו', 'Eliyahu', 'Eliyahu', 'Eliahu', 'Eliyahou'),
    n('חיים', 'Haim', 'Haim', 'Chaim', 'Chaim', 'Hayim', 'Haïm'),
    n('יהודה', 'Yehuda', 'Yehuda', 'Yehuda', 'Yehudah', 'Jehuda'),
    soft('רפאל', 'Refael', 'Refael', 'Rafael', 'Rafael', 'Raphael', 'Raphaël'),
    soft('מיכאל', 'Michael', 'Michael', 'Michael', 'Mikhael', 'Michaël'),
    n('אהרון', 'Aharon', 'Aharon', 'Aharon', 'Aaron', 'Aron'),
    soft('גבריאל', 'Gavriel', 'Gavriel', 'Gabriel', 'Gabriel'),
    soft('צבי', 'Tzvi', 'Tzvi', 'Zvi', 'Zvi', 'Tsvi', 'Zwi'),
    n('עמית', 'Amit', 'Amit', 'Amit'),
    n('אלון', 'Alon', 'Alon', 'Alon'),
    n('רועי', 'Roi', 'Roi', 'Roee', 'Roy'),
    n('שלמה', 'Shlomo', 'Shlomo', 'Shlomo', 'Schlomo'),
    soft('יובל', 'Yuval', 'Yuval', 'Yuval'),
    soft('ברוך', 'Baruch', 'Baruch', 'Barukh', 'Baruh'),
    n('אליעזר', 'Eliezer', 'Eliezer', 'Eliezer', 'Elieser'),
  ],
  female: [
    n('שרה', 'Sara', 'Sara', 'Sarah', 'Sarah'),
    soft('רבקה', 'Rivka', 'Rivka', 'Rivka', 'Rivkah'),
    n('רחל', 'Rachel', 'Rachel', 'Rahel', 'Rakhel'),
    n('לאה', 'Lea', 'Lea', 'Leah', 'Leah'),
    n('מרים', 'Miriam', 'Miriam', 'Miriam', 'Miryam', 'Myriam'),
    n('נועה', 'Noa', 'Noa', 'Noa', 'Noah'),
    n('תמר', 'Tamar', 'Tamar', 'Tamar'),
    n('יעל', 'Yael', 'Yael', 'Yael', 'Yaël', 'Jael'),
    n('שירה', 'Shira', 'Shira', 'Shira'),
    n('מאיה', 'Maya', 'Maya', 'Maya', 'Maia'),
    n('טל', 'Tal', 'Tal', 'Tal'),
    soft('אביגיל', 'Avigail', 'Avigail', 'Abigail', 'Avigayil'),
    n('הדס', 'Hadas', 'Hadas', 'Hadas', 'Hadass'),
    n('אסתר', 'Ester', 'Ester', 'Esther', 'Esther'),
    soft('מיכל', 'Michal', 'Michal', 'Michal', 'Mikhal'),
    soft('אפרת', 'Efrat', 'Efrat', 'Efrat', 'Ephrat'),
    n('חנה', 'Hana', 'Hana', 'Hanna', 'Chana', 'Hannah'),
    hard('מלכה', 'Malka', 'Malka', 'Malka', 'Malkah'),
    soft('טובה', 'Tova', 'Tova', 'Tova', 'Tovah'),
    n('איילת', 'Ayelet', 'Ayelet', 'Ayelet'),
    n('ליאת', 'Liat', 'Liat', 'Liat'),
    hard('ציפורה', 'Tzipora', 'Tzipora', 'Tsipora', 'Zipora', 'Tzippora'),
    soft('ברכה', 'Bracha', 'Bracha', 'Brakha', 'Beracha'),
    n('שושנה', 'Shoshana', 'Shoshana', 'Shoshana'),
    n('אורית', 'Orit', 'Orit', 'Orit'),
    soft('דבורה', 'Dvora', 'Dvora', 'Devora', 'Devorah'),
    soft('יפה', 'Yafa', 'Yafa', 'Yaffa'),
    n('נעמה', 'Naama', 'Naama', "Na'ama"),
    n('הילה', 'Hila', 'Hila', 'Hila'),
    soft('אביטל', 'Avital', 'Avital', 'Avital'),
  ],
  family: [
    n('כהן', 'Cohen', 'Cohen', 'Cohen', 'Cohen', 'Kohen', 'Cohn'),
    n('לוי', 'Levi', 'Levi', 'Levy', 'Levy', 'Lévy'),
    n('מזרחי', 'Mizrahi', 'Mizrahi', 'Mizrachi', 'Mizrachi'),
    n('פרץ', 'Peretz', 'Peretz', 'Perez', 'Perets'),
    n('ביטון', 'Biton', 'Biton', 'Bitton', 'Bitoun'),
    n('דהן', 'Dahan', 'Dahan', 'Dahan'),
    // Abraham: the English form, a translation.
    soft('אברהם', 'Avraham', 'Avraham', 'Avraham', 'Abraham'),
    n('פרידמן', 'Friedman', 'Friedman', 'Fridman', 'Fridman'),
    hard('מלכה', 'Malka', 'Malka', 'Malka'),
    n('אזולאי', 'Azulay', 'Azulay', 'Azoulay', 'Azoulay', 'Azulai'),
    n('כץ', 'Katz', 'Katz', 'Katz', 'Kats'),
    soft('יוסף', 'Yosef', 'Yosef', 'Yosef', 'Yossef'),
    n('דוד', 'David', 'David', 'David'),
    n('עמר', 'Amar', 'Amar', 'Amar', 'Ammar'),
    n('אוחיון', 'Ohayon', 'Ohayon', 'Ohayon', 'Ohaion', 'Ouhayoun'),
    n('חדד', 'Hadad', 'Hadad', 'Haddad', 'Haddad'),
    hard('גבאי', 'Gabay', 'Gabay', 'Gabai', 'Gabbay'),
    hard('שפירא', 'Shapira', 'Shapira', 'Shapiro', 'Shapiro', 'Schapira'),
    hard('קפלן', 'Kaplan', 'Kaplan', 'Kaplan', 'Caplan'),
    hard('גולדברג', 'Goldberg', 'Goldberg', 'Goldberg'),
    n('גולדשטיין', 'Goldstein', 'Goldstein', 'Goldshtein', 'Goldshtain'),
    hard('רוזנברג', 'Rosenberg', 'Rosenberg', 'Rozenberg', 'Rozenberg'),
    n('וייס', 'Weiss', 'Weiss', 'Vais', 'Weisz'),
    n('קליין', 'Klein', 'Klein', 'Klein', 'Klain'),
    n('סגל', 'Segal', 'Segal', 'Segal', 'Segall'),
    hard('אשכנזי', 'Ashkenazi', 'Ashkenazi', 'Ashkenazi', 'Ashkenazy'),
    n('ששון', 'Sasson', 'Sasson', 'Sason'),
    hard('אלבז', 'Elbaz', 'Elbaz', 'Elbaz', 'Albaz'),
    n('וקנין', 'Vaknin', 'Vaknin', 'Waknin', 'Vaknine'),
    n('ברק', 'Barak', 'Barak', 'Barak'),
    n('גולן', 'Golan', 'Golan', 'Golan'),
    n('שלום', 'Shalom', 'Shalom', 'Shalom'),
    hard('רבינוביץ', 'Rabinovich', 'Rabinovich', 'Rabinovitz', 'Rabinowitz', 'Rabinovitch'),
    hard('ויינברג', 'Weinberg', 'Weinberg', 'Vainberg', 'Wainberg'),
    hard('זילברמן', 'Zilberman', 'Zilberman', 'Silberman', 'Zilbermann'),
    hard('אבוטבול', 'Abutbul', 'Abutbul', 'Aboutboul'),
    hard('סבג', 'Sabag', 'Sabag', 'Sebag', 'Sabbag'),
    n('טל', 'Tal', 'Tal', 'Tal'),
    n('כרמי', 'Karmi', 'Karmi', 'Carmi', 'Carmi'),
    n('שטרן', 'Stern', 'Stern', 'Shtern', 'Shtern'),
    hard('ליבוביץ', 'Leibovitz', 'Leibovitz', 'Leibowitz', 'Libovitz', 'Lebovich'),
    soft('עובדיה', 'Ovadia', 'Ovadia', 'Ovadya', 'Obadia'),
    soft('חביב', 'Haviv', 'Haviv', 'Habib'),
    soft('אלפסי', 'Alfasi', 'Alfasi', 'Elfassi'),
  ],
};
