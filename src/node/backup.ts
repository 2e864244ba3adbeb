/**
 * Online backup and restore of a node home.
 *
 *   <dest>/backup.json   manifest: format, node, time, which files, SHA-256 of each
 *   <dest>/cairn.json    the configuration file as it was
 *   <dest>/cairn.db      a consistent copy of the database (SQLite's online backup API)
 *   <dest>/keys/*.key    only with includeKeys
 *
 * A plain file copy of a live WAL database misses the pages still in the
 * -wal file; the backup API copies a consistent snapshot while the node keeps
 * serving and writing. Every file is 0600 in a 0700 folder: the database
 * holds tokens and the audit log, the keys are the node's identity.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { z } from 'zod';
import { parseJsonText } from '../core/decode/json-body.js';
import { CairnError, isCairnError, isStorageFull } from '../core/errors.js';
import { fsyncFolder, writeNewFileDurably } from './durable-file.js';
import { CONFIG_FILE, loadConfig, resolveIn } from './home.js';
import { servingPid } from './lock.js';
import { databaseBytes, databaseFiles, DATABASE_FILE_MODE } from './sqlite.js';
import { VERSION } from './version.js';

export const BACKUP_MANIFEST = 'backup.json';
const BACKUP_FORMAT = 'cairn-backup/1';
const BACKUP_DB = 'cairn.db';
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
/** Pages per backup step after the first: all of them, so a busy writer cannot make the copy restart forever. */
const ALL_PAGES = 1 << 30;

const manifestSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    createdAt: z.string(),
    cairnVersion: z.string(),
    node: z.object({ id: z.string(), country: z.string(), name: z.string() }),
    includesKeys: z.boolean(),
    /** Relative path in the backup -> SHA-256 (hex). */
    files: z.record(z.string().regex(/^(cairn\.json|cairn\.db|keys\/(signing|oprf)\.key)$/), z.string().regex(/^[0-9a-f]{64}$/)),
  })
  .strict();

export type BackupManifest = z.infer<typeof manifestSchema>;

const sha256File = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** Copy a file owner-only, flushed to disk before the manifest that vouches for it is written. */
function copyPrivate(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: DIR_MODE });
  copyFileSync(from, to);
  chmodSync(to, FILE_MODE);
  const fd = openSync(to, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncFolder(dirname(to));
}

/** Take a consistent online backup of a home into `dest` (a new or empty folder). */
export async function backupHome(home: string, dest: string, opts: { includeKeys: boolean; env?: NodeJS.ProcessEnv }): Promise<BackupManifest> {
  const config = loadConfig(home, opts.env ?? process.env);
  if (existsSync(dest) && readdirSync(dest).length > 0) {
    throw new CairnError('home_exists', `${dest} is not empty; back up into a new folder (nothing was written)`);
  }
  mkdirSync(dest, { recursive: true, mode: DIR_MODE });
  chmodSync(dest, DIR_MODE);
  const files: Record<string, string> = {};
  try {
    const dbPath = resolveIn(home, config.storage.database);
    const target = join(dest, BACKUP_DB);
    const source = new BetterSqlite3(dbPath, { readonly: true, fileMustExist: true });
    try {
      await source.backup(target, { progress: () => ALL_PAGES });
    } finally {
      source.close();
    }
    // The copy is a standalone database: no WAL beside it.
    const check = new BetterSqlite3(target);
    try {
      check.pragma('journal_mode = DELETE');
      const ok = check.pragma('quick_check', { simple: true });
      if (ok !== 'ok') throw new CairnError('backup_invalid', `the database copy failed SQLite's quick_check: ${String(ok)}`);
    } finally {
      check.close();
    }
    chmodSync(target, FILE_MODE);
    files[BACKUP_DB] = sha256File(target);
    copyPrivate(join(home, CONFIG_FILE), join(dest, CONFIG_FILE));
    files[CONFIG_FILE] = sha256File(join(dest, CONFIG_FILE));
    if (opts.includeKeys) {
      for (const [name, path] of [['signing', config.keys.signing], ['oprf', config.keys.oprf]] as const) {
        const rel = `keys/${name}.key`;
        copyPrivate(resolveIn(home, path), join(dest, rel));
        files[rel] = sha256File(join(dest, rel));
      }
    }
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      createdAt: new Date().toISOString(),
      cairnVersion: VERSION,
      node: { id: config.node.id, country: config.node.country, name: config.node.name },
      includesKeys: opts.includeKeys,
      files,
    };
    // Last, and flushed: a backup.json means every file it lists is whole on disk (a power loss right after `backed up` loses nothing).
    writeNewFileDurably(join(dest, BACKUP_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: FILE_MODE, what: 'backup manifest' });
    return manifest;
  } catch (e) {
    // Leave no half backup that looks whole.
    rmSync(dest, { recursive: true, force: true });
    if (isStorageFull(e)) {
      throw new CairnError('unavailable', `the disk holding ${dest} is full: no backup was taken, and nothing of it was left there. Back up to a disk with room for the database (${databaseSize(home, config.storage.database)})`, { cause: e });
    }
    throw e;
  }
}

/** The database's size with its WAL, for a message. */
const databaseSize = (home: string, database: string): string => `about ${Math.ceil(databaseBytes(resolveIn(home, database)) / (1024 * 1024))} MiB`;

/** Read and check a backup's manifest and every file's digest. */
export function readBackup(src: string): BackupManifest {
  const manifestPath = join(src, BACKUP_MANIFEST);
  if (!existsSync(manifestPath)) throw new CairnError('backup_invalid', `${src} is not a Cairn backup: no ${BACKUP_MANIFEST}`);
  let raw: unknown;
  try {
    raw = parseJsonText(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new CairnError('backup_invalid', `${manifestPath}: ${isCairnError(e) ? e.message : String(e)}`, { cause: e });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new CairnError('backup_invalid', `${manifestPath}: ${i.path.join('.') || '(top level)'}: ${i.message}`, { location: { field: i.path.join('.') } });
  }
  const m = parsed.data;
  for (const required of [BACKUP_DB, CONFIG_FILE]) {
    if (!(required in m.files)) throw new CairnError('backup_invalid', `${manifestPath}: lists no ${required}`);
  }
  for (const [rel, digest] of Object.entries(m.files)) {
    const f = join(src, rel);
    if (!existsSync(f)) throw new CairnError('backup_invalid', `${src}: ${rel} is missing`);
    if (sha256File(f) !== digest) throw new CairnError('backup_invalid', `${src}: ${rel} does not match its SHA-256 in ${BACKUP_MANIFEST}; the backup is damaged`);
  }
  return m;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Whether the home has both key files after the restore. */
  keysPresent: boolean;
}

/**
 * Restore a backup into a home. Refuses a home that is being served (even
 * with force), and a home that already holds a configuration or database
 * unless `force`.
 */
export function restoreHome(src: string, home: string, opts: { force: boolean; env?: NodeJS.ProcessEnv }): RestoreResult {
  const manifest = readBackup(src);
  const pid = existsSync(home) ? servingPid(home) : undefined;
  if (pid !== undefined) {
    throw new CairnError('home_locked', `${home} is being served by process ${pid}; stop it before restoring (nothing was changed)`, { details: { pid } });
  }
  const occupied = existsSync(home) ? readdirSync(home).filter((f) => f !== 'serve.lock') : [];
  if (occupied.length > 0 && !opts.force) {
    throw new CairnError('home_exists', `${home} is not empty (${occupied.slice(0, 3).join(', ')}${occupied.length > 3 ? ', …' : ''}); restore into an empty folder, or pass --force to replace its configuration and database (nothing was changed)`);
  }
  // The backup's own configuration says where the database and keys go (paths relative to the home).
  const config = loadConfig(src, opts.env ?? process.env);
  const dbPath = resolveIn(home, config.storage.database);
  const placed: [from: string, to: string, mode: number][] = [
    [join(src, CONFIG_FILE), join(home, CONFIG_FILE), 0o640],
    [join(src, BACKUP_DB), dbPath, DATABASE_FILE_MODE],
    ...(manifest.includesKeys
      ? ([['signing', config.keys.signing], ['oprf', config.keys.oprf]] as const).map(([name, path]): [string, string, number] => [join(src, `keys/${name}.key`), resolveIn(home, path), FILE_MODE])
      : []),
  ];
  // Every file is copied and flushed under a temporary name beside its
  // place first: a full disk or a crash here leaves the home as it was.
  mkdirSync(home, { recursive: true, mode: 0o750 });
  const staged: string[] = [];
  try {
    for (const [from, to, mode] of placed) {
      const temp = join(dirname(to), `.${basename(to)}.restore.tmp`);
      rmSync(temp, { force: true });
      copyPrivate(from, temp);
      chmodSync(temp, mode);
      staged.push(temp);
    }
  } catch (e) {
    for (const temp of staged) rmSync(temp, { force: true });
    if (isStorageFull(e)) {
      throw new CairnError('unavailable', `the disk holding ${home} is full: nothing was restored and the home is as it was. Free room for the database (${databaseSize(src, BACKUP_DB)}) and restore again`, { cause: e });
    }
    throw e;
  }
  // Then each takes its place by a rename. A WAL or SHM file left from the
  // replaced database would be replayed into the restored one: they go first.
  for (const f of databaseFiles(dbPath).slice(1)) rmSync(f, { force: true });
  placed.forEach(([, to], i) => renameSync(staged[i]!, to));
  for (const dir of new Set(placed.map(([, to]) => dirname(to)))) fsyncFolder(dir);
  if (manifest.includesKeys) chmodSync(dirname(resolveIn(home, config.keys.signing)), DIR_MODE);
  const keysPresent = existsSync(resolveIn(home, config.keys.signing)) && existsSync(resolveIn(home, config.keys.oprf));
  return { manifest, keysPresent };
}
