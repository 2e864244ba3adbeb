/**
 * The `cairn` command line. Each command is a small function; errors become
 * one line on stderr and a non-zero exit, never a stack trace.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isCairnError } from '../core/errors.js';
import { args, required, UsageError, type Out } from './cli-args.js';
import { AUDIT_USAGE, cmdAudit } from './commands/audit.js';
import { cmdImport, IMPORT_USAGE } from './commands/import.js';
import { cmdKeys, KEYS_USAGE } from './commands/keys.js';
import { cmdPeers, PEERS_USAGE } from './commands/peers.js';
import { cmdRecords, RECORDS_USAGE } from './commands/records.js';
import { cmdSearch, SEARCH_USAGE } from './commands/search.js';
import { cmdUsers, USERS_USAGE } from './commands/users.js';
import { CONFIG_FILE, initHome, resolveHome } from './home.js';
import { startNode } from './server.js';
import { VERSION } from './version.js';

export const USAGE = `cairn ${VERSION}: a federated match node for cross-border child protection

Usage: cairn <command> [options]

Commands:
  init --country CC --name NAME --url URL [--port N] [--host H]
                       create a node home: config, SQLite database, Ed25519 and VOPRF keys (mode 0600)
  serve [--dev] [--port N]
                       migrate the database and serve HTTP; --dev initialises a development
                       node (country XX, loopback URL) when the home does not exist yet
${USERS_USAGE}
${IMPORT_USAGE}
${RECORDS_USAGE}
${PEERS_USAGE}
${SEARCH_USAGE}
${AUDIT_USAGE}
${KEYS_USAGE}
  version              print the version
  help                 this text

Global options:
  --home DIR           the node home (default: $CAIRN_HOME, else ./data)

Configuration: <home>/${CONFIG_FILE}, overridden by CAIRN_* variables (see README).`;

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
  });
  const home = resolveHome(values.home, process.env);
  const port = portOf(values.port);
  const r = initHome(home, {
    country: required(values.country, 'country'),
    name: required(values.name, 'name'),
    url: required(values.url, 'url'),
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
  });
  io.out(`initialised Cairn node ${r.config.node.country} "${r.config.node.name}" in ${home}`);
  io.out(`  config:       ${r.configPath}`);
  io.out(`  node id:      ${r.config.node.id}`);
  io.out(`  signing key fingerprint: ${r.signingFingerprint}`);
  io.out('  (peers compare this fingerprint with you out of band before adding the node)');
  io.out(`  next: cairn serve --home ${home}`);
  return 0;
}

async function cmdServe(argv: string[], io: Out): Promise<number> {
  const { values } = args(argv, { dev: { type: 'boolean' }, port: { type: 'string' } });
  const home = resolveHome(values.home, process.env);
  if (values.dev && !existsSync(join(home, CONFIG_FILE))) {
    const port = portOf(values.port) ?? 8700;
    initHome(home, { country: 'XX', name: 'Cairn development node', url: `http://127.0.0.1:${port}`, port });
    io.err(`cairn: no node home at ${home}: initialised a DEVELOPMENT node (country XX, http://127.0.0.1:${port}). Do not use it for real data.`);
  }
  const port = portOf(values.port);
  const node = await startNode(home, port !== undefined ? { port } : {});
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

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], io: Out = { out: (s) => console.log(s), err: (s) => console.error(s) }): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
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
      io.err(`cairn: ${e.message}\nRun \`cairn help\` for usage.`);
      return 2;
    }
    if (isCairnError(e)) {
      io.err(`cairn: error [${e.code}]: ${e.message}`);
      return 1;
    }
    io.err(`cairn: unexpected error: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

