/**
 * Shared command-line plumbing: strict option parsing and usage errors.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolveHome } from './home.js';

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
