/**
 * The OPRF key files of a Node home, for key epochs (protocol/38-key-epochs.md):
 * the active key in the configured file (keys/oprf.key), a pending one
 * beside it (keys/oprf.key.next), both mode 0600. Retiring a key overwrites
 * its file in place with random bytes and flushes it before the file is
 * replaced or removed, so the old scalar is not left in the file's blocks.
 * A pending key whose rotation failed to be recorded is destroyed the same
 * way (`discard`): nothing ever used it.
 */
import { existsSync, renameSync } from 'node:fs';
import { equalBytes } from '../core/bytes.js';
import type { OprfKeyStore } from '../core/keys/oprf-epochs.js';
import { generateOprfKeyPair } from '../core/oprf/index.js';
import { discardKeyFile, readKeyFile, shredKeyFile, writeKeyFile } from './keyfile.js';

/** The pending key's file beside the active one. */
export const pendingKeyPath = (activePath: string): string => `${activePath}.next`;

/** The key files of a home whose active key file is `activePath`. */
export function fileOprfKeyStore(activePath: string): OprfKeyStore {
  const nextPath = pendingKeyPath(activePath);
  let keys: Uint8Array[] = [];
  const load = () => {
    keys = [];
    if (existsSync(activePath)) keys.push(readKeyFile(activePath, 'oprf'));
    if (existsSync(nextPath)) keys.push(readKeyFile(nextPath, 'oprf (pending)'));
  };
  load();
  return {
    secretKeys: () => keys,
    create() {
      // wx: a pending key file left by an earlier rotation is never overwritten silently.
      const { secretKey } = generateOprfKeyPair();
      writeKeyFile(nextPath, secretKey, 'oprf (pending)');
      load();
      return keys.find((k) => equalBytes(k, secretKey))!;
    },
    discard(secretKey) {
      if (existsSync(nextPath) && equalBytes(readKeyFile(nextPath, 'oprf (pending)'), secretKey)) discardKeyFile(nextPath);
      load();
    },
    async retire(keep) {
      const destroyed: string[] = [];
      const activeHolds = existsSync(activePath) && equalBytes(readKeyFile(activePath, 'oprf'), keep);
      const nextHolds = existsSync(nextPath) && equalBytes(readKeyFile(nextPath, 'oprf (pending)'), keep);
      if (!activeHolds && existsSync(activePath)) {
        // Overwritten in place; the rename below replaces the file itself.
        shredKeyFile(activePath, !nextHolds);
        destroyed.push(activePath);
      }
      if (nextHolds) renameSync(nextPath, activePath);
      else if (existsSync(nextPath)) {
        shredKeyFile(nextPath);
        destroyed.push(nextPath);
      }
      load();
      return { destroyed };
    },
  };
}
