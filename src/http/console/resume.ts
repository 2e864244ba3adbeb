/**
 * Forms that survive a sign-in. When a session expires while a form is
 * being filled in, the POST is answered with the sign-in page carrying the
 * fields (guard.tsx); after signing in, the form is shown again, filled in,
 * for the user to check and send. It is not re-sent by itself: the act
 * (a search, a confirmation) is recorded under the user who signs in, and
 * they should see what they are about to send.
 */
import type { Role } from '../../../schemas/users.js';
import type { FormFields } from './form.js';
import type { ConsoleContext } from './guard.js';
import type { Session } from '../../core/users/sessions.js';

export interface Resumable {
  matches(path: string): boolean;
  roles: readonly Role[];
  render(c: ConsoleContext, session: Session, fields: FormFields, path: string): Promise<Response>;
}
