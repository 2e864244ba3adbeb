/**
 * Sign-in with an API token. When a form was posted after the session
 * expired, its fields ride along as hidden inputs, so nothing typed is lost.
 */
import type { FC } from 'hono/jsx';
import { CONSOLE } from '../constants.js';
import { ErrorSummary, Layout, TextField } from '../components.js';
import type { FormFields } from '../form.js';

export interface Resume {
  /** The console path the form was posted to. */
  action: string;
  fields: FormFields;
}

export interface LoginProps {
  nodeName: string;
  next?: string | undefined;
  error?: string | undefined;
  notice?: string | undefined;
  resume?: Resume | undefined;
}

export const LoginPage: FC<LoginProps> = ({ nodeName, next, error, notice, resume }) => (
  <Layout title="Sign in" nodeName={nodeName}>
    <h1>Sign in to the Cairn console</h1>
    {notice && (
      <div class="notice" role="status">
        <p>{notice}</p>
      </div>
    )}
    <ErrorSummary errors={error ? { [CONSOLE.fields.token]: error } : {}} labels={{ [CONSOLE.fields.token]: 'API token' }} />
    <form method="post" action={CONSOLE.paths.login} class="narrow">
      <TextField
        name={CONSOLE.fields.token}
        label="API token"
        type="password"
        required
        wide
        autocomplete="off"
        hint={
          <>
            The token <code>cairn users add</code> printed for you (it starts with <code>cairn_</code>). It is sent once; the browser then keeps only a session cookie.
          </>
        }
        errors={error ? { [CONSOLE.fields.token]: error } : undefined}
      />
      {next && <input type="hidden" name={CONSOLE.fields.next} value={next} />}
      {resume && <input type="hidden" name={CONSOLE.fields.resumeAction} value={resume.action} />}
      {resume?.fields.pairs.map(([k, v]) => (
        <input type="hidden" name={`${CONSOLE.fields.resumeField}${k}`} value={v} />
      ))}
      <p>
        <button type="submit">Sign in</button>
      </p>
    </form>
  </Layout>
);
