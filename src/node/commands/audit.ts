/**
 * `cairn audit verify|export|checkpoint|reconcile|prune`: DPO tooling.
 */
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { auditFilterSchema, type AuditFilter } from '../../core/audit/query.js';
import { validate } from '../../core/decode/json-body.js';
import { isCairnError } from '../../core/errors.js';
import type { Services } from '../../core/services.js';
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, required, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';
import { fsyncFolder } from '../durable-file.js';
import { terminalSafe } from '../terminal-text.js';
import { openCheckpoint } from '../../core/audit/checkpoint.js';
import { leafHashOf } from '../../core/audit/entry.js';
import { createAuditLog } from '../../core/audit/log.js';
import { verifyInclusion } from '../../core/audit/merkle/index.js';
import { ed25519NoteVerifier } from '../../core/audit/note.js';
import { equalBytes, fromBase64, toBase64 } from '../../core/bytes.js';
import { nodeEd25519Verify } from '../ed25519.js';

export const AUDIT_HELP: CommandHelp[] = [
  { command: 'audit verify', about: ['recompute the log from its entries, check every checkpoint; exit 1 naming', 'the first bad entry'] },
  {
    command: 'audit export',
    synopsis: `[--format csv|json|bundle] [--out FILE [--force]] [--from T] [--to T] [--type T]
               [--user U] [--actor A] [--peer P] [--purpose P] [--case REF]`,
    about: [
      'export entries (every export is itself logged); T is a day (YYYY-MM-DD, --to',
      'includes the whole day, UTC) or an RFC 3339 time with its zone (2026-12-01T08:00:00Z,',
      '2026-12-01T09:00:00+01:00); --peer is a peer\'s node id or country code. --out writes',
      'FILE whole or not at all (never a partial file); an existing FILE only with --force.',
      'bundle: each entry with its inclusion proof in a checkpoint signed now, for `audit check`',
    ],
  },
  {
    command: 'audit check',
    synopsis: 'FILE --vkey VKEY',
    about: [
      'check a bundle offline, without the node: its checkpoint signed by VKEY (from',
      '`cairn keys show`, had out of band) and every entry in the log at that size',
    ],
  },
  { command: 'audit checkpoint', about: ['sign (if the log grew) and print the latest checkpoint'] },
  { command: 'audit reconcile', synopsis: '--peer CC', about: ["prove with inclusion proofs that each of our searches is in the peer's log"] },
  { command: 'audit prune', about: ['prune entry payloads past audit.retentionDays (leaf hashes stay)'] },
];

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** An RFC 3339 time: seconds and fraction optional, the zone (Z or ±hh:mm) required. */
const ZONED_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|([+-])(\d{2}):(\d{2}))$/i;
/** The same without a zone: a local time, a different instant on every machine. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;

/**
 * `--from`/`--to` as the console takes them: a UTC day (`--to` includes its
 * whole day) or an RFC 3339 time with its zone, passed on as the filter's
 * instant (UTC).
 */
export function timeOption(v: string, flag: 'from' | 'to'): string {
  if (DAY.test(v)) {
    const t = Date.parse(`${v}T00:00:00Z`);
    if (!Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v) return new Date(flag === 'to' ? t + 86_400_000 : t).toISOString();
  } else if (LOCAL_TIME.test(v)) {
    throw new UsageError(`--${flag}: ${JSON.stringify(v)} has no time zone, so it names a different instant on every machine: add Z (UTC) or an offset ±hh:mm, e.g. --${flag} ${v}Z or --${flag} ${v}+01:00`);
  } else {
    const m = ZONED_TIME.exec(v);
    const t = Date.parse(v);
    if (m && !Number.isNaN(t)) {
      // Date.parse rolls 2026-11-31 over to December 1st: the day must be the one written, in the time's own zone.
      const offsetMin = m[2]!.toUpperCase() === 'Z' ? 0 : (m[3] === '-' ? -1 : 1) * (Number(m[4]) * 60 + Number(m[5]));
      if (new Date(t + offsetMin * 60_000).toISOString().slice(0, 10) === m[1]) return new Date(t).toISOString();
    }
  }
  throw new UsageError(`--${flag}: expected a day (YYYY-MM-DD) or an RFC 3339 time with its zone (2026-12-01T08:00:00Z, 2026-12-01T09:00:00+01:00), not ${JSON.stringify(v)}`);
}

/** The command-line option of each filter field. */
const OPTION_OF: Record<string, string> = { caseReference: 'case' };

/** The export's filter from the options, every mistake a usage error naming its option. */
function exportFilter(values: Record<string, string | boolean | undefined>): AuditFilter {
  const text = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const from = text('from') === undefined ? undefined : timeOption(text('from')!, 'from');
  const to = text('to') === undefined ? undefined : timeOption(text('to')!, 'to');
  if (from !== undefined && to !== undefined && Date.parse(from) >= Date.parse(to)) {
    throw new UsageError(
      `--from ${text('from')} is not before --to ${text('to')}${DAY.test(text('to')!) ? ' (a day as --to includes all of it)' : ''}: no entry can match; swap them, or widen the range`,
    );
  }
  const raw: Record<string, unknown> = { limit: 1000 };
  if (from !== undefined) raw.from = from;
  if (to !== undefined) raw.to = to;
  for (const [field, option] of [['type', 'type'], ['user', 'user'], ['actor', 'actor'], ['peer', 'peer'], ['purpose', 'purpose'], ['caseReference', 'case']] as const) {
    if (text(option) !== undefined) raw[field] = text(option);
  }
  try {
    return validate(auditFilterSchema, raw);
  } catch (e) {
    const first = isCairnError(e, 'invalid_request') ? (e.details?.errors as { field: string; message: string }[] | undefined)?.[0] : undefined;
    if (!first) throw e;
    throw new UsageError(`--${OPTION_OF[first.field] ?? first.field}: ${first.message}`);
  }
}

/**
 * `--peer` names a peer this node has (by node id or country code), or one
 * its log names (a peer removed since): anything else is a typo that would
 * export nothing and look like an answer.
 */
async function checkPeer(sel: string, peers: Services['peers'], audit: Services['audit']): Promise<void> {
  const all = await peers.list();
  if (all.some((p) => p.id === sel || p.country === sel.toUpperCase())) return;
  if ((await audit.entries({ peer: sel, limit: 1 })).entries.length > 0) return;
  const known = all.length ? `this node's peers are ${all.map((p) => `${p.country} (${p.id})`).join(', ')}` : 'this node has no peers';
  throw new UsageError(`--peer ${sel}: unknown peer: no peer has this node id or country code, and no audit entry names it; ${known}`);
}

/** An export's `--out` file while it is written (openOutFile). */
interface OutFile {
  stream: WriteStream;
  /** Flush and give the temporary file its name. */
  commit(): Promise<void>;
  /** Remove the temporary file (an export that failed). */
  abort(): void;
}

/** Check `--out` before the home is opened: a folder or an existing file without --force is a usage error. */
function checkOutPath(file: string, force: boolean): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    return; // a new file: its folder is checked when it is made
  }
  if (st.isDirectory()) throw new UsageError(`--out ${file} is a folder; name the file to write (nothing was exported)`);
  if (!force) throw new UsageError(`--out ${file} already exists; pass --force to replace it, or name a new file (nothing was exported)`);
}

/**
 * Where `--out` writes: a temporary file beside FILE, made before anything
 * is exported or logged (so a path that cannot be written is said at once),
 * flushed and renamed to FILE at the end. FILE is never left partial, and
 * an existing one is replaced only with `--force`.
 */
function openOutFile(file: string, force: boolean): OutFile {
  const dir = dirname(resolve(file));
  const temp = join(dir, `.${basename(file)}.${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, 'wx', 0o640);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`--out ${file}: the folder ${dir} does not exist (nothing was exported)`);
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') throw new UsageError(`--out ${file}: cannot write in the folder ${dir} (${code}) (nothing was exported)`);
    throw e;
  }
  const stream = createWriteStream('', { fd, autoClose: false });
  let closed = false;
  const close = () => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  return {
    stream,
    async commit() {
      await new Promise<void>((ok, fail) => {
        stream.once('error', fail);
        stream.end(() => ok());
      });
      fsyncSync(fd);
      close();
      if (force) renameSync(temp, file);
      else {
        // A link fails if FILE was made meanwhile: without --force, never replaced.
        try {
          linkSync(temp, file);
          rmSync(temp);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EEXIST') throw new UsageError(`--out ${file} was made by another program while the export ran; it was not replaced`);
          if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(code ?? '') || existsSync(file)) throw e;
          renameSync(temp, file); // a file system without hard links
        }
      }
      fsyncFolder(dir);
    },
    abort() {
      stream.destroy();
      close();
      rmSync(temp, { force: true });
    },
  };
}

/** The format of `audit export --format bundle` (PROTOCOL.md §40 "Bundles"). */
const BUNDLE_FORMAT = 'cairn-audit-bundle/1';

/** One entry of a bundle: its canonical text (null once pruned), leaf hash and inclusion proof, both standard base64. */
interface BundleEntry {
  idx: number;
  leafHash: string;
  entry: string | null;
  proof: string[];
}

/**
 * `audit check FILE --vkey VKEY`: a bundle checked with nothing but the
 * verifier key a DPO was given out of band: the checkpoint's signature, then
 * each entry's leaf hash and its inclusion proof against that checkpoint.
 * Needs no node home and writes nothing.
 */
async function checkBundle(file: string, vkey: string, io: Out): Promise<number> {
  const fail = (message: string) => {
    io.err(`cairn: bundle check FAILED: ${terminalSafe(message)}`);
    return 1;
  };
  let verifier;
  try {
    verifier = ed25519NoteVerifier(vkey, nodeEd25519Verify);
  } catch (e) {
    throw new UsageError(`--vkey: ${(e as Error).message} (the audit log's "verifier key" line of \`cairn keys show\`)`);
  }
  let bundle: { format?: unknown; checkpoint?: unknown; entries?: unknown };
  try {
    bundle = JSON.parse(readFileSync(file, 'utf8')) as typeof bundle;
  } catch (e) {
    return fail(`${file} is not a readable JSON bundle (${(e as Error).message})`);
  }
  if (bundle.format !== BUNDLE_FORMAT || typeof bundle.checkpoint !== 'string' || !Array.isArray(bundle.entries)) {
    return fail(`${file} is not a ${BUNDLE_FORMAT} bundle (\`cairn audit export --format bundle\` writes one)`);
  }
  let cp;
  try {
    cp = openCheckpoint(bundle.checkpoint, verifier, { origin: verifier.name }).checkpoint;
  } catch (e) {
    return fail(`its checkpoint is not signed by ${verifier.name} with this key: ${(e as Error).message}`);
  }
  let pruned = 0;
  for (const [i, raw] of (bundle.entries as unknown[]).entries()) {
    const e = raw as Partial<BundleEntry>;
    const where = `entry ${typeof e.idx === 'number' ? e.idx : `#${i}`}`;
    if (!Number.isSafeInteger(e.idx) || typeof e.leafHash !== 'string' || !Array.isArray(e.proof) || (e.entry !== null && typeof e.entry !== 'string')) return fail(`${where}: malformed`);
    let leaf: Uint8Array;
    try {
      leaf = fromBase64(e.leafHash, 'leafHash');
      if (e.entry === null) pruned++;
      else if (!equalBytes(leafHashOf(e.entry!), leaf)) return fail(`${where}: its text does not match its leaf hash (the entry was changed)`);
      verifyInclusion(e.idx!, cp.treeSize, leaf, e.proof.map((h) => fromBase64(String(h), 'proof')), cp.rootHash);
    } catch (err) {
      return fail(`${where}: not in the log at size ${cp.treeSize}: ${(err as Error).message}`);
    }
  }
  const n = (bundle.entries as unknown[]).length;
  io.out(`bundle OK: ${n} ${n === 1 ? 'entry is' : 'entries are'} in the log ${verifier.name} at size ${cp.treeSize}, whose checkpoint this key signed${pruned ? ` (${pruned} pruned by retention: their leaf only)` : ''}`);
  return 0;
}

/**
 * `audit verify`: the database opened read-only, so verifying a copy kept as
 * evidence changes not a byte of it (nor needs write access); nothing is
 * migrated, and the keys are the home's key files.
 */
async function verify(home: string, json: boolean, io: Out): Promise<number> {
  const ctx = await openNodeContext(home, process.env, { readOnly: true });
  try {
    const log = createAuditLog({ db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, signer: ctx.keys.signer, baseUrl: ctx.config.node.url, verify: nodeEd25519Verify });
    const r = await log.verify((n) => process.stderr.isTTY && process.stderr.write(`\rverified ${n.toLocaleString('en-US')} entries`));
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (json) io.out(JSON.stringify(r));
    if (!r.ok) {
      io.err(`cairn: audit log verification FAILED${r.problem?.index !== undefined ? ` at entry ${r.problem.index}` : ''}: ${r.problem?.message}`);
      return 1;
    }
    if (!json) {
      io.out(`audit log OK: ${r.size} entries (${r.pruned} pruned by retention), ${r.checkpoints} checkpoints and ${r.cosignatures} peer cosignatures verified`);
      io.out(`${r.uncovered} ${r.uncovered === 1 ? 'entry is' : 'entries are'} not yet covered by a signed checkpoint`);
    }
    return 0;
  } finally {
    await ctx.close();
  }
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
    force: { type: 'boolean' },
    vkey: { type: 'string' },
  });
  if (!['verify', 'export', 'check', 'checkpoint', 'reconcile', 'prune'].includes(sub ?? '')) {
    throw new UsageError(`audit: expected verify, export, check, checkpoint, reconcile or prune${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  }
  if (sub === 'check') {
    const [file] = positionals(pos, ['FILE']);
    return checkBundle(file!, required(values.vkey, 'vkey'), io);
  }
  positionals(pos, []);
  // An export's options are checked before the home is opened: a mistake exports nothing and logs nothing.
  let filter: AuditFilter | undefined;
  if (sub === 'export') {
    if (values.format !== undefined && values.format !== 'csv' && values.format !== 'json' && values.format !== 'bundle') throw new UsageError('--format must be csv, json or bundle');
    filter = exportFilter(values);
    if (values.out !== undefined) checkOutPath(values.out, values.force === true);
  }
  if (sub === 'verify') return verify(homeOf(values), values.json === true, io);
  const ctx = await openNodeContext(homeOf(values));
  try {
    const { audit, peers, witness } = await nodeServices(ctx);
    switch (sub) {
      case 'export': {
        const format = values.format ?? 'json';
        if (values.peer !== undefined) await checkPeer(values.peer, peers, audit);
        // Made before the export is logged: a path that cannot be written leaves no entry behind.
        const file = values.out === undefined ? undefined : openOutFile(values.out, values.force === true);
        try {
          await audit.record('audit.export', cliActor(), { format, filter: filter! });
          const out = file?.stream ?? process.stdout;
          // Wait for the reader between pages: a slow pipe holds one page in memory, not the log.
          const write = async (s: string) => {
            if (!out.write(s)) await once(out, 'drain');
          };
          let cursor: number | undefined;
          let first = true;
          let n = 0;
          // A bundle's checkpoint is signed now, after the export's own entry: every entry listed is under it.
          const cp = format === 'bundle' ? await audit.log.latestCheckpoint(0) : undefined;
          if (format === 'json') await write('[\n');
          if (cp) await write(`{"format":${JSON.stringify(BUNDLE_FORMAT)},"checkpoint":${JSON.stringify(cp.note)},"entries":[\n`);
          for (;;) {
            const page = await audit.entries({ ...filter!, ...(cursor !== undefined ? { cursor } : {}) });
            if (format === 'csv') await write(first ? audit.toCsv(page.entries) : audit.toCsv(page.entries).split('\r\n').slice(1).join('\r\n'));
            else if (cp) {
              for (const e of page.entries) {
                if (e.idx >= cp.size) continue;
                const p = await audit.log.inclusionProof(e.idx, cp.size);
                const item: BundleEntry = { idx: e.idx, leafHash: toBase64(p.leafHash), entry: p.entry, proof: p.hashes.map((h) => toBase64(h)) };
                await write(`${n++ === 0 ? '' : ',\n'}${JSON.stringify(item)}`);
              }
            } else await write(page.entries.map((e) => `${n++ === 0 ? '' : ',\n'}${JSON.stringify(e)}`).join(''));
            if (format === 'csv') n += page.entries.length;
            first = false;
            if (page.next === null) break;
            cursor = page.next;
          }
          if (format === 'json') await write('\n]\n');
          if (cp) await write('\n]}\n');
          if (file) {
            await file.commit();
            io.err(`cairn: exported ${n.toLocaleString('en-US')} ${n === 1 ? 'entry' : 'entries'} to ${values.out}`);
          }
        } catch (e) {
          file?.abort();
          throw e;
        }
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
          for (const m of r.missing) io.out(`  MISSING ${m.searchId} (index ${m.index ?? '-'}): ${terminalSafe(m.reason)}`);
        }
        return r.missing.length || r.witness === 'alert' ? 1 : 0;
      }
      default: {
        const before = new Date(ctx.clock.now().getTime() - ctx.config.audit.retentionDays * 86_400_000);
        io.out(`pruned ${await audit.log.prune(before, cliActor())} entries older than ${before.toISOString().slice(0, 10)}`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
