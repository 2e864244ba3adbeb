/**
 * One serving process per home: `<home>/serve.lock` holds the PID of the
 * `cairn serve` that owns the home. It is created with O_EXCL, so of two
 * processes starting together exactly one wins; a lock left by a process
 * that no longer exists (killed, machine crashed) is taken over.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CairnError } from '../core/errors.js';

export const SERVE_LOCK_FILE = 'serve.lock';

/** The serve lock's path in a home. */
export const serveLockPath = (home: string): string => join(home, SERVE_LOCK_FILE);

/** Whether a process with this PID exists (EPERM: it exists, owned by another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidIn(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The PID of the live process serving this home, if any. */
export function servingPid(home: string): number | undefined {
  const pid = pidIn(serveLockPath(home));
  return pid !== undefined && processAlive(pid) ? pid : undefined;
}

export interface ServeLock {
  /** The lock file. */
  path: string;
  /** PID of a dead process whose lock this one took over, if any. */
  tookOverFrom: number | undefined;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): void;
}

/**
 * Take the home's serve lock for this process, or fail with `home_locked`
 * naming the PID that holds it.
 */
export function acquireServeLock(home: string): ServeLock {
  const path = serveLockPath(home);
  let tookOverFrom: number | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        path,
        tookOverFrom,
        release() {
          if (released) return;
          released = true;
          if (pidIn(path) === process.pid) {
            try {
              unlinkSync(path);
            } catch {
              // already gone: nothing to release
            }
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = pidIn(path);
    if (holder !== undefined && processAlive(holder)) {
      throw new CairnError(
        'home_locked',
        `${home} is already served by process ${holder}${holder === process.pid ? ' (this process)' : ''} (lock ${path}); stop it first, or serve another home`,
        { details: { pid: holder } },
      );
    }
    // Stale (its process is gone) or unreadable half-written: take it over.
    // Two processes doing this at once both unlink, then only one O_EXCL create wins.
    tookOverFrom = holder;
    try {
      unlinkSync(path);
    } catch {
      // another process removed it first; the create below decides
    }
  }
  const holder = pidIn(path);
  throw new CairnError('home_locked', `${home} is being taken by process ${holder ?? '(unknown)'} (lock ${path})`, {
    ...(holder !== undefined ? { details: { pid: holder } } : {}),
  });
}
