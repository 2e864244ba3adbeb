/**
 * Set-up for a Cairn node on Cloudflare Workers, which has no CLI of its own
 * (docs/workers.md walks through a deployment):
 *
 *   node dist/scripts/workers-setup.js keys --out FILE
 *       new signing and OPRF keys as a .env file for `wrangler secret bulk FILE`
 *       (or `wrangler dev --env-file FILE`); prints the signing-key fingerprint
 *   node dist/scripts/workers-setup.js user --role operator|analyst|dpo --name NAME (--local [--persist-to DIR] | --remote)
 *       create a user in the node's D1 database; prints its API token once
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { roleSchema } from '../schemas/users.js';
import { addWorkerUsers, generateWorkerSecrets, secretsDotEnv, type D1Target } from './lib/workers.js';

const USAGE = `usage:
  workers-setup keys --out FILE
  workers-setup user --role analyst|dpo|operator --name NAME (--local [--persist-to DIR] | --remote) [--json]`;

function fail(msg: string): never {
  process.stderr.write(`${msg}\n${USAGE}\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      local: { type: 'boolean' },
      remote: { type: 'boolean' },
      'persist-to': { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  switch (cmd) {
    case 'keys': {
      if (!values.out) fail('keys: --out FILE is required (keys are never printed to the terminal)');
      const secrets = generateWorkerSecrets();
      // wx: never overwrite a key file; 0600: the file holds the node's secrets.
      try {
        writeFileSync(values.out, secretsDotEnv(secrets), { mode: 0o600, flag: 'wx' });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') fail(`keys: ${values.out} already exists; keys are never overwritten`);
        throw e;
      }
      process.stdout.write(`wrote CAIRN_SIGNING_KEY and CAIRN_OPRF_KEY to ${values.out}\nsigning key fingerprint (give it to peers): ${secrets.fingerprint}\n`);
      return;
    }
    case 'user': {
      const role = roleSchema.safeParse(values.role);
      if (!role.success) fail('user: --role must be analyst, dpo or operator');
      const name = values.name?.trim();
      if (!name || name.length > 200 || /\p{Cc}/u.test(name)) fail('user: --name is required: at most 200 characters, no control characters');
      if (values.local === values.remote) fail('user: give exactly one of --local and --remote');
      if (values['persist-to'] && !values.local) fail('user: --persist-to goes with --local');
      const target: D1Target = values.remote ? { remote: true } : { local: true, ...(values['persist-to'] ? { persistTo: values['persist-to'] } : {}) };
      const [made] = await addWorkerUsers(target, [{ role: role.data, name }]);
      const { user, token } = made!;
      if (values.json) process.stdout.write(`${JSON.stringify({ user, token })}\n`);
      else process.stdout.write(`created ${user.role} ${JSON.stringify(user.name)} (id ${user.id})\nAPI token (shown only now; store it safely): ${token}\n`);
      return;
    }
    default:
      fail(cmd ? `unknown command ${JSON.stringify(cmd)}` : 'no command');
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
