/**
 * Name pools of the origins most often registered in Europe as unaccompanied
 * or missing minors and trafficking victims (issue 14): common names only,
 * no real person. Each name lists the Latin spellings registers actually
 * produce for it; they are written from the habits below, independently of
 * Cairn's normalisation, and include spellings Cairn is known not to join.
 *
 * Habits and where they come from (named, not copied):
 *  - Somali: the official Somali Latin orthography (adopted 1972): c for
 *    ʿayn, x for ḥ, dh, kh, doubled letters for long vowels (Maxamed, Cabdi,
 *    Xasan, Faadumo); English and Italian registers write the Arabic-style
 *    forms (Mohamed, Abdi, Hassan, Fadumo/Fatuma). Naming is a chain: given
 *    name, father's given name, grandfather's given name; there is no
 *    family name (UNHCR and Home Office country guidance on Somali names).
 *  - Dari/Pashto (Afghanistan): Afghan passports' English-based spelling
 *    and the BGN/PCGN 1968 Pashto and Dari romanisations; tribal suffixes
 *    written -zai, -zay, -zoy, joined or apart (Ahmadzai, Ahmad Zai);
 *    theophoric -ullah written -ullah, -ulla, -ollah, joined or apart; many
 *    persons have no family name and registers record the father's name.
 *  - Tigrinya/Amharic (Eritrea, Ethiopia): BGN/PCGN 1967 Amharic
 *    romanisation and everyday English/Italian spellings; compound names
 *    split or joined (Habte Mariam / Habtemariam, Wolde Giorgis); the
 *    "family" is the father's given name, then the grandfather's
 *    (Ethiopian and Eritrean naming practice as described in UK and Dutch
 *    asylum country guidance).
 *  - Kurdish: the Kurmanji Latin (Hawar, Bedirxan 1932) alphabet, where x is
 *    kh, ê/î/û are long vowels and ç/ş are ch/sh; registers in Iraq and
 *    Syria write the Arabic-English forms instead (Xalid / Khalid).
 *  - Maghreb (Morocco, Algeria, Tunisia): French colonial transcription of
 *    Arabic: ou for w and u, dj for j, ch for sh, kh, -a for ta marbuta,
 *    Ben / Bou written apart or solid (Ben Ali / Benali).
 *  - Egypt and Sudan: Egyptian g for jim (Gamal, Ragab, Hegazy) beside the
 *    j of Sudanese and English spellings; chains of given names (given,
 *    father, grandfather) used as the surname; the article written solid or
 *    apart (Elsayed / El Sayed).
 *  - Guinea and Côte d'Ivoire: French spellings of Fula and Manding names
 *    (Mamadou, Ousmane, Diallo, Ouattara), English ones in neighbouring
 *    anglophone registers (Jallow, Wattara).
 *  - Nigeria: Yoruba orthography with subdots and tone marks, which English
 *    registers drop (Adébáyọ̀ / Adebayo; ṣ as s or sh); Igbo names.
 *  - Pakistan and Bangladesh: Urdu and Bengali names in their passport
 *    (English) spellings; the Bangladeshi abbreviation "Md." for Mohammad
 *    before the name a person is called by.
 *  - Vietnamese: quốc ngữ with and without diacritics (ICAO Doc 9303 drops
 *    them; Đ becomes D); handled in variants.ts: family name first or last,
 *    compound given names spaced, joined or hyphenated, the middle names Văn
 *    and Thị kept or left out.
 *  - Albanian: the Albanian alphabet (1908 Congress of Manastir): ë, ç, xh
 *    (English j), gj, q; Italian- and English-style renderings (Hoxha /
 *    Hodja / Hoxa, Çela / Cela / Chela).
 */
import type { OriginPool, SpelledName } from './name-data.js';

const n = (native: string, ...latin: string[]): SpelledName => ({ native, latin: latin.length > 0 ? latin : [native] });

export const somali: OriginPool = {
  origin: 'somali',
  country: 'SO',
  male: [
    n('Maxamed', 'Mohamed', 'Mohammed', 'Mahamed', 'Maxamed'),
    n('Cabdi', 'Abdi', 'Cabdi'),
    n('Cali', 'Ali', 'Cali'),
    n('Axmed', 'Ahmed', 'Ahmad', 'Axmed'),
    n('Xasan', 'Hassan', 'Hasan', 'Xasan'),
    n('Xuseen', 'Hussein', 'Husein', 'Xuseen'),
    n('Cumar', 'Omar', 'Umar', 'Cumar'),
    n('Yuusuf', 'Yusuf', 'Yussuf', 'Yousuf'),
    n('Ibraahim', 'Ibrahim', 'Ibraahim'),
    n('Cabdullaahi', 'Abdullahi', 'Abdulahi', 'Cabdulahi'),
    n('Faarax', 'Farah', 'Faarah', 'Faarax'),
    n('Jaamac', 'Jama', 'Jamac', 'Jaamac'),
    n('Warsame', 'Warsame', 'Warsama'),
    n('Muuse', 'Musa', 'Muse', 'Moussa'),
    n('Cismaan', 'Osman', 'Ismaan', 'Cusmaan'),
    n('Khaalid', 'Khalid', 'Khaalid', 'Kalid'),
  ],
  female: [
    n('Faadumo', 'Fadumo', 'Faduma', 'Fatuma'),
    n('Caasha', 'Asha', 'Aasha', 'Caasha'),
    n('Xaliimo', 'Halima', 'Haliimo', 'Xalimo'),
    n('Hodan', 'Hodan'),
    n('Sahra', 'Sahra', 'Sahro', 'Saxra'),
    n('Khadiija', 'Khadija', 'Hadija', 'Kadija'),
    n('Ifra', 'Ifrah', 'Ifra'),
    n('Nimco', 'Nimo', 'Nimco'),
    n('Ayaan', 'Ayan', 'Ayaan'),
    n('Hibo', 'Hibo', 'Hiba'),
    n('Maryan', 'Maryan', 'Mariam', 'Maryam'),
    n('Shukri', 'Shukri', 'Shukry'),
  ],
  family: [],
  fatherAsFamily: 1,
  twinNames: [
    ['Xasan', 'Xuseen'],
    ['Maxamed', 'Axmed'],
    ['Faadumo', 'Caasha'],
  ],
};

export const afghan: OriginPool = {
  origin: 'afghan',
  country: 'AF',
  male: [
    n('محمد', 'Mohammad', 'Muhammad', 'Mohammed', 'Mohamad'),
    n('احمد', 'Ahmad', 'Ahmed'),
    n('عبدالله', 'Abdullah', 'Abdulla', 'Abdollah'),
    n('ذبیح الله', 'Zabihullah', 'Zabiullah', 'Zabih Ullah', 'Zabihollah'),
    n('رحمت الله', 'Rahmatullah', 'Rahmat Ullah', 'Rahmatulla'),
    n('حمید', 'Hamid', 'Hameed'),
    n('فرید', 'Farid', 'Fareed'),
    n('عبدالواحد', 'Abdul Wahid', 'Abdulwahid', 'Abdul Waheed'),
    n('نور', 'Noor', 'Nur'),
    n('گل احمد', 'Gul Ahmad', 'Gulahmad', 'Gul Ahmed'),
    n('مصطفی', 'Mustafa', 'Mostafa'),
    n('جاوید', 'Jawid', 'Javed', 'Javid', 'Jawed'),
    n('سهراب', 'Sohrab', 'Suhrab'),
    n('یعقوب', 'Yaqub', 'Yaqoob', 'Yakub'),
    n('علی رضا', 'Ali Reza', 'Alireza'),
  ],
  female: [
    n('فاطمه', 'Fatima', 'Fatema', 'Fatemeh'),
    n('زهرا', 'Zahra', 'Zahraa'),
    n('مریم', 'Maryam', 'Mariam'),
    n('شبنم', 'Shabnam', 'Schabnam'),
    n('پروانه', 'Parwana', 'Parvaneh', 'Parwane'),
    n('فرشته', 'Freshta', 'Fereshta', 'Fereshteh'),
    n('نرگس', 'Nargis', 'Narges'),
    n('مرسل', 'Mursal', 'Morsal'),
    n('ملالی', 'Malalai', 'Malalay'),
    n('سکینه', 'Sakina', 'Sakineh'),
  ],
  family: [
    n('احمدزی', 'Ahmadzai', 'Ahmadzay', 'Ahmad Zai', 'Ahmadzoy'),
    n('ستانکزی', 'Stanikzai', 'Stanekzai', 'Stanikzay'),
    n('کریمی', 'Karimi', 'Karimy'),
    n('رحیمی', 'Rahimi', 'Rahimy'),
    n('حکیمی', 'Hakimi', 'Hakimy'),
    n('سلطانی', 'Sultani', 'Soltani'),
    n('محمدی', 'Mohammadi', 'Muhammadi', 'Mohamadi'),
    n('حسینی', 'Hussaini', 'Hosseini', 'Husseini'),
    n('پوپل', 'Popal', 'Popalzai'),
    n('وردک', 'Wardak', 'Wardag'),
    n('یوسفزی', 'Yousafzai', 'Yusufzai', 'Yousufzay'),
  ],
  fatherAsFamily: 0.4,
  twinNames: [
    ['حمید', 'فرید'],
    ['فاطمه', 'زهرا'],
  ],
};

export const kurdish: OriginPool = {
  origin: 'kurdish',
  country: 'IQ',
  male: [
    n('Mihemed', 'Mohammed', 'Muhammad', 'Mihemed', 'Mehmet'),
    n('Ehmed', 'Ahmed', 'Ahmad', 'Ehmed'),
    n('Xalid', 'Khalid', 'Khaled', 'Xalid'),
    n('Hesen', 'Hassan', 'Hasan', 'Hesen'),
    n('Azad', 'Azad'),
    n('Welat', 'Welat', 'Walat'),
    n('Şêrko', 'Sherko', 'Shirko', 'Şerko'),
    n('Rêbîn', 'Rebin', 'Rebeen'),
    n('Kawa', 'Kawa', 'Kava'),
  ],
  female: [
    n('Berfîn', 'Berfin', 'Barfin'),
    n('Rojda', 'Rojda', 'Rozhda'),
    n('Zozan', 'Zozan'),
    n('Bêrîvan', 'Berivan', 'Beriwan'),
    n('Jiyan', 'Jiyan', 'Zhiyan'),
    n('Şîlan', 'Shilan', 'Silan', 'Şilan'),
    n('Nazdar', 'Nazdar'),
    n('Evîn', 'Evin', 'Avin'),
  ],
  family: [
    n('Barzanî', 'Barzani', 'Barzany'),
    n('Xoşnaw', 'Khoshnaw', 'Koshnaw', 'Xoşnaw'),
    n('Hewramî', 'Hawrami', 'Hewrami'),
    n('Kurdî', 'Kurdi', 'Kurdy'),
    n('Mistefa', 'Mustafa', 'Mostafa', 'Mistefa'),
    n('Omer', 'Omar', 'Umar', 'Omer'),
    n('Zêbarî', 'Zebari', 'Zibari'),
    n('Şêxanî', 'Sheikhani', 'Shekhani', 'Şexani'),
  ],
  twinNames: [['Azad', 'Welat']],
};

export const maghreb: OriginPool = {
  origin: 'maghreb',
  country: 'MA',
  male: [
    n('محمد', 'Mohamed', 'Mohammed', 'Mouhamed', 'Muhammad'),
    n('يوسف', 'Youssef', 'Youcef', 'Yousef', 'Yusuf'),
    n('عبد القادر', 'Abdelkader', 'Abdel Kader', 'Abd al-Qadir'),
    n('جمال', 'Djamel', 'Jamal', 'Djamal'),
    n('مراد', 'Mourad', 'Murad'),
    n('وليد', 'Oualid', 'Walid', 'Ouelid'),
    n('خالد', 'Khaled', 'Khalid'),
    n('رشيد', 'Rachid', 'Rashid', 'Rachide'),
    n('هشام', 'Hicham', 'Hisham'),
    n('إدريس', 'Driss', 'Idriss', 'Idris'),
    n('أيوب', 'Ayoub', 'Ayoube', 'Ayub'),
    n('سفيان', 'Soufiane', 'Sofiane', 'Sufyan'),
  ],
  female: [
    n('فاطمة', 'Fatima', 'Fatma', 'Fatiha'),
    n('خديجة', 'Khadidja', 'Khadija', 'Khedidja'),
    n('عائشة', 'Aicha', 'Aïcha', 'Aisha'),
    n('سعاد', 'Souad', 'Suad'),
    n('نادية', 'Nadia', 'Nadiya'),
    n('وفاء', 'Ouafae', 'Wafaa', 'Wafa'),
    n('صفية', 'Safia', 'Safiya'),
    n('إيمان', 'Imane', 'Iman', 'Imen'),
  ],
  family: [
    n('بن علي', 'Benali', 'Ben Ali', 'Ben-Ali'),
    n('بوزيد', 'Bouzid', 'Bou Zid', 'Bouzide'),
    n('بلقاسم', 'Belkacem', 'Belkassem', 'Belqasim'),
    n('الإدريسي', 'El Idrissi', 'Idrissi', 'El-Idrissi'),
    n('الشاوي', 'Chaoui', 'Chaoui', 'Shawi'),
    n('منصوري', 'Mansouri', 'Mansuri'),
    n('شريف', 'Cherif', 'Chérif', 'Sharif'),
    n('حداد', 'Haddad', 'Hadad'),
    n('العمراني', 'El Amrani', 'Amrani', 'Elamrani'),
    n('بن يوسف', 'Benyoucef', 'Ben Youssef', 'Benyoussef'),
    n('جلول', 'Djelloul', 'Jelloul', 'Djeloul'),
  ],
  twinNames: [
    ['محمد', 'يوسف'],
    ['فاطمة', 'خديجة'],
  ],
};

export const egyptSudan: OriginPool = {
  origin: 'egypt-sudan',
  country: 'EG',
  male: [
    n('محمد', 'Mohamed', 'Mohammed', 'Muhammad'),
    n('أحمد', 'Ahmed', 'Ahmad'),
    n('محمود', 'Mahmoud', 'Mahmud'),
    n('جمال', 'Gamal', 'Jamal', 'Gamal'),
    n('رجب', 'Ragab', 'Rajab'),
    n('عثمان', 'Osman', 'Othman', 'Osman'),
    n('عبد الرحمن', 'Abdelrahman', 'Abdel Rahman', 'Abdulrahman'),
    n('مصطفى', 'Mostafa', 'Mustafa', 'Moustafa'),
    n('إبراهيم', 'Ibrahim', 'Ebrahim'),
    n('حسن', 'Hassan', 'Hasan'),
    n('عمر', 'Omar', 'Omer', 'Umar'),
    n('آدم', 'Adam', 'Adam'),
    n('إسماعيل', 'Ismail', 'Esmail', 'Ismael'),
  ],
  female: [
    n('فاطمة', 'Fatma', 'Fatima', 'Fatmah'),
    n('مريم', 'Mariam', 'Maryam', 'Mariem'),
    n('هاجر', 'Hagar', 'Hajar', 'Hager'),
    n('نجلاء', 'Naglaa', 'Najla', 'Nagla'),
    n('آمنة', 'Amna', 'Amina', 'Aamna'),
    n('سلمى', 'Salma', 'Selma'),
    n('إسراء', 'Esraa', 'Israa', 'Esra'),
    n('هبة', 'Heba', 'Hiba'),
  ],
  family: [],
  fatherAsFamily: 1,
  twinNames: [
    ['حسن', 'عثمان'],
    ['محمد', 'أحمد'],
  ],
};

export const westAfrica: OriginPool = {
  origin: 'west-africa',
  country: 'GN',
  male: [
    n('Mamadou', 'Mamadou', 'Mamadu', 'Mamadou'),
    n('Amadou', 'Amadou', 'Ahmadou', 'Amadu'),
    n('Ousmane', 'Ousmane', 'Usman', 'Ousman'),
    n('Ibrahima', 'Ibrahima', 'Ibrahim'),
    n('Alpha', 'Alpha', 'Alfa'),
    n('Souleymane', 'Souleymane', 'Suleiman', 'Souleimane'),
    n('Moussa', 'Moussa', 'Musa'),
    n('Abdoulaye', 'Abdoulaye', 'Abdulai', 'Abdoulay'),
    n('Sékou', 'Sekou', 'Seku'),
    n('Lansana', 'Lansana', 'Lancana'),
    n('Yacouba', 'Yacouba', 'Yakuba', 'Yacuba'),
  ],
  female: [
    n('Mariama', 'Mariama', 'Mariyama'),
    n('Fatoumata', 'Fatoumata', 'Fatumata', 'Fatoumatta'),
    n('Aminata', 'Aminata', 'Aminatta'),
    n('Kadiatou', 'Kadiatou', 'Kadiatu', 'Khadiatou'),
    n('Aïssatou', 'Aissatou', 'Aisatu', 'Aïssatou'),
    n('Hawa', 'Hawa', 'Awa'),
    n('Djénabou', 'Djenabou', 'Jenabu', 'Dienabou'),
    n('Mariam', 'Mariam', 'Mariame'),
  ],
  family: [
    n('Diallo', 'Diallo', 'Djalo', 'Jallow'),
    n('Barry', 'Barry', 'Bari'),
    n('Camara', 'Camara', 'Kamara'),
    n('Condé', 'Conde', 'Konde'),
    n('Traoré', 'Traore', 'Traoré', 'Traore'),
    n('Touré', 'Toure', 'Ture'),
    n('Keïta', 'Keita', 'Keïta', 'Kaita'),
    n('Koné', 'Kone', 'Konneh'),
    n('Coulibaly', 'Coulibaly', 'Kulibaly', 'Koulibaly'),
    n('Ouattara', 'Ouattara', 'Wattara', 'Watara'),
    n('Soumah', 'Soumah', 'Sumah', 'Souma'),
  ],
  twinNames: [
    ['Alpha', 'Mamadou'],
    ['Fatoumata', 'Mariama'],
  ],
};

export const nigerian: OriginPool = {
  origin: 'nigerian',
  country: 'NG',
  male: [
    n('Adébáyọ̀', 'Adebayo', 'Adebayo', 'Adébayo'),
    n('Olúwaṣeun', 'Oluwaseun', 'Oluwashehun', 'Oluwasheun'),
    n('Ọlámídé', 'Olamide', 'Olamidé'),
    n('Chukwuemeka', 'Chukwuemeka', 'Chukwuameka'),
    n('Obinna', 'Obinna', 'Obina'),
    n('Ifeanyi', 'Ifeanyi', 'Ifeanyi'),
    n('Tunde', 'Tunde', 'Tundé'),
    n('Emeka', 'Emeka'),
    n('Ìbùkún', 'Ibukun', 'Ibukun'),
    n('Kelechi', 'Kelechi', 'Kelechy'),
  ],
  female: [
    n('Ngozi', 'Ngozi'),
    n('Chiamaka', 'Chiamaka', 'Chiamakah'),
    n('Adaeze', 'Adaeze', 'Adaezé'),
    n('Blessing', 'Blessing'),
    n('Fúnmiláyọ̀', 'Funmilayo', 'Funmilayo'),
    n('Ẹniọlá', 'Eniola', 'Eniolá'),
    n('Nkechi', 'Nkechi', 'Nkechy'),
    n('Olúwatóyìn', 'Oluwatoyin', 'Oluwatoyin'),
    n('Precious', 'Precious'),
  ],
  family: [
    n('Ọládípọ̀', 'Oladipo', 'Oladipupo'),
    n('Adéyẹmí', 'Adeyemi', 'Adeyemy'),
    n('Okonkwo', 'Okonkwo', 'Okonkow'),
    n('Eze', 'Eze'),
    n('Okafor', 'Okafor', 'Okaffor'),
    n('Ògúnlẹ́yẹ', 'Ogunleye', 'Ogunlye'),
    n('Nwosu', 'Nwosu'),
    n('Bello', 'Bello', 'Belo'),
    n('Ọ̀ṣúnfẹ́mi', 'Osunfemi', 'Oshunfemi'),
    n('Obi', 'Obi'),
  ],
  twinNames: [
    ['Tunde', 'Adébáyọ̀'],
    ['Ngozi', 'Nkechi'],
  ],
};

export const southAsian: OriginPool = {
  origin: 'south-asian',
  country: 'BD',
  nativeRegistered: false,
  male: [
    n('মোহাম্মদ রহিম', 'Mohammad Rahim', 'Md. Rahim', 'Muhammad Rahim', 'Md Rahim'),
    n('মোহাম্মদ করিম', 'Mohammad Karim', 'Md. Karim', 'Mohammed Karim'),
    n('আব্দুর রহমান', 'Abdur Rahman', 'Abdur Rahman', 'Abdurrahman'),
    n('ইমরান', 'Imran', 'Emran'),
    n('মাহমুদ', 'Mahmud', 'Mahmood', 'Mahmood'),
    n('عثمان', 'Usman', 'Osman', 'Usmaan'),
    n('بلال', 'Bilal', 'Belal'),
    n('حمزہ', 'Hamza', 'Hamzah'),
    n('علی', 'Ali', 'Aly'),
    n('فیصل', 'Faisal', 'Faysal'),
    n('আরিফ', 'Arif', 'Aref'),
    n('শফিক', 'Shafiq', 'Shafik', 'Safiq'),
  ],
  female: [
    n('ফাতেমা', 'Fatema', 'Fatima', 'Fatima'),
    n('আয়েশা', 'Ayesha', 'Aisha', 'Aysha'),
    n('نادیہ', 'Nadia', 'Nadiya'),
    n('সুমাইয়া', 'Sumaiya', 'Sumaya', 'Somaiya'),
    n('ثنا', 'Sana', 'Sanaa'),
    n('মরিয়ম', 'Mariam', 'Maryam', 'Moriom'),
    n('নুসরাত', 'Nusrat', 'Nosrat'),
    n('زینب', 'Zainab', 'Zaynab', 'Zeinab'),
  ],
  family: [
    n('উদ্দিন', 'Uddin', 'Uddin', 'Ud Din'),
    n('হোসেন', 'Hossain', 'Hussain', 'Hosen', 'Hussein'),
    n('ইসলাম', 'Islam', 'Islam'),
    n('আহমেদ', 'Ahmed', 'Ahmad', 'Ahmmed'),
    n('خان', 'Khan', 'Khan'),
    n('چوہدری', 'Chowdhury', 'Chaudhry', 'Choudhury', 'Chaudhary'),
    n('قریشی', 'Qureshi', 'Qureshy', 'Kureshi'),
    n('রহমান', 'Rahman', 'Rahaman', 'Rehman'),
    n('بٹ', 'Butt', 'Bhatt'),
    n('মিয়া', 'Miah', 'Mia', 'Miya'),
  ],
  twinNames: [
    ['ثنا', 'نادیہ'],
    ['بلال', 'حمزہ'],
  ],
};

export const albanian: OriginPool = {
  origin: 'albanian',
  country: 'AL',
  male: [
    n('Arbën', 'Arben', 'Arbën', 'Arbeni'),
    n('Ermal', 'Ermal'),
    n('Besnik', 'Besnik'),
    n('Dritan', 'Dritan'),
    n('Gjergj', 'Gjergj', 'Gjergji', 'Giergi'),
    n('Erion', 'Erion', 'Erjon'),
    n('Klodian', 'Klodian', 'Klodjan'),
    n('Endrit', 'Endrit', 'Endriti'),
    n('Xhevdet', 'Xhevdet', 'Dzhevdet', 'Gevdet'),
    n('Fatjon', 'Fatjon', 'Fation'),
    n('Ilir', 'Ilir', 'Iliri'),
  ],
  female: [
    n('Elira', 'Elira'),
    n('Arta', 'Arta'),
    n('Blerta', 'Blerta'),
    n('Ermira', 'Ermira'),
    n('Albana', 'Albana'),
    n('Drita', 'Drita'),
    n('Jonida', 'Jonida', 'Ionida'),
    n('Ardita', 'Ardita'),
    n('Klea', 'Klea', 'Clea'),
  ],
  family: [
    n('Hoxha', 'Hoxha', 'Hodja', 'Hoxa', 'Hoxhaj'),
    n('Shehu', 'Shehu', 'Sheu', 'Scehu'),
    n('Gashi', 'Gashi', 'Gasci'),
    n('Krasniqi', 'Krasniqi', 'Krasnici', 'Krasniki'),
    n('Berisha', 'Berisha', 'Berisa', 'Berischa'),
    n('Leka', 'Leka', 'Leca'),
    n('Dervishi', 'Dervishi', 'Dervisci', 'Derviši'),
    n('Çela', 'Cela', 'Çela', 'Chela'),
    n('Meta', 'Meta'),
    n('Kola', 'Kola', 'Cola'),
    n('Marku', 'Marku', 'Marcu'),
  ],
  twinNames: [
    ['Arta', 'Ardita'],
    ['Ermal', 'Erion'],
  ],
};

/**
 * Vietnamese names: family (clan) name, the middle name Văn (men) or Thị
 * (women) that many registers leave out, and a given name of one or two
 * syllables. variants.ts renders them; `latin` is unused.
 */
export const vietnamese: OriginPool = {
  origin: 'vietnamese',
  country: 'VN',
  male: ['Minh Tuấn', 'Quốc Bảo', 'Đức Anh', 'Hoàng Long', 'Tuấn', 'Hùng', 'Dũng', 'Thành Công', 'Gia Huy', 'Hữu Phước', 'Trung Kiên', 'Nam', 'Minh Đức'].map((x) => n(x)),
  female: ['Thu Hà', 'Ngọc Anh', 'Thanh Hương', 'Mai', 'Lan', 'Phương Linh', 'Thu Trang', 'Hồng Nhung', 'Bích Ngọc', 'Thảo', 'Kim Chi', 'Diệu Linh'].map((x) => n(x)),
  family: ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ', 'Hồ', 'Ngô', 'Dương', 'Đinh'].map((x) => n(x)),
  twinNames: [
    ['Minh Tuấn', 'Minh Đức'],
    ['Thu Hà', 'Thu Trang'],
    ['Ngọc Anh', 'Bích Ngọc'],
  ],
};
