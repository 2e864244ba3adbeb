/**
 * The disk under a Node node's database (Ports.storage): room left on its
 * file system and the size of the database's files, for /healthz and
 * /metrics, so an operator hears of a filling disk before writes fail.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoragePort } from '../core/ports.js';
import { databaseBytes } from './sqlite.js';

export function fileStorage(databaseFile: string): StoragePort {
  return {
    async usage() {
      const fs = await statfs(dirname(databaseFile));
      // bavail, not bfree: the blocks a process that is not root may use.
      return { freeBytes: fs.bavail * fs.bsize, sizeBytes: fs.blocks * fs.bsize, databaseBytes: databaseBytes(databaseFile) };
    },
  };
}
