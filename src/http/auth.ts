/**
 * Role checks for local API routes: `Authorization: Bearer cairn_…`.
 * Missing or unknown token: 401; a valid token of the wrong role: 403.
 */
import type { MiddlewareHandler } from 'hono';
import type { Role } from '../../schemas/users.js';
import { CairnError } from '../core/errors.js';
import type { UserService } from '../core/services-users.js';
import type { User } from '../core/users/users.js';

export type AuthEnv = { Variables: { user: User } };

/** Middleware factory: only users with one of `roles` pass. */
export function requireRole(users: UserService, ...roles: Role[]): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const m = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      throw new CairnError('unauthenticated', 'this route needs an API token: Authorization: Bearer <token> (create one with `cairn users add`)');
    }
    const user = await users.authenticate(m[1]!);
    if (!user) throw new CairnError('unauthenticated', 'the API token is unknown or revoked');
    if (!roles.includes(user.role)) {
      throw new CairnError('forbidden', `role ${user.role} may not use this route; it needs ${roles.join(' or ')}`);
    }
    c.set('user', user);
    await next();
  };
}
