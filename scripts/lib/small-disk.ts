/**
 * A real, small file system that a test can fill: a tmpfs mounted for the
 * test, so "disk full" is what the kernel says (ENOSPC to a write, SQLITE_FULL
 * to SQLite), not a simulation. Mounting needs root with CAP_SYS_ADMIN, as
 * CI has (it runs as root and installs packages); where the machine refuses
 * the mount, `smallDiskSupport` says why, and the vitest suites and the
 * test:workers step that need one report themselves skipped with that reason.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point: an empty folder on the small file system. */
  dir: string;
  /** Bytes a non-root writer may still use on it. */
  freeBytes(): number;
  /** Take space with a filler file until at most `leaveBytes` are free (0: until a write fails with ENOSPC). */
  fill(leaveBytes?: number): void;
  /** Remove the filler: the space is free again. */
  free(): void;
  /** Unmount and remove the mount point. */
  remove(): void;
}

const FILLER = '.filler';

function mount(sizeBytes: number): { dir?: string; error?: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-small-disk-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) return { dir };
  rmSync(dir, { recursive: true, force: true });
  return { error: (r.stderr || r.error?.message || `mount exited ${r.status}`).trim() };
}

/** Why a small disk cannot be mounted here, or undefined when it can. */
export const smallDiskSupport: string | undefined = (() => {
  const probe = mount(64 * 1024);
  if (probe.dir === undefined) return `cannot mount a tmpfs here (${probe.error}); the disk-full tests need root with CAP_SYS_ADMIN`;
  spawnSync('umount', [probe.dir]);
  rmSync(probe.dir, { recursive: true, force: true });
  return undefined;
})();

/** Mount a tmpfs of `sizeBytes` (rounded up to whole pages by the kernel). */
export function smallDisk(sizeBytes: number): SmallDisk {
  const m = mount(sizeBytes);
  if (m.dir === undefined) throw new Error(`mount tmpfs: ${m.error}`);
  const dir = m.dir;
  const filler = join(dir, FILLER);
  const freeBytes = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    freeBytes,
    fill(leaveBytes = 0) {
      const fd = openSync(filler, 'a');
      const chunk = Buffer.alloc(64 * 1024, 0x5a);
      try {
        for (;;) {
          const room = freeBytes() - leaveBytes;
          if (room <= 0) break;
          writeSync(fd, chunk, 0, Math.min(chunk.length, room));
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
    },
    free() {
      try {
        unlinkSync(filler);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    },
    remove() {
      const r = spawnSync('umount', [dir], { encoding: 'utf8' });
      if (r.status !== 0) spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
