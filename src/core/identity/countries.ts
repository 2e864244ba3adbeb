/**
 * ISO 3166-1 alpha-2 country codes, embedded as data so validation needs no
 * lookup service. The 249 officially assigned codes, plus XK (Kosovo), a
 * user-assigned code that the EU, many authorities and passports use; peers
 * must accept it or they cannot exchange Kosovo-issued documents.
 */

// Officially assigned codes, by first letter.
const ASSIGNED = [
  'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ',
  'BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ',
  'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ',
  'DE DJ DK DM DO DZ',
  'EC EE EG EH ER ES ET',
  'FI FJ FK FM FO FR',
  'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY',
  'HK HM HN HR HT HU',
  'ID IE IL IM IN IO IQ IR IS IT',
  'JE JM JO JP',
  'KE KG KH KI KM KN KP KR KW KY KZ',
  'LA LB LC LI LK LR LS LT LU LV LY',
  'MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ',
  'NA NC NE NF NG NI NL NO NP NR NU NZ',
  'OM',
  'PA PE PF PG PH PK PL PM PN PR PS PT PW PY',
  'QA',
  'RE RO RS RU RW',
  'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ',
  'TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ',
  'UA UG UM US UY UZ',
  'VA VC VE VG VI VN VU',
  'WF WS',
  'YE YT',
  'ZA ZM ZW',
]
  .join(' ')
  .split(' ');

/** User-assigned codes Cairn accepts in addition (see module header). */
export const USER_ASSIGNED_COUNTRY_CODES: readonly string[] = ['XK'];

/** The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted. */
export const ISO_3166_ALPHA2: readonly string[] = Object.freeze(ASSIGNED);

const ACCEPTED = new Set<string>([...ASSIGNED, ...USER_ASSIGNED_COUNTRY_CODES]);

/** True for an accepted upper-case alpha-2 country code. */
export function isCountryCode(code: string): boolean {
  return ACCEPTED.has(code);
}

/**
 * ISO 3166-1 alpha-3 codes and their alpha-2 code, for files exported
 * from systems that write three letters (travel documents' machine-readable
 * zones, many police and border systems). Data: Debian's iso-codes 4.15.0,
 * /usr/share/iso-codes/json/iso_3166-1.json (alpha_3 and alpha_2 of each
 * of the 249 entries); its alpha-2 codes are exactly ASSIGNED above.
 */
const ALPHA3 = [
  'ABW:AW AFG:AF AGO:AO AIA:AI ALA:AX ALB:AL AND:AD ARE:AE ARG:AR ARM:AM ASM:AS ATA:AQ ATF:TF ATG:AG AUS:AU AUT:AT AZE:AZ',
  'BDI:BI BEL:BE BEN:BJ BES:BQ BFA:BF BGD:BD BGR:BG BHR:BH BHS:BS BIH:BA BLM:BL BLR:BY BLZ:BZ BMU:BM BOL:BO BRA:BR BRB:BB BRN:BN BTN:BT BVT:BV BWA:BW',
  'CAF:CF CAN:CA CCK:CC CHE:CH CHL:CL CHN:CN CIV:CI CMR:CM COD:CD COG:CG COK:CK COL:CO COM:KM CPV:CV CRI:CR CUB:CU CUW:CW CXR:CX CYM:KY CYP:CY CZE:CZ',
  'DEU:DE DJI:DJ DMA:DM DNK:DK DOM:DO DZA:DZ',
  'ECU:EC EGY:EG ERI:ER ESH:EH ESP:ES EST:EE ETH:ET',
  'FIN:FI FJI:FJ FLK:FK FRA:FR FRO:FO FSM:FM',
  'GAB:GA GBR:GB GEO:GE GGY:GG GHA:GH GIB:GI GIN:GN GLP:GP GMB:GM GNB:GW GNQ:GQ GRC:GR GRD:GD GRL:GL GTM:GT GUF:GF GUM:GU GUY:GY',
  'HKG:HK HMD:HM HND:HN HRV:HR HTI:HT HUN:HU',
  'IDN:ID IMN:IM IND:IN IOT:IO IRL:IE IRN:IR IRQ:IQ ISL:IS ISR:IL ITA:IT',
  'JAM:JM JEY:JE JOR:JO JPN:JP',
  'KAZ:KZ KEN:KE KGZ:KG KHM:KH KIR:KI KNA:KN KOR:KR KWT:KW',
  'LAO:LA LBN:LB LBR:LR LBY:LY LCA:LC LIE:LI LKA:LK LSO:LS LTU:LT LUX:LU LVA:LV',
  'MAC:MO MAF:MF MAR:MA MCO:MC MDA:MD MDG:MG MDV:MV MEX:MX MHL:MH MKD:MK MLI:ML MLT:MT MMR:MM MNE:ME MNG:MN MNP:MP MOZ:MZ MRT:MR MSR:MS MTQ:MQ MUS:MU MWI:MW MYS:MY MYT:YT',
  'NAM:NA NCL:NC NER:NE NFK:NF NGA:NG NIC:NI NIU:NU NLD:NL NOR:NO NPL:NP NRU:NR NZL:NZ',
  'OMN:OM',
  'PAK:PK PAN:PA PCN:PN PER:PE PHL:PH PLW:PW PNG:PG POL:PL PRI:PR PRK:KP PRT:PT PRY:PY PSE:PS PYF:PF',
  'QAT:QA',
  'REU:RE ROU:RO RUS:RU RWA:RW',
  'SAU:SA SDN:SD SEN:SN SGP:SG SGS:GS SHN:SH SJM:SJ SLB:SB SLE:SL SLV:SV SMR:SM SOM:SO SPM:PM SRB:RS SSD:SS STP:ST SUR:SR SVK:SK SVN:SI SWE:SE SWZ:SZ SXM:SX SYC:SC SYR:SY',
  'TCA:TC TCD:TD TGO:TG THA:TH TJK:TJ TKL:TK TKM:TM TLS:TL TON:TO TTO:TT TUN:TN TUR:TR TUV:TV TWN:TW TZA:TZ',
  'UGA:UG UKR:UA UMI:UM URY:UY USA:US UZB:UZ',
  'VAT:VA VCT:VC VEN:VE VGB:VG VIR:VI VNM:VN VUT:VU',
  'WLF:WF WSM:WS',
  'YEM:YE',
  'ZAF:ZA ZMB:ZM ZWE:ZW',
]
  .join(' ')
  .split(' ')
  .map((pair) => pair.split(':') as [string, string]);

/**
 * Codes of ICAO Doc 9303 (Part 3) for the same states where they differ
 * from ISO alpha-3: Germany writes D in its documents, and Kosovo RKS
 * (Cairn's XK, see USER_ASSIGNED_COUNTRY_CODES).
 */
const ICAO_ONLY: readonly [string, string][] = [
  ['D', 'DE'],
  ['RKS', 'XK'],
];

const TO_ALPHA2 = new Map<string, string>([...ALPHA3, ...ICAO_ONLY]);

/**
 * The alpha-2 code of an upper-case ISO 3166-1 alpha-3 code (POL -> PL),
 * or of ICAO's D (Germany) and RKS (Kosovo); undefined for anything else.
 * Identifiers carry alpha-2 only: this is for readers of what people type or export (readCountryCode).
 */
export function alpha2Of(code: string): string | undefined {
  return TO_ALPHA2.get(code);
}

/**
 * A country code as a person types or a file writes it: any case, and an
 * alpha-3 (or ICAO) code read as its alpha-2 code (`pol`, `POL` -> `PL`).
 * Anything else comes back trimmed and in upper case, for validation to
 * refuse. For the readers of people's input (CSV, the console, the CLI);
 * the API takes alpha-2 only.
 */
export function readCountryCode(text: string): string {
  const code = text.trim().toUpperCase();
  return alpha2Of(code) ?? code;
}
