/**
 * OPRF key epochs on the command line (protocol/38-key-epochs.md):
 *
 *   cairn keys rotate oprf     start epoch n+1 with a new key (keys/oprf.key.next, 0600)
 *   cairn keys epochs          records and tokens per category, active against pending
 *   cairn keys activate        switch to the pending epoch; the old key is destroyed
 *
 * On a home that is being served the node is the only writer: the same
 * commands go through it with --node URL (operator token), as imports do.
 */
import type { EpochProgress } from '../../core/keys/oprf-epochs.js';
import { CairnError } from '../../core/errors.js';
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';
import { servingPid } from '../lock.js';

export const KEYS_OPRF_HELP: CommandHelp[] = [
  {
    command: 'keys rotate oprf',
    synopsis: '[--node URL --token T] [--json]',
    about: ['start the next OPRF epoch with a new key; the active one keeps answering.', 'Then re-import: `cairn import FILE --epoch next`'],
  },
  { command: 'keys epochs', synopsis: '[--node URL --token T] [--json]', about: ['records and tokens per category: active epoch against the pending one'] },
  {
    command: 'keys activate',
    synopsis: '[--drop-missing] [--node URL --token T] [--json]',
    about: ['switch to the pending OPRF epoch at once; the old key is overwritten and removed,', "and the old epoch's tokens can never match again"],
  },
];

/** Whether `cairn keys ARGV` is one of ours. */
export function isOprfKeysCommand(argv: readonly string[]): boolean {
  const [sub, kind] = argv;
  return sub === 'activate' || sub === 'epochs' || (sub === 'rotate' && kind === 'oprf');
}

interface Remote {
  node: string;
  token: string;
}

async function call(remote: Remote, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${remote.node.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${remote.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (cause) {
    throw new CairnError('peer_unreachable', `cannot reach ${remote.node}`, { cause });
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const p = (json ?? {}) as { code?: string; detail?: string };
    throw new CairnError(p.code === 'invalid_request' ? 'invalid_request' : 'peer_response_invalid', `${method} ${path}: ${res.status} [${p.code ?? '?'}]: ${p.detail ?? text.slice(0, 200)}`);
  }
  return json;
}

/** The progress table: records (tokens) per category in each epoch. */
export function progressLines(p: EpochProgress): string[] {
  const out = [`active epoch ${p.active.epoch}  key ${p.active.keyId.slice(0, 16)}…  since ${p.active.activatedAt ?? p.active.createdAt}`];
  if (!p.pending) {
    out.push('no pending epoch (start one with `cairn keys rotate oprf`)');
    return out;
  }
  out.push(`pending epoch ${p.pending.epoch}  key ${p.pending.keyId.slice(0, 16)}…  since ${p.pending.createdAt}`);
  out.push(`${'category'.padEnd(28)}${`epoch ${p.active.epoch}`.padStart(18)}${`epoch ${p.pending.epoch}`.padStart(18)}`);
  for (const c of p.categories) {
    out.push(`${c.category.padEnd(28)}${`${c.active} (${c.activeTokens})`.padStart(18)}${`${c.pending} (${c.pendingTokens})`.padStart(18)}`);
  }
  out.push('records (tokens)');
  out.push(
    p.missing > 0
      ? `${p.missing} record(s) of epoch ${p.active.epoch} are not in epoch ${p.pending.epoch} yet: re-import them (\`cairn import FILE --epoch next\`) before \`cairn keys activate\``
      : `every record of epoch ${p.active.epoch} is in epoch ${p.pending.epoch}: ready for \`cairn keys activate\``,
  );
  return out;
}

export async function cmdKeysOprf(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest0] = argv;
  const rest = sub === 'rotate' ? rest0.slice(1) : rest0;
  const { values, positionals: pos } = args(rest, {
    json: { type: 'boolean' },
    node: { type: 'string' },
    token: { type: 'string' },
    'drop-missing': { type: 'boolean' },
  });
  positionals(pos, []);
  if (values['drop-missing'] && sub !== 'activate') throw new UsageError('--drop-missing goes with `keys activate`');
  let remote: Remote | undefined;
  if (values.node !== undefined) {
    const token = values.token ?? process.env.CAIRN_TOKEN;
    if (!token) throw new UsageError('--node needs an operator token: --token T or $CAIRN_TOKEN');
    remote = { node: values.node, token };
  } else {
    const home = homeOf(values);
    const pid = servingPid(home);
    if (pid !== undefined) {
      throw new CairnError('home_locked', `${home} is served by process ${pid}: run this through it with --node URL --token T (the node stays the only writer and switches keys in place)`, { details: { pid } });
    }
  }
  const dropMissing = values['drop-missing'] === true;

  const run = async <T>(local: (s: Awaited<ReturnType<typeof nodeServices>>) => Promise<T>, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    if (remote) return (await call(remote, method, path, body)) as T;
    const ctx = await openNodeContext(homeOf(values));
    try {
      return await local(await nodeServices(ctx));
    } finally {
      await ctx.close();
    }
  };

  if (sub === 'activate') {
    const r = await run((s) => s.oprfEpochs.activate(cliActor(), dropMissing ? { dropMissing } : {}), 'POST', '/v1/keys/oprf/activate', dropMissing ? { dropMissing } : {});
    if (values.json) io.out(JSON.stringify(r));
    else {
      io.out(`OPRF epoch ${r.epoch} is active (key ${r.keyId.slice(0, 16)}…): ${r.records} records, ${r.tokens} tokens; epoch ${r.previous}'s tokens and index are deleted`);
      if (r.dropped) io.out(`${r.dropped} record(s) not re-imported were deleted (their references are in the audit entry)`);
      for (const f of r.destroyed) io.out(`overwritten and removed: ${f}`);
      if (r.operatorAction) io.out(r.operatorAction);
      io.out("peers follow on their own: they fetch the new key from the signed descriptor and resync their replicas in full");
    }
    return 0;
  }
  const progress = await run(
    async (s) => {
      if (sub === 'rotate') await s.oprfEpochs.rotate(cliActor());
      return s.oprfEpochs.progress();
    },
    sub === 'rotate' ? 'POST' : 'GET',
    sub === 'rotate' ? '/v1/keys/oprf/rotate' : '/v1/keys/oprf',
  );
  if (values.json) io.out(JSON.stringify(progress));
  else {
    if (sub === 'rotate') io.out(`started OPRF epoch ${progress.pending!.epoch}; epoch ${progress.active.epoch} keeps answering. Re-import every record into it: cairn import FILE --epoch next`);
    for (const l of progressLines(progress)) io.out(l);
  }
  return 0;
}
