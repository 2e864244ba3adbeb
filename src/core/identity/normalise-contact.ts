/**
 * Normalisation of the identifiers behind strong keys: document numbers,
 * phone numbers, e-mail addresses, online handles and file digests. Each
 * function returns the canonical string or the reason there is none; the
 * caller (parse.ts) turns reasons into a typed error naming the field.
 *
 * Conservative by design: a strong key asserts "same identifier", so nothing
 * provider-specific is guessed (no Gmail dot or +tag stripping).
 */
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import type { Handle, IdentityDocument, Phone } from '../../../schemas/identifiers.js';

export type Normalised = { ok: true; value: string } | { ok: false; problem: string };

const ok = (value: string): Normalised => ({ ok: true, value });
const bad = (problem: string): Normalised => ({ ok: false, problem });

/**
 * Document number: NFKC, upper case, spaces, hyphens, dots and slashes
 * removed; what is left must be letters (any script, not transliterated) and
 * ASCII digits.
 */
export function normaliseDocumentNumber(doc: Pick<IdentityDocument, 'number'>): Normalised {
  const n = doc.number.normalize('NFKC').toUpperCase().replace(/[\s\-./]/gu, '');
  if (n.length === 0) return bad('empty document number');
  if (!/^[\p{L}0-9]+$/u.test(n)) return bad('document number may hold only letters and digits');
  return ok(n);
}

/**
 * Phone number to E.164 (ITU-T E.164 "+" and digits) via libphonenumber's
 * full metadata. A national or "00…" number follows the numbering plan of
 * its `country` (parseIdentifiers fills in the node's country); without
 * one, "00" is read as the international prefix, as ITU-T recommends and
 * most numbering plans use.
 */
export function normalisePhone(phone: Phone): Normalised {
  let raw = phone.number.normalize('NFKC').trim();
  if (!raw.startsWith('+') && phone.country === undefined) {
    if (!/^00[1-9]/.test(raw.replace(/[\s\-./()]/g, ''))) {
      return bad('a national-format number needs a country (the phone\'s country, or the node\'s country when it is configured)');
    }
    raw = `+${raw.replace(/[\s\-./()]/g, '').slice(2)}`;
  }
  try {
    const p = parsePhoneNumberWithError(raw, phone.country as CountryCode | undefined);
    if (!p.isValid()) return bad('not a valid number in its numbering plan');
    return ok(p.number);
  } catch {
    return bad('not a phone number');
  }
}

const LOCAL_PART = /^[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+(\.[\p{L}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?=[a-z0-9-]*[a-z])[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * E-mail: NFKC, trimmed, lower-cased, domain to its IDNA ASCII form. Dots
 * and "+tags" in the local part are kept: whether they matter is the mail
 * provider's business, and guessing would create false strong matches.
 * Quoted local parts and IP-literal domains are not accepted.
 */
export function normaliseEmail(email: string): Normalised {
  const e = email.normalize('NFKC').trim().toLowerCase();
  const at = e.lastIndexOf('@');
  if (at <= 0 || at === e.length - 1) return bad('not an e-mail address');
  const local = e.slice(0, at);
  const domainIn = e.slice(at + 1);
  if ([...local].length > 64 || !LOCAL_PART.test(local)) return bad('not an e-mail address (local part)');
  let domain: string;
  try {
    if (!/^[\p{L}\p{N}.-]+$/u.test(domainIn)) throw new Error('domain characters');
    domain = new URL(`http://${domainIn}/`).hostname;
  } catch {
    return bad('not an e-mail address (domain)');
  }
  if (!DOMAIN.test(domain)) return bad('not an e-mail address (domain)');
  return ok(`${local}@${domain}`);
}

/** Platform slugs that name the same service; the right-hand side is canonical. */
export const PLATFORM_ALIASES: Readonly<Record<string, string>> = {
  twitter: 'x',
  'twitter.com': 'x',
  'x.com': 'x',
  fb: 'facebook',
  ig: 'instagram',
};

/** Canonical platform slug. */
export const canonicalPlatform = (platform: string): string => PLATFORM_ALIASES[platform] ?? platform;

/**
 * Handle: NFKC, trimmed, one leading "@" removed, lower-cased (the platforms
 * Cairn sees treat handles case-insensitively). Must not contain whitespace.
 */
export function normaliseHandle(h: Pick<Handle, 'handle'>): Normalised {
  let s = h.handle.normalize('NFKC').trim();
  if (s.startsWith('@')) s = s.slice(1);
  s = s.toLowerCase();
  if (s.length === 0) return bad('empty handle');
  if (/\s/u.test(s)) return bad('handle contains whitespace');
  return ok(s);
}

/** SHA-256 digest: lower-case hex (already checked for 64 hex digits). */
export const normaliseFileSha256 = (hex: string): string => hex.toLowerCase();
