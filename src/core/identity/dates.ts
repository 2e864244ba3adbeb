/**
 * Dates of birth: calendar checks at the trust boundary, and the dates that
 * keys are derived from.
 *
 * The 1 January rule: registries that do not know a birthday commonly record
 * 1 January of an estimated year (UNHCR and many asylum systems do this for
 * whole caseloads). A `day` date of 01-01 is therefore keyed as an estimate,
 * year ± 1, and yields no day-exact (probable) key. A child really born on
 * 1 January loses its probable keys; the alternative — every estimated child
 * of a year sharing one "exact" birthday — would flood probable matches.
 */
import type { DateOfBirth } from '../../../schemas/identifiers.js';

/** Earliest accepted birth year. */
export const MIN_BIRTH_YEAR = 1900;

/** Window, in years either side, given to a 1 January placeholder date. */
export const PLACEHOLDER_PLUS_MINUS = 1;

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** The earliest calendar date the record allows, or undefined for unknown. */
function earliest(dob: DateOfBirth): CalendarDate | undefined {
  switch (dob.precision) {
    case 'day': {
      const [y, m, d] = dob.date.split('-').map(Number) as [number, number, number];
      return { year: y, month: m, day: d };
    }
    case 'month': {
      const [y, m] = dob.date.split('-').map(Number) as [number, number];
      return { year: y, month: m, day: 1 };
    }
    case 'year':
      return { year: Number(dob.date), month: 1, day: 1 };
    case 'estimated':
      return { year: Number(dob.date) - dob.plusMinusYears, month: 1, day: 1 };
    case 'unknown':
      return undefined;
  }
}

const compare = (a: CalendarDate, b: CalendarDate): number => a.year - b.year || a.month - b.month || a.day - b.day;

/**
 * Problems with a syntactically valid date of birth: impossible calendar
 * dates, years before 1900, and dates after `today` (UTC). Empty if fine.
 */
export function dateOfBirthProblems(dob: DateOfBirth, today: CalendarDate): string[] {
  const e = earliest(dob);
  if (e === undefined) return [];
  const problems: string[] = [];
  if (dob.precision === 'day' || dob.precision === 'month') {
    if (e.month < 1 || e.month > 12) return ['month out of range 01-12'];
    if (dob.precision === 'day' && (e.day < 1 || e.day > daysInMonth(e.year, e.month))) {
      return ['no such day in that month'];
    }
  }
  const centre = dob.precision === 'estimated' ? Number(dob.date) : e.year;
  if (centre < MIN_BIRTH_YEAR) problems.push(`year before ${MIN_BIRTH_YEAR}`);
  if (compare(e, today) > 0) problems.push('date of birth is in the future');
  return problems;
}

/** What keys may use of a date of birth. */
export interface KeyDates {
  /** Day-exact date, absent for anything less precise or a 1 January placeholder. */
  exact?: CalendarDate;
  /** True when a `day` date was 01-01 and is keyed as year ± 1. */
  placeholder: boolean;
  /** Candidate birth years, ascending. */
  years: number[];
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The dates keys are derived from (see the module header for the 1 January rule). */
export function keyDates(dob: DateOfBirth | undefined): KeyDates {
  if (dob === undefined) return { placeholder: false, years: [] };
  const e = earliest(dob);
  switch (dob.precision) {
    case 'day':
      if (e!.month === 1 && e!.day === 1) {
        return { placeholder: true, years: range(e!.year - PLACEHOLDER_PLUS_MINUS, e!.year + PLACEHOLDER_PLUS_MINUS) };
      }
      return { exact: e!, placeholder: false, years: [e!.year] };
    case 'month':
    case 'year':
      return { placeholder: false, years: [e!.year] };
    case 'estimated': {
      const y = Number(dob.date);
      return { placeholder: false, years: range(y - dob.plusMinusYears, y + dob.plusMinusYears) };
    }
    case 'unknown':
      return { placeholder: false, years: [] };
  }
}

/** Today's date in UTC from a clock reading. */
export function utcDate(now: Date): CalendarDate {
  return { year: now.getUTCFullYear(), month: now.getUTCMonth() + 1, day: now.getUTCDate() };
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** YYYY-MM-DD. */
export const formatDate = (d: CalendarDate): string => `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
/** YYYY. */
export const formatYear = (y: number): string => pad(y, 4);
