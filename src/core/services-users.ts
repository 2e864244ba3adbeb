/**
 * Local users (API tokens) and console sessions as services.
 */
import type { Role } from '../../schemas/users.js';
import type { AtomicWriter } from './atomic.js';
import { appendStatement } from './audit/entry.js';
import type { Db } from './db/schema.js';
import type { Clock, Random } from './ports.js';
import { closeSession, findSession, openSession, type Session, type SessionLookup } from './users/sessions.js';
import { addUser, authenticate, listUsers, revokeUser, type User } from './users/users.js';

/** Local users and their API tokens. */
export interface UserService {
  list(): Promise<User[]>;
  /** Create a user; its token is returned once, only its hash is stored. */
  add(input: { name: string; role: Role }, actor: string): Promise<{ user: User; token: string }>;
  revoke(id: string, actor: string): Promise<User>;
  /** The active user holding `token`, if any. */
  authenticate(token: string): Promise<User | undefined>;
}

/** Build the user service. */
export function createUserService(deps: { db: Db; atomic: AtomicWriter; clock: Clock; random: Random }): UserService {
  return {
    list: () => listUsers(deps.db),
    add: (input, actor) => addUser(deps, input, actor),
    revoke: (id, actor) => revokeUser(deps, id, actor),
    authenticate: (token) => authenticate(deps.db, token),
  };
}

/** Console sessions opened with an API token. */
export interface SessionService {
  /** Open a session for the holder of `token` (recorded in the audit log); undefined if the token is unknown or revoked. */
  signIn(token: string): Promise<{ id: string; session: Session } | undefined>;
  /** The session a cookie names. */
  find(id: string | undefined): Promise<SessionLookup>;
  /** End a session; with `user`, record the sign-out. */
  signOut(id: string | undefined, user?: User): Promise<void>;
  /** Sessions not yet past their absolute expiry. */
  activeCount(): Promise<number>;
}

/** Build the session service. */
export function createSessionService(deps: { db: Db; atomic: AtomicWriter; clock: Clock; random: Random }): SessionService {
  const entry = async (type: 'console.signin' | 'console.signout', user: User, data: Record<string, string>) =>
    deps.atomic.run([appendStatement(deps.db, { type, actor: `user:${user.id}`, data }, deps.clock.now())]);
  return {
    async signIn(token) {
      const user = await authenticate(deps.db, token);
      if (!user) return undefined;
      const opened = await openSession(deps, user);
      await entry('console.signin', user, { user: user.id, role: user.role });
      return opened;
    },
    find: (id) => findSession(deps, id),
    async signOut(id, user) {
      await closeSession(deps, id);
      if (user) await entry('console.signout', user, { user: user.id });
    },
    async activeCount() {
      const r = await deps.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('expires_at', '>', deps.clock.now().toISOString()).executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
