/**
 * The disk under a Node node's database (Ports.storage): room left on its
 * file system and the size of the database's files, for /healthz and
 * /metrics, so an operator hears of a filling disk before writes fail.
 */
import { stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoragePort } from '../core/ports.js';
import { databaseFiles } from './sqlite.js';

export function fileStorage(databaseFile: string): StoragePort {
  return {
    async usage() {
      const fs = await statfs(dirname(databaseFile));
      let databaseBytes = 0;
      for (const f of databaseFiles(databaseFile)) {
        try {
          databaseBytes += (await stat(f)).size;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      // bavail, not bfree: the blocks a process that is not root may use.
      return { freeBytes: fs.bavail * fs.bsize, sizeBytes: fs.blocks * fs.bsize, databaseBytes };
    },
  };
}
