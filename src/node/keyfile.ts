/**
 * Private key files: 32 bytes as hex, created with mode 0600 in a 0700
 * folder, and refused at start-up when group or others can read them.
 */
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fromHex, toHex } from '../core/bytes.js';
import { CairnError } from '../core/errors.js';

/** Write a new key file (fails if it exists: keys are never overwritten silently). */
export function writeKeyFile(path: string, key: Uint8Array, label: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${toHex(key)}\n`, { mode: 0o600, flag: 'wx' });
  // An umask cannot widen 0600, but a pre-existing ACL-less FS might: enforce.
  chmodSync(path, 0o600);
  void label;
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
