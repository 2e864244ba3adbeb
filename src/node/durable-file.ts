/**
 * New files written all or nothing, and durably: the content goes to a
 * temporary file beside the target, is flushed, and only then gets the
 * target's name, by a hard link that fails if the name is taken (so a file
 * is never overwritten silently); then the folder is flushed so the name
 * survives a power loss. A failed write (a full disk) or a crash leaves
 * either the whole file under its name or nothing under it: never an empty
 * or truncated key or configuration. A crash can at most leave a temporary
 * `.NAME.PID.RANDOM.tmp`, which no reader looks at.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CairnError, isStorageFull } from '../core/errors.js';

/** link(2) refused because the file system has no hard links (FAT, some FUSE and network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/** fsync(2) of a folder that the platform cannot open or flush (Windows, some network file systems). */
const NO_FOLDER_FSYNC = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'ENOTSUP', 'EBADF']);

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

/** Why a write found no room, for a message. */
export function noSpaceReason(e: unknown): string {
  return errno(e) === 'EDQUOT' ? 'the disk quota is used up (EDQUOT)' : 'the disk is full (ENOSPC)';
}

/** Remove a file if it is there. */
function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the error that brought us here says more.
  }
}

/** Flush a folder's entries (a new or removed name) to disk, where the platform can. */
export function fsyncFolder(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch (e) {
    if (NO_FOLDER_FSYNC.has(errno(e) ?? '')) return;
    throw e;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!NO_FOLDER_FSYNC.has(errno(e) ?? '')) throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Give the file `temp` also the name `path`, unless `path` exists (EEXIST
 * then). Without hard links, the name is claimed with an empty exclusive
 * file first and the temporary file renamed over it: still never over
 * someone else's file, though a crash between the two steps leaves that
 * empty file behind.
 */
function claimName(temp: string, path: string): void {
  try {
    linkSync(temp, path);
  } catch (e) {
    if (!NO_HARD_LINKS.has(errno(e) ?? '')) throw e;
    closeSync(openSync(path, 'wx', 0o600));
    try {
      renameSync(temp, path);
    } catch (r) {
      unlinkQuietly(path);
      throw r;
    }
  }
}

/**
 * Create `path` with `content` and `mode`, durably and all or nothing (see
 * the module comment). Fails with Node's EEXIST if `path` exists, and with
 * `unavailable` if the disk is full; either way nothing was written.
 * `what` names the file in messages, e.g. "signing key file".
 */
export function writeNewFileDurably(path: string, content: string | Uint8Array, opts: { mode: number; what: string }): void {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  let named = false;
  try {
    const fd = openSync(temp, 'wx', opts.mode);
    try {
      // A umask can only narrow the mode; a file system that ignores it cannot widen it past this.
      fchmodSync(fd, opts.mode);
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    claimName(temp, path);
    named = true;
    // A second name of the file (the key's content) must not stay behind; gone already after a rename.
    try {
      unlinkSync(temp);
    } catch (e) {
      if (errno(e) !== 'ENOENT') throw e;
    }
    fsyncFolder(dir);
  } catch (e) {
    unlinkQuietly(temp);
    // Named but not flushed: the caller hears of a failure, so the file must not stay either.
    if (named) unlinkQuietly(path);
    if (isStorageFull(e)) {
      throw new CairnError('unavailable', `cannot write the ${opts.what} ${path}: ${noSpaceReason(e)}, so nothing was written. Free some space and run the command again`, { cause: e });
    }
    throw e;
  }
}
