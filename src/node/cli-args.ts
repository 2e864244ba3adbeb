/**
 * Shared command-line plumbing: strict option parsing and usage errors.
 */
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolveHome } from './home.js';

/**
 * Exit codes of every command: what happened, for scripts and supervisors.
 * 0 done; 1 failed (nothing stored was lost); 2 bad command line; 3 done in
 * part (some import rows rejected, some peers did not answer); 4 a search
 * that no peer answered.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, partial: 3, noAnswer: 4 } as const;

/** A bad command line: exit code 2. */
export class UsageError extends Error {}

export type Out = { out: (s: string) => void; err: (s: string) => void };

const common = { home: { type: 'string' } } as const;

/** Parse options strictly (unknown options are usage errors). */
export function args<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...common, ...options }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A required option's value. */
export function required(v: string | undefined, flag: string): string {
  if (v === undefined || v.trim() === '') throw new UsageError(`missing required option --${flag}`);
  return v;
}

/** Exactly `n` positional arguments named by `names`. */
export function positionals(p: string[], names: string[]): string[] {
  if (p.length !== names.length) {
    throw new UsageError(p.length < names.length ? `missing ${names.slice(p.length).join(' ')}` : `unexpected argument ${JSON.stringify(p[names.length])}`);
  }
  return p;
}

/** The home folder from --home / CAIRN_HOME / ./data. */
export const homeOf = (values: { home?: string | undefined }) => resolveHome(values.home, process.env);

/** The operating-system account running the command, for the audit log. */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): the uid still says who it was.
    return process.env.USER ?? `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The audit actor of an administrative act from the command line: `cli:<OS user>`. */
export const cliActor = (): string => `cli:${osUser()}`;
