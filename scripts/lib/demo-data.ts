/**
 * The demo's fictitious records. No real person is described. The point is
 * to show what Cairn is for: the same child registered in two countries
 * under different transliterations, and unaccompanied minors who went
 * missing from a reception centre and reappear elsewhere.
 */
import { prng, syntheticRecord } from './synthetic-records.js';

type Rec = Record<string, unknown>;

const base = (ref: string, category: string, owningUnit: string, contactPoint: string, identifiers: unknown, recordDate = '2026-02-10'): Rec => ({
  ref,
  category,
  owningUnit,
  contactPoint,
  recordDate,
  retentionUntil: '2036-12-31',
  identifiers,
});

/** Records per demo country (XA Arcadia, XB Borduria, XC Carpania). */
export function demoRecords(country: 'XA' | 'XB' | 'XC', background: number): Rec[] {
  const out: Rec[] = [];
  if (country === 'XA') {
    // Olena, 12, reported missing in Arcadia; her file is in Cyrillic.
    out.push(base('XA-MP-2026-0117', 'missing_child', 'Arcadia Missing Persons Bureau', 'missing.children@police.xa.example', {
      names: [{ given: 'Олена', family: 'Шевченко', patronymic: 'Петрівна' }],
      sex: 'female',
      dateOfBirth: { precision: 'day', date: '2013-04-12' },
      phones: [{ number: '+380501234567' }],
    }));
    // Two brothers registered at the Northgate reception centre without a guardian; the record gives only the year.
    out.push(base('XA-RC-NG-0031', 'unaccompanied_minor', 'Northgate Reception Centre', 'northgate.guardianship@social.xa.example', {
      names: [{ given: 'Yusuf', family: 'Haddad' }],
      sex: 'male',
      dateOfBirth: { precision: 'day', date: '2011-01-01' },
      nationalities: ['SY'],
    }));
    out.push(base('XA-RC-NG-0032', 'unaccompanied_minor', 'Northgate Reception Centre', 'northgate.guardianship@social.xa.example', {
      names: [{ given: 'Omar', family: 'Haddad' }],
      sex: 'male',
      dateOfBirth: { precision: 'year', date: '2013' },
      nationalities: ['SY'],
    }));
  } else if (country === 'XB') {
    // A child at risk of trafficking whose passport is known.
    out.push(base('XB-CP-55102', 'child_at_risk', 'Borduria Child Protection Service', 'cps.duty@gov.xb.example', {
      names: [{ given: 'Dawit', family: 'Tesfaye' }],
      dateOfBirth: { precision: 'day', date: '2012-11-05' },
      documents: [{ type: 'passport', issuingCountry: 'ER', number: 'P0912733' }],
    }));
  } else {
    // Carpania registered a boy found at a railway station: same boy as XA-RC-NG-0031, transliterated differently.
    out.push(base('XC-UM-2026-448', 'unaccompanied_minor', 'Carpania Border Police, Child Unit', 'child.unit@border.xc.example', {
      names: [{ given: 'Youssef', family: 'Hadad' }],
      sex: 'male',
      dateOfBirth: { precision: 'estimated', date: '2011', plusMinusYears: 1 },
    }));
    // A convicted offender (visible only to purposes that may match offenders).
    out.push(base('XC-OFF-7781', 'convicted_offender', 'Carpania Offender Management', 'offender.desk@justice.xc.example', {
      names: [{ given: 'Viktor', family: 'Marek' }],
      dateOfBirth: { precision: 'day', date: '1979-06-21' },
      handles: [{ platform: 'telegram', handle: 'vm_1979' }],
    }));
  }
  const rnd = prng(country.charCodeAt(1));
  for (let i = 0; i < background; i++) out.push(syntheticRecord(i, rnd, { prefix: `${country}-BG` }));
  return out;
}

/** The policy each demo node gives its peers: which of its categories each purpose may match. */
export const DEMO_POLICY: Record<string, string[]> = {
  missing_child_tracing: ['missing_child', 'unaccompanied_minor', 'child_at_risk'],
  victim_identification: ['identified_victim', 'missing_child'],
  child_protection_assessment: ['child_at_risk', 'unaccompanied_minor'],
  criminal_investigation: ['convicted_offender', 'suspect'],
  offender_risk_check: ['convicted_offender'],
};
