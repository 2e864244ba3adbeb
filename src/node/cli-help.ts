/**
 * Help text of the `cairn` command line, kept as data: one entry per
 * command or subcommand, so `cairn help`, `cairn <command> --help` and
 * `cairn <command> <subcommand> --help` print from the same source, and a
 * test can run `--help` for every entry.
 */

/** One command or subcommand: its words, its synopsis and what it does. */
export interface CommandHelp {
  /** The words that name it, e.g. `peers policy`. */
  command: string;
  /** Arguments and options after the words. */
  synopsis?: string;
  /** What it does, one line per array item. */
  about: string[];
}

const ABOUT_COLUMN = 23;

/** Render entries in the two-column layout of `cairn help`. */
export function formatHelp(entries: readonly CommandHelp[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    const head = `  ${e.command}${e.synopsis ? ` ${e.synopsis}` : ''}`;
    const [first, ...more] = e.about;
    if (head.length < ABOUT_COLUMN - 1 && first !== undefined) lines.push(`${head.padEnd(ABOUT_COLUMN)}${first}`);
    else {
      lines.push(head);
      if (first !== undefined) lines.push(`${' '.repeat(ABOUT_COLUMN)}${first}`);
    }
    for (const m of more) lines.push(`${' '.repeat(ABOUT_COLUMN)}${m}`);
  }
  return lines.join('\n');
}

/** True when the command line asks for help (`--help` or `-h` before any `--`). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/**
 * The entries `argv` asks about: the subcommand's entry when one is named,
 * else every entry of the command; undefined for an unknown command.
 */
export function helpFor(all: readonly CommandHelp[], argv: readonly string[]): CommandHelp[] | undefined {
  const words = argv.filter((a) => !a.startsWith('-')).slice(0, 2);
  const [cmd, sub] = words;
  if (cmd === undefined) return undefined;
  if (sub !== undefined) {
    const exact = all.filter((e) => e.command === `${cmd} ${sub}`);
    if (exact.length) return exact;
  }
  const group = all.filter((e) => e.command === cmd || e.command.startsWith(`${cmd} `));
  return group.length ? group : undefined;
}
