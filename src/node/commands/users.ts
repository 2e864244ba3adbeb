/**
 * `cairn users add|list|revoke`: local users and their API tokens.
 */
import { roleSchema } from '../../../schemas/users.js';
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, required, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';

export const USERS_HELP: CommandHelp[] = [
  { command: 'users add', synopsis: '--role analyst|dpo|operator --name NAME', about: ['create a local user; prints its API token once (only a hash is stored)'] },
  { command: 'users list', about: ['list users and roles'] },
  { command: 'users revoke', synopsis: 'ID', about: ["revoke a user's token"] },
];

export async function cmdUsers(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, { role: { type: 'string' }, name: { type: 'string' }, json: { type: 'boolean' } });
  const ctx = await openNodeContext(homeOf(values));
  try {
    const { users } = await nodeServices(ctx);
    switch (sub) {
      case 'add': {
        positionals(pos, []);
        const role = roleSchema.safeParse(required(values.role, 'role'));
        if (!role.success) throw new UsageError(`--role: must be analyst, dpo or operator`);
        const name = required(values.name, 'name').trim();
        if (name.length > 200 || /\p{Cc}/u.test(name)) throw new UsageError('--name: at most 200 characters, no control characters');
        const { user, token } = await users.add({ name, role: role.data }, cliActor());
        if (values.json) io.out(JSON.stringify({ user, token }));
        else {
          io.out(`created ${user.role} ${JSON.stringify(user.name)} (id ${user.id})`);
          io.out(`API token (shown only now; store it safely): ${token}`);
        }
        return 0;
      }
      case 'list': {
        positionals(pos, []);
        const all = await users.list();
        if (values.json) io.out(JSON.stringify(all));
        else if (all.length === 0) io.out('no users yet: cairn users add --role analyst --name "…"');
        else for (const u of all) io.out(`${u.id}  ${u.role.padEnd(8)}  ${u.revokedAt ? `revoked ${u.revokedAt}` : 'active'.padEnd(28)}  ${u.name}`);
        return 0;
      }
      case 'revoke': {
        const [id] = positionals(pos, ['ID']);
        const u = await users.revoke(id!, cliActor());
        io.out(`revoked ${u.id} (${u.role} ${JSON.stringify(u.name)})`);
        return 0;
      }
      default:
        throw new UsageError(`users: expected add, list or revoke${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
    }
  } finally {
    await ctx.close();
  }
}
