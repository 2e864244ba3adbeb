/**
 * Console sessions, server-side. Signing in with an API token opens a
 * session: the browser gets a random id in an HttpOnly, SameSite=Strict
 * cookie, the database keeps only its SHA-256 (like API tokens, users.ts),
 * with a per-session CSRF token, an idle expiry and an absolute expiry.
 * A revoked user's sessions end at their next request.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, toBase64Url, utf8 } from '../bytes.js';
import { SESSION } from '../constants.js';
import type { Db } from '../db/schema.js';
import type { Clock, Random } from '../ports.js';
import type { User } from './users.js';
import { isDatabaseBusy, isStorageFull } from '../errors.js';

export interface SessionDeps {
  db: Db;
  clock: Clock;
  random: Random;
}

export interface Session {
  user: User;
  csrf: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

/** What a cookie leads to: a live session, one that has expired, or nothing. */
export type SessionLookup = { state: 'active'; session: Session } | { state: 'expired' } | { state: 'absent' };

// base64url of SESSION.idBytes (32) bytes, no padding.
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const hashId = (id: string): Uint8Array => sha256(utf8(id));

/** Open a session for `user`; returns the id for the cookie (shown to the browser only) and the session. */
export async function openSession(deps: SessionDeps, user: User): Promise<{ id: string; session: Session }> {
  const now = deps.clock.now();
  const id = toBase64Url(deps.random.bytes(SESSION.idBytes));
  const csrf = toBase64Url(deps.random.bytes(SESSION.idBytes));
  const at = now.toISOString();
  const expiresAt = new Date(now.getTime() + SESSION.absoluteMs).toISOString();
  // Sweep sessions nobody can use any more; sign-ins are rare enough to carry it.
  await deps.db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', at), eb('last_seen_at', '<=', new Date(now.getTime() - SESSION.idleMs).toISOString())]))
    .execute();
  await deps.db
    .insertInto('sessions')
    .values({
      id_hash: hashId(id),
      user_id: user.id,
      csrf_token: csrf,
      created_at: at,
      last_seen_at: at,
      expires_at: expiresAt,
    })
    .execute();
  return { id, session: { user, csrf, createdAt: at, lastSeenAt: at, expiresAt } };
}

/**
 * The session a cookie names. Attacker-controlled input: anything not shaped
 * like a session id is "absent" without touching the database.
 */
export async function findSession(deps: SessionDeps, id: string | undefined): Promise<SessionLookup> {
  if (id === undefined || !SESSION_ID.test(id)) return { state: 'absent' };
  const idHash = hashId(id);
  const row = await deps.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.csrf_token', 'sessions.created_at', 'sessions.last_seen_at', 'sessions.expires_at', 'users.id', 'users.name', 'users.role', 'users.created_at as user_created_at', 'users.revoked_at'])
    .where('sessions.id_hash', '=', idHash)
    .executeTakeFirst();
  if (!row) return { state: 'absent' };
  const now = deps.clock.now();
  const idleSince = now.getTime() - Date.parse(row.last_seen_at);
  if (row.revoked_at !== null || idleSince >= SESSION.idleMs || now.getTime() >= Date.parse(row.expires_at)) {
    await deps.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    return { state: 'expired' };
  }
  let lastSeenAt = row.last_seen_at;
  if (idleSince >= SESSION.touchEveryMs) {
    try {
      await deps.db.updateTable('sessions').set({ last_seen_at: now.toISOString() }).where('id_hash', '=', idHash).execute();
      lastSeenAt = now.toISOString();
    } catch (e) {
      // A full disk or another writer must not lock a signed-in user out of
      // reading: the session stays as it was, and a later request touches it.
      if (!isStorageFull(e) && !isDatabaseBusy(e)) throw e;
    }
  }
  return {
    state: 'active',
    session: {
      user: { id: row.id, name: row.name, role: row.role, createdAt: row.user_created_at, revokedAt: null },
      csrf: row.csrf_token,
      createdAt: row.created_at,
      lastSeenAt,
      expiresAt: row.expires_at,
    },
  };
}

/** End a session (sign out). */
export async function closeSession(deps: Pick<SessionDeps, 'db'>, id: string | undefined): Promise<void> {
  if (id === undefined || !SESSION_ID.test(id)) return;
  await deps.db.deleteFrom('sessions').where('id_hash', '=', hashId(id)).execute();
}

/** Constant-time check of a submitted CSRF token against the session's. */
export function csrfMatches(session: Session, submitted: string | undefined): boolean {
  return submitted !== undefined && equalBytes(utf8(session.csrf), utf8(submitted));
}
