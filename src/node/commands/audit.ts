/**
 * `cairn audit verify|export|checkpoint|reconcile|prune`: DPO tooling.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { auditFilterSchema } from '../../core/audit/query.js';
import { validate } from '../../core/decode/json-body.js';
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, required, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';

export const AUDIT_HELP: CommandHelp[] = [
  { command: 'audit verify', about: ['recompute the log from its entries, check every checkpoint; exit 1 naming', 'the first bad entry'] },
  {
    command: 'audit export',
    synopsis: `[--format csv|json] [--out FILE] [--from T] [--to T] [--type T] [--user U]
               [--actor A] [--peer P] [--purpose P] [--case REF]`,
    about: [
      'export entries (every export is itself logged); T is a day (YYYY-MM-DD, --to',
      'includes the whole day, UTC) or an RFC 3339 time (2026-12-01T08:00:00Z)',
    ],
  },
  { command: 'audit checkpoint', about: ['sign (if the log grew) and print the latest checkpoint'] },
  { command: 'audit reconcile', synopsis: '--peer CC', about: ["prove with inclusion proofs that each of our searches is in the peer's log"] },
  { command: 'audit prune', about: ['prune entry payloads past audit.retentionDays (leaf hashes stay)'] },
];

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * `--from`/`--to` as the console takes them: a UTC day (`--to` includes its
 * whole day) or an RFC 3339 time, passed on as the filter's instant.
 */
export function timeOption(v: string, flag: 'from' | 'to'): string {
  const t = Date.parse(DAY.test(v) ? `${v}T00:00:00Z` : v);
  if (DAY.test(v) && !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v) {
    return new Date(flag === 'to' ? t + 86_400_000 : t).toISOString();
  }
  if (!DAY.test(v) && /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(t)) return v;
  throw new UsageError(`--${flag}: expected a day (YYYY-MM-DD) or an RFC 3339 time (2026-12-01T08:00:00Z), not ${JSON.stringify(v)}`);
}

export async function cmdAudit(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, {
    format: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    type: { type: 'string' },
    user: { type: 'string' },
    peer: { type: 'string' },
    purpose: { type: 'string' },
    case: { type: 'string' },
    actor: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!['verify', 'export', 'checkpoint', 'reconcile', 'prune'].includes(sub ?? '')) {
    throw new UsageError(`audit: expected verify, export, checkpoint, reconcile or prune${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  }
  positionals(pos, []);
  const ctx = await openNodeContext(homeOf(values));
  try {
    const { audit, peers, witness } = await nodeServices(ctx);
    switch (sub) {
      case 'verify': {
        const r = await audit.log.verify((n) => process.stderr.isTTY && process.stderr.write(`\rverified ${n.toLocaleString('en-US')} entries`));
        if (process.stderr.isTTY) process.stderr.write('\n');
        if (values.json) io.out(JSON.stringify(r));
        if (!r.ok) {
          io.err(`cairn: audit log verification FAILED: ${r.problem?.message}`);
          return 1;
        }
        if (!values.json) io.out(`audit log OK: ${r.size} entries (${r.pruned} pruned by retention), ${r.checkpoints} checkpoints verified`);
        return 0;
      }
      case 'export': {
        const format = values.format ?? 'json';
        if (format !== 'csv' && format !== 'json') throw new UsageError('--format must be csv or json');
        const filter = validate(auditFilterSchema, {
          ...(values.from ? { from: timeOption(values.from, 'from') } : {}),
          ...(values.to ? { to: timeOption(values.to, 'to') } : {}),
          ...(values.type ? { type: values.type } : {}),
          ...(values.user ? { user: values.user } : {}),
          ...(values.actor ? { actor: values.actor } : {}),
          ...(values.peer ? { peer: values.peer } : {}),
          ...(values.purpose ? { purpose: values.purpose } : {}),
          ...(values.case ? { caseReference: values.case } : {}),
          limit: 1000,
        });
        await audit.record('audit.export', cliActor(), { format, filter });
        const out = values.out ? createWriteStream(values.out, { mode: 0o640 }) : process.stdout;
        // Wait for the reader between pages: a slow pipe holds one page in memory, not the log.
        const write = async (s: string) => {
          if (!out.write(s)) await once(out, 'drain');
        };
        let cursor: number | undefined;
        let first = true;
        let n = 0;
        if (format === 'json') await write('[\n');
        for (;;) {
          const page = await audit.entries({ ...filter, ...(cursor !== undefined ? { cursor } : {}) });
          if (format === 'csv') await write(first ? audit.toCsv(page.entries) : audit.toCsv(page.entries).split('\r\n').slice(1).join('\r\n'));
          else await write(page.entries.map((e) => `${n++ === 0 ? '' : ',\n'}${JSON.stringify(e)}`).join(''));
          first = false;
          if (page.next === null) break;
          cursor = page.next;
        }
        if (format === 'json') await write('\n]\n');
        if (values.out) await new Promise<void>((r) => (out as ReturnType<typeof createWriteStream>).end(() => r()));
        return 0;
      }
      case 'checkpoint': {
        const cp = await audit.log.latestCheckpoint();
        io.out(cp.note.trimEnd());
        return 0;
      }
      case 'reconcile': {
        const peer = await peers.find(required(values.peer, 'peer'));
        const r = await witness.reconcile(peer);
        if (values.json) io.out(JSON.stringify(r, null, 2));
        else {
          io.out(`${peer.country}: checkpoint size ${r.checkpointSize} (${r.witness}); ${r.proven} of ${r.checked} searches proven in its log`);
          for (const m of r.missing) io.out(`  MISSING ${m.searchId} (index ${m.index ?? '-'}): ${m.reason}`);
        }
        return r.missing.length || r.witness === 'alert' ? 1 : 0;
      }
      default: {
        const before = new Date(ctx.clock.now().getTime() - ctx.config.audit.retentionDays * 86_400_000);
        io.out(`pruned ${await audit.log.prune(before)} entries older than ${before.toISOString().slice(0, 10)}`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
