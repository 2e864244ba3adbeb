/**
 * `cairn restore SRC [--home DIR] [--force]`: put a backup back into a home.
 */
import type { CommandHelp } from '../cli-help.js';
import { restoreHome } from '../backup.js';
import { args, homeOf, positionals, type Out } from '../cli-args.js';

export const RESTORE_HELP: CommandHelp[] = [
  {
    command: 'restore',
    synopsis: 'SRC [--force]',
    about: [
      'restore a backup into the home (refused while it is served; a non-empty home',
      'only with --force); then run `cairn audit verify`',
    ],
  },
];

export async function cmdRestore(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, { force: { type: 'boolean' } });
  const [src] = positionals(pos, ['SRC']);
  const home = homeOf(values);
  const r = restoreHome(src!, home, { force: values.force === true });
  io.out(`restored ${r.manifest.node.country} node "${r.manifest.node.name}" (backup of ${r.manifest.createdAt}) into ${home}`);
  if (!r.keysPresent) io.err(`cairn: warning: the backup holds no keys and ${home} has none: put the node's key files back (keys/signing.key, keys/oprf.key, mode 0600) before \`cairn serve\``);
  io.out(`next: cairn audit verify --home ${home}`);
  return 0;
}
