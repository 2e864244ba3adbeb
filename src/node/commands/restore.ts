/**
 * `cairn restore SRC [--home DIR] [--force] [--other-node]`: put a backup back into a home.
 */
import type { CommandHelp } from '../cli-help.js';
import { restoreHome } from '../backup.js';
import { args, homeOf, positionals, type Out } from '../cli-args.js';

export const RESTORE_HELP: CommandHelp[] = [
  {
    command: 'restore',
    synopsis: 'SRC [--force] [--other-node]',
    about: [
      'restore a backup into the home (refused while it is served). A non-empty home',
      'only with --force: without it, says what it would replace (the audit log before',
      'and after). A backup of another node only with --other-node (moving a node);',
      "one whose keys the home would not have, never. Replaced files are kept beside",
      'as NAME.replaced-<time>; then run `cairn audit verify`',
    ],
  },
];

export async function cmdRestore(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, { force: { type: 'boolean' }, 'other-node': { type: 'boolean' } });
  const [src] = positionals(pos, ['SRC']);
  const home = homeOf(values);
  const r = restoreHome(src!, home, { force: values.force === true, otherNode: values['other-node'] === true });
  io.out(`restored ${r.manifest.node.country} node "${r.manifest.node.name}" (backup of ${r.manifest.createdAt}) into ${home}`);
  if (r.replacedNode) io.out(`  it replaced node ${r.replacedNode}`);
  io.out(`  audit log: ${r.before ? `${r.before.entries.toLocaleString('en-US')} entries before, ` : ''}${r.after.entries.toLocaleString('en-US')} now`);
  for (const k of r.kept) io.out(`  kept ${k.file} (replaced) as ${k.keptAs}`);
  if (r.change) io.err(`cairn: warning: ${r.change}`);
  for (const n of r.notes) io.err(`cairn: note: ${n}`);
  if (!r.keysPresent) io.err(`cairn: warning: the backup holds no keys and ${home} has none: put the node's key files back (keys/signing.key, keys/oprf.key, mode 0600) before \`cairn serve\``);
  io.out(`next: cairn audit verify --home ${home}`);
  return 0;
}
