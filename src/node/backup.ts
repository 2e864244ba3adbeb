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
import type { Config } from '../core/config.js';
import { oprfPublicKey } from '../core/oprf/index.js';
import { keyIdOf } from '../core/signing.js';
import { nodeEd25519Signer } from './ed25519.js';
import { requireDatabase } from './context.js';
import { CONFIG_FILE, loadConfig, resolveIn } from './home.js';
import { readKeyFile } from './keyfile.js';
import { pendingKeyPath } from './oprf-keys.js';
import { previousKeyPath } from './signing-keys.js';
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
  // A missing database is refused as every command refuses it, before DEST is made.
  requireDatabase(home, config, opts.env ?? process.env);
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

/** An audit log in one database, for saying what a restore replaces. */
export interface LogSummary {
  /** Entries appended (pruned payloads included). */
  entries: number;
  /** When the newest entry was appended. */
  lastAt: string | null;
  /** The size of the newest signed checkpoint (what peers may have witnessed). */
  checkpoint: number | null;
}

/** What a database says about the node it belongs to: its log and the keys it expects. */
interface DatabaseFacts {
  log: LogSummary;
  /** The signing key the node signed with last (key id), if the database has recorded one. */
  signingKeyId?: string;
  /** The OPRF key ids of the active and pending epochs, if recorded. */
  oprf: { epoch: number; status: 'active' | 'pending'; keyId: string }[];
}

/** A node as a restore compares it: id and names from a configuration, key ids from key files or a database. */
interface Identity {
  id?: string;
  country?: string;
  name?: string;
  signingKeyId?: string;
  oprfKeyIds: string[];
}

/**
 * Run `read` on a database; undefined when it cannot be opened or read
 * (damaged, or not a Cairn database). A home's database (WAL) is opened
 * for writing, never written: a read-only connection would leave a -wal
 * and -shm behind it, which the last read-write connection removes as it
 * closes. A backup's (rollback journal) is opened read-only.
 */
function readDatabase<T>(file: string, read: (db: BetterSqlite3.Database) => T, opts: { wal: boolean }): T | undefined {
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(file, { readonly: !opts.wal, fileMustExist: true });
  } catch {
    return undefined;
  }
  try {
    return read(db);
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

/** What a database says about its node; undefined when it has no readable audit log. */
function readDatabaseFacts(file: string, opts: { wal: boolean }): DatabaseFacts | undefined {
  return readDatabase(file, (db) => {
    const count = db.prepare('select count(*) as n, max(at) as last from audit_entries').get() as { n: number; last: string | null };
    const checkpoint = (db.prepare('select max(size) as size from audit_checkpoints').get() as { size: number | null }).size;
    const facts: DatabaseFacts = { log: { entries: count.n, lastAt: count.last, checkpoint }, oprf: [] };
    // Tables of later migrations, filled when a node first opens the home: absent or empty in some databases.
    try {
      const signing = db.prepare('select key_id from signing_keys where retired_at is null order by created_at desc, key_id limit 1').get() as { key_id: string } | undefined;
      if (signing) facts.signingKeyId = signing.key_id;
      const epochs = db.prepare("select epoch, status, public_key from oprf_epochs where status in ('active', 'pending') order by epoch").all() as { epoch: number; status: 'active' | 'pending'; public_key: Buffer }[];
      facts.oprf = epochs.map((r) => ({ epoch: r.epoch, status: r.status, keyId: keyIdOf(new Uint8Array(r.public_key)) }));
    } catch {
      // a database from before migrations 0011/0012
    }
    return facts;
  }, opts);
}

/** The leaf hash of entry `index` of a database's audit log, hex. */
const leafHashAt = (file: string, index: number, opts: { wal: boolean }): string | undefined =>
  readDatabase(
    file,
    (db) => {
      const r = db.prepare('select leaf_hash from audit_entries where idx = ?').get(index) as { leaf_hash: Buffer } | undefined;
      return r && Buffer.from(r.leaf_hash).toString('hex');
    },
    opts,
  );

/** The key ids of the key files at these paths (the OPRF key's pending file beside it too); a file missing or unreadable gives none. */
function keyFileIds(signingPath: string, oprfPath: string): { signingKeyId?: string; oprfKeyIds: string[]; oprfFiles: string[] } {
  let signingKeyId: string | undefined;
  try {
    if (existsSync(signingPath)) signingKeyId = nodeEd25519Signer(readKeyFile(signingPath, 'signing')).keyId;
  } catch {
    // insecure or malformed: `cairn serve` says so; here it holds no key we could compare
  }
  const oprfKeyIds: string[] = [];
  const oprfFiles: string[] = [];
  for (const f of [oprfPath, pendingKeyPath(oprfPath)]) {
    try {
      if (!existsSync(f)) continue;
      oprfFiles.push(f);
      oprfKeyIds.push(keyIdOf(oprfPublicKey(readKeyFile(f, 'oprf'))));
    } catch {
      // as above
    }
  }
  return { ...(signingKeyId ? { signingKeyId } : {}), oprfKeyIds, oprfFiles };
}

/** A node for a message: country, name, id and key ids. */
function describeNode(n: Identity): string {
  const head = n.id ? `${n.country ?? '?'} "${n.name ?? '?'}" (node id ${n.id}` : '(no readable configuration';
  return `${head}; signing key id ${n.signingKeyId ?? 'unknown'}; OPRF key id ${n.oprfKeyIds.length ? n.oprfKeyIds.join(', ') : 'unknown'})`;
}

/** An audit log for a message. */
function describeLog(l: LogSummary): string {
  return `${l.entries.toLocaleString('en-US')} audit ${l.entries === 1 ? 'entry' : 'entries'}${l.lastAt ? ` (the last of ${l.lastAt})` : ''}, latest signed checkpoint ${l.checkpoint === null ? 'none' : `at size ${l.checkpoint.toLocaleString('en-US')}`}`;
}

/**
 * What a restore does to the audit log the home has, or undefined when it
 * loses nothing: `oneHistory` says whether the two logs agree on their
 * common entries (the same leaf hash at the last one both hold).
 */
export function logChange(before: LogSummary, after: LogSummary, oneHistory: boolean): string | undefined {
  const n = (x: number) => x.toLocaleString('en-US');
  const witnessed = before.checkpoint !== null && before.checkpoint > 0;
  if (!oneHistory) {
    return `the two audit logs are not one history (they differ at entry ${n(Math.min(before.entries, after.entries) - 1)} or before): every entry of the current log leaves the node's log${witnessed ? '. Peers that witnessed its checkpoints will raise a witness alert (a rollback or a fork): tell their operators' : ''}`;
  }
  if (before.entries > after.entries) {
    const beyond = before.checkpoint !== null && before.checkpoint > after.entries;
    return `the audit log goes back ${n(before.entries - after.entries)} entries, from ${n(before.entries)} to ${n(after.entries)}: the acts they record leave the node's log${beyond ? `. A checkpoint at size ${n(before.checkpoint!)} was signed: peers that witnessed it will raise a witness alert (a rollback) at their next check; tell their operators` : ''}`;
  }
  return undefined;
}

export interface RestoreResult {
  manifest: BackupManifest;
  /** Whether the home has both key files after the restore. */
  keysPresent: boolean;
  /** The audit log the home had, if it had a readable database. */
  before?: LogSummary;
  /** The audit log restored. */
  after: LogSummary;
  /** What happened to the audit log, if anything was lost (logChange). */
  change?: string;
  /** Files replaced, each kept beside its place under a new name. */
  kept: { file: string; keptAs: string }[];
  /** The node this home was, when --other-node replaced it with another. */
  replacedNode?: string;
  /** Things the operator should know, one line each. */
  notes: string[];
}

/** A free name beside `file` for the copy a restore replaces: NAME.replaced-<UTC time>[-n]. */
function asideName(file: string, stamp: string): string {
  for (let n = 0; ; n++) {
    const name = `${file}.replaced-${stamp}${n ? `-${n}` : ''}`;
    if (!databaseFiles(name).some((f) => existsSync(f))) return name;
  }
}

const sameBytes = (a: string, b: string): boolean => readFileSync(a).equals(readFileSync(b));

/**
 * Restore a backup into a home. Refuses a home that is being served (even
 * with force); a home that already holds a configuration or database
 * unless `force`, saying what the restore would replace (the audit log's
 * size before and after); a backup of another node than the home's unless
 * `otherNode`; and a backup whose database answers with an OPRF key the
 * home would not have. Every file it replaces is kept beside its place
 * (NAME.replaced-<time>), the database with its WAL: nothing is deleted.
 */
export function restoreHome(src: string, home: string, opts: { force: boolean; otherNode?: boolean; env?: NodeJS.ProcessEnv }): RestoreResult {
  const env = opts.env ?? process.env;
  const manifest = readBackup(src);
  const pid = existsSync(home) ? servingPid(home) : undefined;
  if (pid !== undefined) {
    throw new CairnError('home_locked', `${home} is being served by process ${pid}; stop it before restoring (nothing was changed)`, { details: { pid } });
  }
  // The backup's own configuration says where the database and keys go (paths relative to the home).
  const config = loadConfig(src, env);
  const dbPath = resolveIn(home, config.storage.database);
  const signingPath = resolveIn(home, config.keys.signing);
  const oprfPath = resolveIn(home, config.keys.oprf);

  // Who the home is now, and who it would be.
  let homeConfig: Config | undefined;
  if (existsSync(join(home, CONFIG_FILE))) {
    try {
      homeConfig = loadConfig(home, env);
    } catch {
      // A damaged configuration is a reason to restore: the keys and database still say who the home is.
    }
  }
  const homeKeys = keyFileIds(homeConfig ? resolveIn(home, homeConfig.keys.signing) : signingPath, homeConfig ? resolveIn(home, homeConfig.keys.oprf) : oprfPath);
  const backupFacts = readDatabaseFacts(join(src, BACKUP_DB), { wal: false });
  if (!backupFacts) throw new CairnError('backup_invalid', `${join(src, BACKUP_DB)} is not a readable Cairn database (nothing was changed)`);
  const current = existsSync(dbPath) ? readDatabaseFacts(dbPath, { wal: true }) : undefined;
  const keysAfter = manifest.includesKeys ? keyFileIds(join(src, 'keys/signing.key'), join(src, 'keys/oprf.key')) : keyFileIds(signingPath, oprfPath);
  const homeNode: Identity = { ...(homeConfig ? { id: homeConfig.node.id, country: homeConfig.node.country, name: homeConfig.node.name } : {}), ...homeKeys };
  const backupNode: Identity = {
    ...manifest.node,
    ...(backupFacts.signingKeyId ? { signingKeyId: backupFacts.signingKeyId } : {}),
    oprfKeyIds: backupFacts.oprf.map((e) => e.keyId),
  };
  const notes: string[] = [];

  // Another node's backup: refused unless the operator says a node is moving here.
  const otherNode = homeConfig !== undefined && homeConfig.node.id !== manifest.node.id;
  if (otherNode && !opts.otherNode) {
    throw new CairnError(
      'home_exists',
      `${src} is a backup of another node, so nothing was changed.\n  this home ${home} is node ${describeNode(homeNode)}\n  the backup (of ${manifest.createdAt}) is node ${describeNode(backupNode)}\n` +
        `Restore a backup of this node instead; or, if you are moving node ${manifest.node.country} "${manifest.node.name}" into this home and mean to replace node ${homeConfig!.node.country} "${homeConfig!.node.name}", pass --other-node (every file it replaces is kept beside it as NAME.replaced-<time>)`,
    );
  }

  // The keys the home will have must be the ones the backup's database expects.
  const active = backupFacts.oprf.find((e) => e.status === 'active');
  if (active && keysAfter.oprfFiles.length > 0 && !keysAfter.oprfKeyIds.includes(active.keyId)) {
    throw new CairnError(
      'key_invalid',
      `the backup's database answers with the OPRF key of epoch ${active.epoch} (key id ${active.keyId}), but the OPRF key file${keysAfter.oprfFiles.length > 1 ? 's' : ''} ${manifest.includesKeys ? 'in the backup' : `this home would keep (${keysAfter.oprfFiles.join(', ')})`} hold${keysAfter.oprfFiles.length > 1 ? '' : 's'} key id ${keysAfter.oprfKeyIds.join(', ') || 'none readable'}: \`cairn serve\` would refuse to start, so nothing was changed.\n  this home: node ${describeNode(homeNode)}\n  the backup: node ${describeNode(backupNode)}\n` +
        `Put that key's file in place first (from the node's offline key backup), or restore a backup taken with --include-keys`,
    );
  }
  const pending = backupFacts.oprf.find((e) => e.status === 'pending');
  if (pending && !keysAfter.oprfKeyIds.includes(pending.keyId)) {
    notes.push(`the backup's pending OPRF epoch ${pending.epoch} (key id ${pending.keyId}) has no key file here: put it back as ${pendingKeyPath(oprfPath)} (0600) before \`cairn serve\``);
  }
  if (backupFacts.signingKeyId && keysAfter.signingKeyId && keysAfter.signingKeyId !== backupFacts.signingKeyId) {
    if (homeConfig?.node.id !== manifest.node.id) {
      throw new CairnError(
        'key_invalid',
        `the backup's node signs with key id ${backupFacts.signingKeyId}, but the signing key ${manifest.includesKeys ? 'in the backup' : `this home would keep (${signingPath})`} is key id ${keysAfter.signingKeyId}: the node would present a key its peers never pinned, so nothing was changed.\n  this home: node ${describeNode(homeNode)}\n  the backup: node ${describeNode(backupNode)}\n` +
          `Put the backup's node's signing key file in place first (from its offline key backup), or restore a backup taken with --include-keys`,
      );
    }
    notes.push(`the signing key here (key id ${keysAfter.signingKeyId}) is newer than the backup's (key id ${backupFacts.signingKeyId}): kept, as after a rotation since the backup`);
  }
  if (!otherNode && manifest.includesKeys && homeKeys.signingKeyId && keysAfter.signingKeyId && homeKeys.signingKeyId !== keysAfter.signingKeyId) {
    notes.push(
      `the signing key goes back from key id ${homeKeys.signingKeyId} to the backup's ${keysAfter.signingKeyId} (the current one is kept beside it): peers that pinned the current key see the node as repin_required until they pin this one again`,
    );
  }

  let change: string | undefined;
  if (current) {
    const common = Math.min(current.log.entries, backupFacts.log.entries) - 1;
    change = logChange(current.log, backupFacts.log, common < 0 || leafHashAt(dbPath, common, { wal: true }) === leafHashAt(join(src, BACKUP_DB), common, { wal: false }));
  }
  const occupied = existsSync(home) ? readdirSync(home).filter((f) => f !== 'serve.lock') : [];
  if (occupied.length > 0 && !opts.force) {
    const replaces = current
      ? `\n  it would replace: the database ${dbPath}, with ${describeLog(current.log)}\n  with the backup's (of ${manifest.createdAt}): ${describeLog(backupFacts.log)}${change ? `\n  so ${change}` : ''}`
      : existsSync(dbPath)
        ? `\n  it would replace the database ${dbPath}, which could not be read`
        : '';
    throw new CairnError(
      'home_exists',
      `${home} is not empty (${occupied.slice(0, 3).join(', ')}${occupied.length > 3 ? ', …' : ''}); restore into an empty folder, or pass --force to replace its configuration and database (nothing was changed; what they replace is kept beside them)${replaces}`,
    );
  }

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
  // Then what each replaces steps aside, kept under a new name: the database
  // with its WAL and SHM (renamed alike, so SQLite still reads them as one
  // database, and none is left to be replayed into the restored one); a
  // configuration or key only when the backup's differs.
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const kept: RestoreResult['kept'] = [];
  for (const [from, to] of placed) {
    const isDb = to === dbPath;
    if (!existsSync(to) || (!isDb && sameBytes(from, to))) {
      if (isDb) for (const f of databaseFiles(dbPath).slice(1)) rmSync(f, { force: true });
      continue;
    }
    const aside = asideName(to, stamp);
    const files = isDb ? databaseFiles(to) : [to];
    const asides = isDb ? databaseFiles(aside) : [aside];
    files.forEach((f, i) => existsSync(f) && renameSync(f, asides[i]!));
    kept.push({ file: to, keptAs: aside });
  }
  // Another node's keys coming in: the replaced node's pending and retiring key files go aside with its keys.
  if (otherNode && manifest.includesKeys) {
    for (const f of [pendingKeyPath(oprfPath), previousKeyPath(signingPath)].filter((f) => existsSync(f))) {
      const aside = asideName(f, stamp);
      renameSync(f, aside);
      kept.push({ file: f, keptAs: aside });
    }
  }
  placed.forEach(([, to], i) => renameSync(staged[i]!, to));
  for (const dir of new Set(placed.map(([, to]) => dirname(to)))) fsyncFolder(dir);
  if (manifest.includesKeys) chmodSync(dirname(resolveIn(home, config.keys.signing)), DIR_MODE);
  const keysPresent = existsSync(signingPath) && existsSync(oprfPath);
  return {
    manifest,
    keysPresent,
    ...(current ? { before: current.log } : {}),
    after: backupFacts.log,
    ...(change ? { change } : {}),
    kept,
    ...(otherNode ? { replacedNode: describeNode(homeNode) } : {}),
    notes,
  };
}
