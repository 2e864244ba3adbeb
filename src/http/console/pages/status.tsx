/** Refusals and errors as pages: wrong role, not found, a stale form, a failure. */
import type { FC } from 'hono/jsx';
import { HOME, Layout } from '../components.js';
import type { Session } from '../../../core/users/sessions.js';

export interface StatusProps {
  nodeName: string;
  session?: Session | undefined;
  title: string;
  message: string;
  requestId?: string | undefined;
}

export const StatusPage: FC<StatusProps> = ({ nodeName, session, title, message, requestId }) => (
  <Layout title={title} session={session} nodeName={nodeName}>
    <h1>{title}</h1>
    <div class="alert" role="alert">
      <p>{message}</p>
    </div>
    {requestId && (
      <p class="muted">
        Request id: <code>{requestId}</code> (the node log has the details).
      </p>
    )}
    <p>
      <a href={session ? HOME[session.user.role] : '/console/login'}>{session ? 'Back to your start page' : 'Sign in'}</a>
    </p>
  </Layout>
);
