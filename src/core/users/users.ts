/**
 * Local users. An API token is `cairn_` + base64url(32 random bytes); it is
 * shown once and only its SHA-256 is stored, so a copy of the database does
 * not let anyone act as a user.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import type { Role } from '../../../schemas/users.js';
import type { AtomicWriter } from '../atomic.js';
import { appendStatement } from '../audit/entry.js';
import { toBase64Url, toHex, utf8 } from '../bytes.js';
import type { Db } from '../db/schema.js';
import { CairnError } from '../errors.js';
import type { Clock, Random } from '../ports.js';

export interface User {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  revokedAt: string | null;
}

const TOKEN_PREFIX = 'cairn_';

/** SHA-256 of an API token, the only form stored. */
export const hashApiToken = (token: string): Uint8Array => sha256(utf8(token));

export interface UserDeps {
  db: Db;
  atomic: AtomicWriter;
  clock: Clock;
  random: Random;
}

/** Create a user; returns the user and its API token (shown once). */
export async function addUser(deps: UserDeps, input: { name: string; role: Role }, actor: string): Promise<{ user: User; token: string }> {
  const id = `u_${toHex(deps.random.bytes(8))}`;
  const token = TOKEN_PREFIX + toBase64Url(deps.random.bytes(32));
  const now = deps.clock.now();
  const user: User = { id, name: input.name, role: input.role, createdAt: now.toISOString(), revokedAt: null };
  await deps.atomic.run([
    deps.db
      .insertInto('users')
      .values({ id, name: input.name, role: input.role, token_hash: hashApiToken(token), created_at: user.createdAt, revoked_at: null })
      .compile(),
    appendStatement(deps.db, { type: 'users.add', actor, data: { userId: id, name: input.name, role: input.role } }, now),
  ]);
  return { user, token };
}

/** All users, oldest first. */
export async function listUsers(db: Db): Promise<User[]> {
  const rows = await db.selectFrom('users').select(['id', 'name', 'role', 'created_at', 'revoked_at']).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, revokedAt: r.revoked_at }));
}

/** Revoke a user's token for good. */
export async function revokeUser(deps: UserDeps, id: string, actor: string): Promise<User> {
  const existing = await deps.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  if (!existing) throw new CairnError('not_found', `no user with id ${JSON.stringify(id)}`, { location: { field: 'id' } });
  if (existing.revoked_at !== null) throw new CairnError('invalid_request', `user ${id} is already revoked (at ${existing.revoked_at})`);
  const now = deps.clock.now();
  await deps.atomic.run([
    deps.db.updateTable('users').set({ revoked_at: now.toISOString() }).where('id', '=', id).compile(),
    appendStatement(deps.db, { type: 'users.revoke', actor, data: { userId: id } }, now),
  ]);
  return { id, name: existing.name, role: existing.role, createdAt: existing.created_at, revokedAt: now.toISOString() };
}

/** The active user holding `token`, if any. */
export async function authenticate(db: Db, token: string): Promise<User | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 128) return undefined;
  const row = await db.selectFrom('users').selectAll().where('token_hash', '=', hashApiToken(token)).executeTakeFirst();
  if (!row || row.revoked_at !== null) return undefined;
  return { id: row.id, name: row.name, role: row.role, createdAt: row.created_at, revokedAt: null };
}
