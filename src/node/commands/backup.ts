/**
 * `cairn backup DEST [--include-keys]`: a consistent online backup of a home.
 */
import type { CommandHelp } from '../cli-help.js';
import { backupHome } from '../backup.js';
import { args, homeOf, positionals, type Out } from '../cli-args.js';

export const BACKUP_HELP: CommandHelp[] = [
  {
    command: 'backup',
    synopsis: 'DEST [--include-keys]',
    about: [
      'consistent online backup (SQLite backup API) of the database and configuration',
      'into the new folder DEST (0700); keys only with --include-keys',
    ],
  },
];

export async function cmdBackup(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, { 'include-keys': { type: 'boolean' } });
  const [dest] = positionals(pos, ['DEST']);
  const includeKeys = values['include-keys'] === true;
  if (includeKeys) {
    io.err('cairn: warning: --include-keys copies the node\'s PRIVATE signing and OPRF keys into the backup; whoever holds it can act as this node. Keep it offline and encrypted.');
  }
  const m = await backupHome(homeOf(values), dest!, { includeKeys });
  io.out(`backed up ${m.node.country} node "${m.node.name}" to ${dest}: ${Object.keys(m.files).join(', ')}`);
  if (!includeKeys) io.out('keys were left out: restore them from your offline key backup (or take one with --include-keys)');
  return 0;
}
