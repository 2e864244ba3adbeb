/**
 * The web console's constants in one place: paths, cookie, lifetimes, form
 * field names and the thresholds behind the DPO's pattern flags.
 */

import { SESSION } from '../../core/constants.js';

export const CONSOLE = {
  prefix: '/console',
  paths: {
    home: '/console',
    login: '/console/login',
    logout: '/console/logout',
    search: '/console/search',
    searches: '/console/searches',
    hits: '/console/hits',
    audit: '/console/audit',
    auditLog: '/console/audit/log',
    auditExport: '/console/audit/export',
    auditVerify: '/console/audit/verify',
    auditReconcile: '/console/audit/reconcile',
    operator: '/console/operator',
  },
  cookie: {
    /** Plain name over http (development, loopback tests). */
    name: 'cairn_console',
    /** Over https the __Secure- prefix makes browsers insist on the Secure flag (RFC 6265bis §4.1.3.1). */
    secureName: '__Secure-cairn_console',
  },
  /** Session lifetimes live with the sessions, in the core. */
  session: SESSION,
  fields: {
    csrf: '_csrf',
    /** Hidden fields that carry a form through a sign-in: resume.action and resume.f.<name>. */
    resumeAction: 'resume.action',
    resumeField: 'resume.f.',
    next: 'next',
    token: 'token',
  },
  search: {
    /** Rows of each repeatable group the form offers (no JavaScript to add more). */
    nameRows: 2,
    documentRows: 2,
    phoneRows: 2,
    emailRows: 2,
    handleRows: 2,
    recentSearches: 20,
  },
  audit: {
    pageSize: 50,
    /** The whole log is re-verified on every overview up to this size; beyond it, on request. */
    autoVerifyMax: 20_000,
    chartDays: 14,
    exportMax: 10_000,
    /** Rows read for the charts and flags (newest first). */
    statsMaxRows: 50_000,
  },
} as const;

/**
 * When the DPO overview raises a flag. Deliberately simple, documented on the
 * page, and tuned per deployment by changing these numbers.
 */
export const FLAG_RULES = {
  /** Searches by one user within `windowMs`. */
  userBurst: { count: 10, windowMs: 10 * 60 * 1000 },
  /** Match requests from one peer within `windowMs`. */
  peerBurst: { count: 30, windowMs: 10 * 60 * 1000 },
  /** Searches by one user in one UTC day that found nothing anywhere. */
  userNoHitsPerDay: { count: 20 },
  /** Match requests from one peer in one UTC day with no hit confirmed. */
  peerNoHitsPerDay: { count: 50 },
} as const;

/** The shape of the flag rules, with numbers free to vary (tests use small ones). */
export type FlagRules = { [K in keyof typeof FLAG_RULES]: { [P in keyof (typeof FLAG_RULES)[K]]: number } };
