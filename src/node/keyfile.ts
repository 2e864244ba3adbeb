/**
 * Private key files: 32 bytes as hex, created with mode 0600 in a 0700
 * folder, and refused at start-up when group or others can read them.
 * Written all or nothing (durable-file.ts): a full disk or a crash never
 * leaves an empty or truncated key under the file's name.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromHex, toHex } from '../core/bytes.js';
import { CairnError } from '../core/errors.js';
import { webRandom } from '../core/ports.js';
import { writeNewFileDurably } from './durable-file.js';

/**
 * Write a new key file, durably and all or nothing. Fails with EEXIST if it
 * exists (keys are never overwritten silently) and with `unavailable` if the
 * disk is full; either way nothing was written.
 */
export function writeKeyFile(path: string, key: Uint8Array, label: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeNewFileDurably(path, `${toHex(key)}\n`, { mode: 0o600, what: `${label} key file` });
}

/** Overwrite a key file in place with random bytes, flush, then remove it. */
export function shredKeyFile(path: string, remove = true): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, `${toHex(webRandom.bytes(32))}\n`, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (remove) unlinkSync(path);
}

/**
 * Destroy a key file that was never used (the step that would have put it
 * to use failed): overwritten, then removed. Where the overwrite itself
 * fails (a copy-on-write file system with no room left) it is still removed.
 */
export function discardKeyFile(path: string): void {
  try {
    shredKeyFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    unlinkSync(path);
  }
}

/** Read a key file, refusing insecure permissions and malformed content. */
export function readKeyFile(path: string, label: string): Uint8Array {
  let st;
  try {
    st = statSync(path);
  } catch (cause) {
    throw new CairnError('home_missing', `${label} key file ${path} is missing; run \`cairn init\` first`, { cause });
  }
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new CairnError(
      'key_file_insecure',
      `refusing to start: ${label} key file ${path} has mode ${mode} and is readable by group or others; run \`chmod 600 ${path}\``,
    );
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new CairnError('key_invalid', `${label} key file ${path} must hold 32 bytes as 64 hex digits`);
  }
  return fromHex(text, path);
}
