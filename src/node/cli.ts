/**
 * The `cairn` command line. Each command is a small function; errors become
 * one line on stderr and a non-zero exit, never a stack trace.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isCairnError, isDatabaseBusy, isStorageFull } from '../core/errors.js';
import { BUSY_TIMEOUT_MS } from './sqlite.js';
import { args, required, UsageError, type Out } from './cli-args.js';
import { formatHelp, helpFor, wantsHelp, type CommandHelp } from './cli-help.js';
import { AUDIT_HELP, cmdAudit } from './commands/audit.js';
import { cmdImport, IMPORT_HELP } from './commands/import.js';
import { cmdKeys, KEYS_HELP } from './commands/keys.js';
import { cmdPeers, PEERS_HELP } from './commands/peers.js';
import { cmdRecords, RECORDS_HELP } from './commands/records.js';
import { cmdSearch, SEARCH_HELP } from './commands/search.js';
import { cmdUsers, USERS_HELP } from './commands/users.js';
import { BACKUP_HELP, cmdBackup } from './commands/backup.js';
import { cmdRestore, RESTORE_HELP } from './commands/restore.js';
import { CONFIG_FILE, initHome, resolveHome } from './home.js';
import { startNode } from './server.js';
import { createMissingDatabase, openNodeContext } from './context.js';
import { listUsers } from '../core/users/users.js';
import { VERSION } from './version.js';
import { terminalLines } from './terminal-text.js';

/** Every command and subcommand, in the order `cairn help` lists them. */
export const COMMANDS: readonly CommandHelp[] = [
  {
    command: 'init',
    synopsis: '--country CC --name NAME --url URL [--port N] [--host H]',
    about: [
      'create a node home: config, SQLite database (created and migrated), Ed25519 and',
      'VOPRF keys (mode 0600). Every other command refuses a home whose database is missing',
    ],
  },
  {
    command: 'init --new-database',
    about: [
      'in an initialised home whose database file is missing (lost, with no backup to',
      'restore), create an empty one at storage.database: the node starts over with',
      'its keys and an empty audit log, which its peers will see go back (an alert)',
    ],
  },
  {
    command: 'serve',
    synopsis: '[--dev] [--port N]',
    about: ['migrate the database and serve HTTP; --dev initialises a development', 'node (country XX, loopback URL) when the home does not exist yet'],
  },
  ...USERS_HELP,
  ...IMPORT_HELP,
  ...RECORDS_HELP,
  ...PEERS_HELP,
  ...SEARCH_HELP,
  ...AUDIT_HELP,
  ...KEYS_HELP,
  ...BACKUP_HELP,
  ...RESTORE_HELP,
  { command: 'version', about: ['print the version'] },
  { command: 'help', synopsis: '[COMMAND [SUBCOMMAND]]', about: ['this text, or the help of one command (also: cairn COMMAND --help)'] },
];

const GLOBAL_OPTIONS = `Global options:
  --home DIR           the node home (default: $CAIRN_HOME, else ./data)
  --help, -h           help on the command before it`;

export const USAGE = `cairn ${VERSION}: a federated match node for cross-border child protection

Usage: cairn <command> [options]

Commands:
${formatHelp(COMMANDS)}

${GLOBAL_OPTIONS}

Configuration: <home>/${CONFIG_FILE}, overridden by CAIRN_* variables (see README).`;

/** The help text for `argv` (a command and maybe a subcommand), or undefined when it names none. */
export function usageOf(argv: readonly string[]): string | undefined {
  const entries = helpFor(COMMANDS, argv);
  return entries && `Usage:\n${formatHelp(entries.map((e) => ({ ...e, command: `cairn ${e.command}` })))}\n\n${GLOBAL_OPTIONS}`;
}

function portOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: ${JSON.stringify(v)} is not a port number (0-65535)`);
  return n;
}

async function cmdInit(argv: string[], io: Out): Promise<number> {
  const { values } = args(argv, {
    country: { type: 'string' },
    name: { type: 'string' },
    url: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'new-database': { type: 'boolean' },
  });
  const home = resolveHome(values.home, process.env);
  if (values['new-database']) {
    const extra = (['country', 'name', 'url', 'port', 'host'] as const).filter((k) => values[k] !== undefined);
    if (extra.length) throw new UsageError(`--new-database takes no ${extra.map((k) => `--${k}`).join(', ')}: it works in a home that is initialised already`);
    const r = await createMissingDatabase(home);
    io.out(`created a new, empty database for ${r.config.node.country} node "${r.config.node.name}" (${r.config.node.id}): ${r.path} (storage.database, from ${r.source})`);
    io.err(
      "cairn: warning: the node's audit log starts over empty under its old signing key. Peers that witnessed the old log will raise a witness alert (a rollback) when they see the new one; tell their operators why. Register users and peers again.",
    );
    return 0;
  }
  const port = portOf(values.port);
  const r = await initHome(home, {
    country: required(values.country, 'country'),
    name: required(values.name, 'name'),
    url: required(values.url, 'url'),
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
  });
  io.out(`initialised Cairn node ${r.config.node.country} "${r.config.node.name}" in ${home}`);
  io.out(`  config:       ${r.configPath}`);
  io.out(`  database:     ${r.databasePath}`);
  io.out(`  node id:      ${r.config.node.id}`);
  io.out(`  signing key fingerprint: ${r.signingFingerprint}`);
  io.out('  (peers compare this fingerprint with you out of band before adding the node)');
  io.out(`  next: cairn serve --home ${home}`);
  return 0;
}

/** Whether the home has a user who can sign in (read once at start-up). */
async function hasActiveUser(home: string): Promise<boolean> {
  const ctx = await openNodeContext(home);
  try {
    return (await listUsers(ctx.db)).some((u) => u.revokedAt === null);
  } finally {
    await ctx.close();
  }
}

/** A path as one shell word, quoted only when it must be. */
const shellWord = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

async function cmdServe(argv: string[], io: Out): Promise<number> {
  const { values } = args(argv, { dev: { type: 'boolean' }, port: { type: 'string' } });
  const home = resolveHome(values.home, process.env);
  if (values.dev && !existsSync(join(home, CONFIG_FILE))) {
    const port = portOf(values.port) ?? 8700;
    await initHome(home, { country: 'XX', name: 'Cairn development node', url: `http://127.0.0.1:${port}`, port });
    io.err(`cairn: no node home at ${home}: initialised a DEVELOPMENT node (country XX, http://127.0.0.1:${port}). Do not use it for real data.`);
  }
  const port = portOf(values.port);
  const node = await startNode(home, port !== undefined ? { port } : {});
  if (!(await hasActiveUser(home))) {
    io.err(`cairn: no users yet. Create the first one (it prints an API token once), then sign in at ${node.url}/console:`);
    io.err(`  npx cairn users add --home ${shellWord(relative(process.cwd(), home) || '.')} --role operator --name "Ops desk"`);
  }
  io.err(`cairn: serving ${node.config.node.country} node "${node.config.node.name}" on ${node.url} (descriptor: ${node.url}/.well-known/cairn/node)`);
  await new Promise<void>((resolveStop) => {
    const stop = (sig: string) => {
      io.err(`cairn: ${sig}: draining in-flight requests and shutting down`);
      node.close().then(() => {
        io.err('cairn: stopped');
        resolveStop();
      }, resolveStop);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}

const consoleIo: Out = { out: (s) => console.log(s), err: (s) => console.error(s) };
let pipeGuarded = false;

/** A reader that stops early (`cairn audit export | head`) ends the command quietly, as Unix tools do. */
function exitQuietlyOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], io: Out = consoleIo): Promise<number> {
  if (io === consoleIo) exitQuietlyOnClosedPipe();
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'help' && rest.length) {
      const text = usageOf(wantsHelp(rest) ? ['help'] : rest);
      if (!text) throw new UsageError(`help: no command ${JSON.stringify(rest.join(' '))}`);
      io.out(text);
      return 0;
    }
    if (cmd !== undefined && !cmd.startsWith('-') && wantsHelp(rest)) {
      const text = usageOf(argv);
      if (!text) throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
      io.out(text);
      return 0;
    }
    switch (cmd) {
      case 'init':
        return await cmdInit(rest, io);
      case 'serve':
        return await cmdServe(rest, io);
      case 'users':
        return await cmdUsers(rest, io);
      case 'import':
        return await cmdImport(rest, io);
      case 'records':
        return await cmdRecords(rest, io);
      case 'peers':
        return await cmdPeers(rest, io);
      case 'search':
        return await cmdSearch(rest, io);
      case 'audit':
        return await cmdAudit(rest, io);
      case 'keys':
        return await cmdKeys(rest, io);
      case 'backup':
        return await cmdBackup(rest, io);
      case 'restore':
        return await cmdRestore(rest, io);
      case 'version':
      case '--version':
        io.out(VERSION);
        return 0;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(cmd)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`cairn: ${terminalLines(e.message)}\nRun \`cairn help\` for usage.`);
      return 2;
    }
    if (isCairnError(e)) {
      // One label for a full disk, whether a step explained it or not.
      // A message may quote what a peer or a file said: shown, never obeyed by the terminal.
      io.err(`cairn: error [${isStorageFull(e.cause) ? 'storage_full' : e.code}]: ${terminalLines(e.message)}`);
      return 1;
    }
    if (isStorageFull(e)) {
      io.err(`cairn: error [storage_full]: ${storageFullMessage(e)}`);
      return 1;
    }
    if (isDatabaseBusy(e)) {
      io.err(`cairn: error [unavailable]: the home's database is held by another writer (the serving node or another cairn command) for longer than ${BUSY_TIMEOUT_MS / 1000} s; try again when it is done`);
      return 1;
    }
    io.err(`cairn: unexpected error: ${terminalLines(e instanceof Error ? e.message : String(e))}`);
    return 1;
  }
}

/** A full disk, said so that the operator knows what was kept and what to do. */
function storageFullMessage(e: unknown): string {
  const { code, path } = e as { code?: unknown; path?: unknown };
  const where = typeof path === 'string' ? ` (writing ${path})` : code === 'ENOSPC' || code === 'EDQUOT' ? '' : " (the home's database)";
  return `no space left on the disk${where}. The step that needed the room stored nothing, and nothing stored before was lost; free space on that disk (\`df -h\` shows which) and run the command again`;
}
