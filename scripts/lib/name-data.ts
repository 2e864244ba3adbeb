/**
 * Name pools for the synthetic matching evaluation. No real person: common
 * given and family names of each source, written in their own script. For
 * unvocalised Arabic and for Ge'ez, where spelling habits cannot be derived
 * letter by letter, each name carries the Latin spellings seen in practice
 * (passport, English, French, German and East African habits), including
 * ones Cairn's phonetic code is known not to join (Gamal, Abderrahmane).
 * Cyrillic, Greek and diacritic Latin names are romanised by the schemes in
 * transliteration-habits.ts instead.
 */

/** A name in its source script and the Latin spellings used for it. */
export interface SpelledName {
  native: string;
  latin: readonly string[];
}

const n = (native: string, ...latin: string[]): SpelledName => ({ native, latin });

import { afghan, albanian, egyptSudan, kurdish, maghreb, nigerian, somali, southAsian, vietnamese, westAfrica } from './name-data-origins.js';

export type Origin =
  | 'arabic'
  | 'russian'
  | 'ukrainian'
  | 'greek'
  | 'geez'
  | 'bcs'
  | 'polish'
  | 'romanian'
  | 'turkish'
  | 'spanish'
  | 'somali'
  | 'afghan'
  | 'kurdish'
  | 'maghreb'
  | 'egypt-sudan'
  | 'west-africa'
  | 'nigerian'
  | 'south-asian'
  | 'albanian'
  | 'vietnamese';

/**
 * Pools of one origin. Native forms; `latin` lists for the origins whose
 * spellings are listed per name (see `listedSpellings`).
 */
export interface OriginPool {
  origin: Origin;
  country: string;
  male: readonly SpelledName[];
  female: readonly SpelledName[];
  /** Family names; [masculine, feminine] when the form depends on sex. */
  family: readonly (SpelledName | readonly [SpelledName, SpelledName])[];
  /**
   * Share of persons whose "family name" is their father's given name, with
   * the grandfather's next in the chain (Ethiopia, Eritrea, Somalia, Sudan,
   * many Afghans).
   */
  fatherAsFamily?: number;
  /** Registers hold the names in the native script only sometimes; false: never (Bengali). */
  nativeRegistered?: boolean;
  /** Has patronymics built from the father's name. */
  patronymic?: 'east-slavic';
  /** Two family names (paternal, maternal). */
  compoundFamily?: boolean;
  /** Pairs of given names commonly given to twins (index into male/female). */
  twinNames?: readonly (readonly [string, string])[];
}

const arabic: OriginPool = {
  origin: 'arabic',
  country: 'SY',
  male: [
    n('محمد', 'Mohammed', 'Muhammad', 'Mohamed', 'Mohamad', 'Mohammad', 'Muhammed'),
    n('أحمد', 'Ahmed', 'Ahmad', 'Ahmet'),
    n('يوسف', 'Yusuf', 'Youssef', 'Yousef', 'Yousif'),
    n('خالد', 'Khaled', 'Khalid'),
    n('عمر', 'Omar', 'Umar', 'Omer'),
    n('علي', 'Ali', 'Aly'),
    n('حسن', 'Hassan', 'Hasan'),
    n('حسين', 'Hussein', 'Hussain', 'Husain', 'Hossein', 'Husayn'),
    n('إبراهيم', 'Ibrahim', 'Ebrahim', 'Ibraheem'),
    n('عبد الله', 'Abdullah', 'Abdallah', 'Abdulla', 'Abd Allah'),
    n('عبد الرحمن', 'Abdulrahman', 'Abdel Rahman', 'Abd al-Rahman', 'Abderrahmane'),
    n('مصطفى', 'Mustafa', 'Moustafa', 'Mostafa'),
    n('كريم', 'Karim', 'Kareem'),
    n('جمال', 'Jamal', 'Djamel', 'Gamal'),
    n('سعيد', 'Said', 'Saeed', 'Saïd'),
    n('طارق', 'Tariq', 'Tarek', 'Tarik'),
    n('زياد', 'Ziad', 'Ziyad'),
    n('عثمان', 'Othman', 'Osman', 'Uthman', 'Usman'),
    n('محمود', 'Mahmoud', 'Mahmud', 'Mahmood'),
    n('فيصل', 'Faisal', 'Faysal', 'Fayçal'),
  ],
  female: [
    n('فاطمة', 'Fatima', 'Fatimah', 'Fatma', 'Fatema'),
    n('عائشة', 'Aisha', 'Aicha', 'Ayesha', 'Aischa'),
    n('مريم', 'Maryam', 'Mariam', 'Meryem'),
    n('زينب', 'Zainab', 'Zeinab', 'Zaynab'),
    n('نور', 'Nour', 'Noor', 'Nur'),
    n('سارة', 'Sara', 'Sarah'),
    n('ليلى', 'Layla', 'Leila', 'Laila'),
    n('هدى', 'Huda', 'Houda', 'Hoda'),
    n('أمل', 'Amal'),
    n('رنا', 'Rana'),
    n('ياسمين', 'Yasmin', 'Yasmine', 'Jasmin'),
    n('خديجة', 'Khadija', 'Khadidja', 'Khadijah'),
  ],
  family: [
    n('الحسن', 'al-Hassan', 'Al Hassan', 'El Hassan', 'Hassan', 'Alhassan'),
    n('حداد', 'Haddad', 'Hadad'),
    n('خوري', 'Khoury', 'Khouri', 'Khuri'),
    n('العلي', 'al-Ali', 'Al Ali', 'El Ali'),
    n('الأحمد', 'al-Ahmad', 'Al Ahmed', 'El Ahmad'),
    n('منصور', 'Mansour', 'Mansur', 'Mansoor'),
    n('صالح', 'Saleh', 'Salih'),
    n('النجار', 'al-Najjar', 'Al Najar', 'El Naggar'),
    n('الشامي', 'al-Shami', 'Al Chami', 'Ash-Shami'),
    n('حمدان', 'Hamdan'),
    n('قاسم', 'Qasim', 'Kassem', 'Kasim', 'Qassem'),
    n('الزين', 'al-Zein', 'El Zein', 'Ez-Zein'),
    n('درويش', 'Darwish', 'Derwich', 'Darwiche'),
    n('عبد الله', 'Abdullah', 'Abdallah'),
    n('يوسف', 'Youssef', 'Yusuf'),
    n('المصري', 'al-Masri', 'El Masri', 'Al-Masry'),
  ],
  twinNames: [
    ['حسن', 'حسين'],
    ['محمد', 'أحمد'],
    ['محمد', 'محمود'],
    ['فاطمة', 'زينب'],
  ],
};

const russian: OriginPool = {
  origin: 'russian',
  country: 'RU',
  male: ['Александр', 'Дмитрий', 'Сергей', 'Алексей', 'Андрей', 'Иван', 'Михаил', 'Никита', 'Максим', 'Артём', 'Евгений', 'Юрий', 'Владимир', 'Николай', 'Павел', 'Григорий'].map((x) => n(x)),
  female: ['Анастасия', 'Мария', 'Екатерина', 'Анна', 'Ольга', 'Татьяна', 'Юлия', 'Наталья', 'Ксения', 'Дарья', 'Елена', 'Софья'].map((x) => n(x)),
  family: [
    ['Иванов', 'Иванова'],
    ['Смирнов', 'Смирнова'],
    ['Кузнецов', 'Кузнецова'],
    ['Попов', 'Попова'],
    ['Васильев', 'Васильева'],
    ['Соколов', 'Соколова'],
    ['Михайлов', 'Михайлова'],
    ['Новиков', 'Новикова'],
    ['Фёдоров', 'Фёдорова'],
    ['Морозов', 'Морозова'],
    ['Жуков', 'Жукова'],
    ['Щербаков', 'Щербакова'],
    ['Хрущёв', 'Хрущёва'],
    ['Чернов', 'Чернова'],
    ['Зайцев', 'Зайцева'],
    ['Ковальский', 'Ковальская'],
  ].map(([m, f]) => [n(m!), n(f!)] as const),
  patronymic: 'east-slavic',
  twinNames: [
    ['Александр', 'Алексей'],
    ['Иван', 'Никита'],
    ['Мария', 'Дарья'],
  ],
};

const ukrainian: OriginPool = {
  origin: 'ukrainian',
  country: 'UA',
  male: ['Олександр', 'Андрій', 'Сергій', 'Дмитро', 'Микола', 'Володимир', 'Олег', 'Юрій', 'Богдан', 'Тарас', 'Євген', 'Ігор'].map((x) => n(x)),
  female: ['Олена', 'Ольга', 'Наталія', 'Ірина', 'Оксана', 'Юлія', 'Катерина', 'Софія', 'Анастасія', 'Вікторія'].map((x) => n(x)),
  family: ['Шевченко', 'Бондаренко', 'Коваленко', 'Ткаченко', 'Кравченко', 'Мельник', 'Олійник', 'Шевчук', 'Поліщук', 'Лисенко', 'Гончаренко', 'Ковальчук'].map((x) => n(x)),
  patronymic: 'east-slavic',
};

const greek: OriginPool = {
  origin: 'greek',
  country: 'GR',
  male: ['Γεώργιος', 'Κωνσταντίνος', 'Ιωάννης', 'Δημήτριος', 'Νικόλαος', 'Παναγιώτης', 'Χρήστος', 'Βασίλειος', 'Αθανάσιος', 'Ευάγγελος', 'Αλέξανδρος', 'Σπυρίδων', 'Χαράλαμπος', 'Γιάννης', 'Χρύσανθος'].map((x) => n(x)),
  female: ['Μαρία', 'Ελένη', 'Αικατερίνη', 'Βασιλική', 'Σοφία', 'Αγγελική', 'Γεωργία', 'Δήμητρα', 'Ευαγγελία', 'Χριστίνα', 'Χαρίκλεια', 'Γεωργούλα'].map((x) => n(x)),
  family: [
    ['Παπαδόπουλος', 'Παπαδοπούλου'],
    ['Παπαδάκης', 'Παπαδάκη'],
    ['Νικολάου', 'Νικολάου'],
    ['Γεωργίου', 'Γεωργίου'],
    ['Οικονόμου', 'Οικονόμου'],
    ['Μπακογιάννης', 'Μπακογιάννη'],
    ['Αντωνίου', 'Αντωνίου'],
    ['Βλάχος', 'Βλάχου'],
    ['Κωνσταντινίδης', 'Κωνσταντινίδου'],
    ['Χατζής', 'Χατζή'],
    ['Ευαγγέλου', 'Ευαγγέλου'],
  ].map(([m, f]) => [n(m!), n(f!)] as const),
};

const geez: OriginPool = {
  origin: 'geez',
  country: 'ER',
  male: [
    n('ተስፋዬ', 'Tesfaye', 'Tesfay', 'Tesfai'),
    n('ፀሐዬ', 'Tsehaye', 'Tshaye', 'Tsehaie', 'Tsehay'),
    n('ዮሐንስ', 'Yohannes', 'Yohanes', 'Johannes'),
    n('ገብረመድህን', 'Gebremedhin', 'Ghebremedhin', 'Gebre Medhin', 'Gebremedhen'),
    n('ሙሉጌታ', 'Mulugeta'),
    n('ኃይሌ', 'Haile', 'Hailé', 'Hayle'),
    n('ብርሃነ', 'Berhane', 'Birhane', 'Brhane'),
    n('ዳዊት', 'Dawit', 'Dawet'),
    n('አማኑኤል', 'Amanuel', 'Emmanuel'),
    n('ኤርሚያስ', 'Ermias', 'Ermiyas'),
    n('ሄኖክ', 'Henok', 'Henock'),
    n('ክብሮም', 'Kibrom', 'Kbrom'),
    n('ፍሊሞን', 'Filmon', 'Filimon'),
    n('አብርሃም', 'Abraham', 'Abrham'),
    n('ብሩክ', 'Biruk', 'Bruk'),
    n('ሀብተ ማርያም', 'Habte Mariam', 'Habtemariam', 'Habte-Mariam', 'Habtemaryam'),
    n('ወልደ ጊዮርጊስ', 'Wolde Giorgis', 'Woldegiorgis', 'Welde Giyorgis', 'Woldegiorgish'),
    n('ገብረ ሥላሴ', 'Gebre Selassie', 'Gebreselassie', 'Ghebreselassie', 'Gebre-Selassie'),
    n('ተክለ ሃይማኖት', 'Tekle Haimanot', 'Teklehaimanot', 'Tecle Haymanot'),
    n('አበበ', 'Abebe', 'Abebé'),
    n('ግርማ', 'Girma', 'Germa'),
    n('ታደሰ', 'Tadesse', 'Tadese', 'Taddese'),
  ],
  female: [
    n('ሰላም', 'Selam', 'Salam'),
    n('ሳባ', 'Saba'),
    n('ሰናይት', 'Senait', 'Senayt'),
    n('ሩት', 'Ruth', 'Rut'),
    n('ጽጌ', 'Tsige', 'Tsighe'),
    n('ገነት', 'Genet', 'Ghenet'),
    n('ሀና', 'Hanna', 'Hana'),
    n('ሄለን', 'Helen'),
    n('ትርሓስ', 'Tirhas', 'Trhas'),
    n('ዊንታ', 'Winta', 'Wintana'),
    n('አልማዝ', 'Almaz', 'Almas'),
    n('ትዕግስት', 'Tigist', 'Tegist', 'Tigest'),
    n('ሕይወት', 'Hiwot', 'Hiwet', 'Heywet'),
  ],
  family: [],
  fatherAsFamily: 1,
  twinNames: [
    ['ዳዊት', 'ዮሐንስ'],
    ['ሰላም', 'ሳባ'],
  ],
};

const bcs: OriginPool = {
  origin: 'bcs',
  country: 'RS',
  male: ['Đorđe', 'Dušan', 'Miloš', 'Nikola', 'Stefan', 'Luka', 'Marko', 'Nemanja', 'Vuk', 'Željko'].map((x) => n(x)),
  female: ['Jelena', 'Milica', 'Ana', 'Ivana', 'Dragana', 'Jovana', 'Teodora', 'Tijana'].map((x) => n(x)),
  family: ['Jovanović', 'Petrović', 'Nikolić', 'Marković', 'Đorđević', 'Živković', 'Stojanović', 'Kovačević', 'Babić', 'Ilić', 'Čolić'].map((x) => n(x)),
  twinNames: [['Ivana', 'Jovana']],
};

const polish: OriginPool = {
  origin: 'polish',
  country: 'PL',
  male: ['Łukasz', 'Paweł', 'Michał', 'Wojciech', 'Krzysztof', 'Jakub', 'Mateusz', 'Piotr', 'Grzegorz', 'Tomasz'].map((x) => n(x)),
  female: ['Małgorzata', 'Agnieszka', 'Katarzyna', 'Zofia', 'Joanna', 'Magdalena', 'Aleksandra', 'Julia'].map((x) => n(x)),
  family: [
    ['Wiśniewski', 'Wiśniewska'],
    ['Wójcik', 'Wójcik'],
    ['Kowalczyk', 'Kowalczyk'],
    ['Dąbrowski', 'Dąbrowska'],
    ['Kamiński', 'Kamińska'],
    ['Lewandowski', 'Lewandowska'],
    ['Szymański', 'Szymańska'],
    ['Woźniak', 'Woźniak'],
    ['Zieliński', 'Zielińska'],
  ].map(([m, f]) => [n(m!), n(f!)] as const),
};

const romanian: OriginPool = {
  origin: 'romanian',
  country: 'RO',
  male: ['Ștefan', 'Andrei', 'Mihai', 'Ionuț', 'Alexandru', 'Răzvan', 'Cătălin', 'Florin'].map((x) => n(x)),
  female: ['Ioana', 'Elena', 'Andreea', 'Maria', 'Bianca', 'Cătălina', 'Ștefania'].map((x) => n(x)),
  family: ['Popescu', 'Ionescu', 'Țurcanu', 'Dumitrescu', 'Stănescu', 'Munteanu', 'Constantinescu', 'Lupașcu', 'Răducanu'].map((x) => n(x)),
};

const turkish: OriginPool = {
  origin: 'turkish',
  country: 'TR',
  male: ['Şükrü', 'Çağrı', 'Mehmet', 'Ahmet', 'Emre', 'Burak', 'İsmail', 'Oğuz', 'Yiğit'].map((x) => n(x)),
  female: ['Ayşe', 'Gülşen', 'Zeynep', 'Elif', 'Büşra', 'Özlem', 'İrem'].map((x) => n(x)),
  family: ['Yılmaz', 'Öztürk', 'Çelik', 'Şahin', 'Doğan', 'Kılıç', 'Aydın', 'Özdemir', 'Arslan'].map((x) => n(x)),
};

const spanish: OriginPool = {
  origin: 'spanish',
  country: 'ES',
  male: ['José', 'Juan', 'Carlos', 'Jesús', 'Andrés', 'Martín', 'Iñaki'].map((x) => n(x)),
  female: ['María', 'Lucía', 'Sofía', 'Begoña', 'Inés', 'Ángela'].map((x) => n(x)),
  family: ['García', 'López', 'Martínez', 'Fernández', 'Rodríguez', 'Sánchez', 'Pérez', 'Gómez', 'Muñoz', 'Núñez'].map((x) => n(x)),
  compoundFamily: true,
};

/**
 * Every origin, with a weight (share of persons). Most weight goes to the
 * origins of issue 14: those most often registered as unaccompanied or
 * missing minors and trafficking victims in Europe.
 */
export const ORIGINS: readonly { pool: OriginPool; weight: number }[] = [
  { pool: afghan, weight: 0.09 },
  { pool: arabic, weight: 0.08 },
  { pool: kurdish, weight: 0.04 },
  { pool: geez, weight: 0.08 },
  { pool: somali, weight: 0.07 },
  { pool: egyptSudan, weight: 0.06 },
  { pool: vietnamese, weight: 0.07 },
  { pool: albanian, weight: 0.05 },
  { pool: nigerian, weight: 0.05 },
  { pool: southAsian, weight: 0.06 },
  { pool: maghreb, weight: 0.07 },
  { pool: westAfrica, weight: 0.05 },
  { pool: ukrainian, weight: 0.07 },
  { pool: russian, weight: 0.03 },
  { pool: greek, weight: 0.03 },
  { pool: bcs, weight: 0.02 },
  { pool: polish, weight: 0.02 },
  { pool: romanian, weight: 0.02 },
  { pool: turkish, weight: 0.02 },
  { pool: spanish, weight: 0.02 },
];

/** Origins whose names carry a list of Latin spellings (registers pick one per name). */
export const listedSpellings = (pool: OriginPool): boolean =>
  pool.origin !== 'vietnamese' && [...pool.male, ...pool.female].every((x) => x.latin.length > 0);
