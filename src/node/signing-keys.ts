/**
 * The signing keys of a Node home (protocol/32-key-rotation.md):
 *
 *   keys/signing.key           the current Ed25519 seed (config keys.signing)
 *   keys/signing.previous.key  the key a rotation retired, kept only for its
 *                              overlap, to cross-sign the descriptor
 *
 * both mode 0600. The overlap's end lives in the database (signing_keys), so
 * the files hold nothing but keys. `cairn keys rotate signing` changes the
 * files while `cairn serve` runs; the server looks at them every second and
 * swaps its signer, so rotation needs no restart and drops no request.
 */
import { existsSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Db } from '../core/db/schema.js';
import type { RetiringKey } from '../core/descriptor.js';
import { inOverlap, recordCurrentKey, signingKeyHistory } from '../core/keys/history.js';
import type { Signer } from '../core/signing.js';
import { CairnError } from '../core/errors.js';
import { nodeEd25519Signer } from './ed25519.js';
import { readKeyFile, shredKeyFile, writeKeyFile } from './keyfile.js';

/** The previous key's file beside the current one: keys/signing.key -> keys/signing.previous.key. */
export function previousKeyPath(currentPath: string): string {
  const name = basename(currentPath).replace(/\.key$/, '');
  return join(dirname(currentPath), `${name}.previous.key`);
}

/** Where a rotation writes the new key before it renames it over the current one. */
export function nextKeyPath(currentPath: string): string {
  const name = basename(currentPath).replace(/\.key$/, '');
  return join(dirname(currentPath), `${name}.next.key`);
}

/**
 * Overwrite a private key file in place and flush it, then remove it: a
 * retired key should not survive on disk (keyfile.ts shredKeyFile).
 */
export function destroyKeyFile(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    shredKeyFile(path);
  } catch (e) {
    // Another process (the server, or a rotation) removed it first.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  return true;
}

/** A file's identity and change time, to notice a rotation cheaply. */
function stamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

/** The home's signing keys, live: `signer` always signs with the current key. */
export interface NodeSigningKeys {
  /** Delegates to the current key; its keyId and publicKey follow a rotation. */
  readonly signer: Signer;
  /** The retired key still in its overlap at `now`, with its private half (cross-signs the descriptor). */
  retiring(now: Date): RetiringKey[];
  /** When the current key file was written: the key's age for `keys status` and /metrics. */
  currentCreatedAt(): Date;
  /**
   * Re-read the key files if they changed and the overlap from `db`; record
   * the current key in the history; destroy a previous key whose overlap is
   * over. True when the current key changed.
   */
  reload(db: Db, now: Date): Promise<boolean>;
}

/** Open the home's signing keys (the current key must exist; refused with insecure modes). */
export function openSigningKeys(currentPath: string): NodeSigningKeys {
  const previousPath = previousKeyPath(currentPath);
  let current = nodeEd25519Signer(readKeyFile(currentPath, 'signing'));
  let currentStamp = stamp(currentPath);
  let previousStamp = 'unread';
  let previous: Signer | undefined;
  let retiring: { signer: Signer; overlapUntil: Date }[] = [];
  const live: Signer = {
    get keyId() {
      return current.keyId;
    },
    get publicKey() {
      return current.publicKey;
    },
    sign: (message) => current.sign(message),
  };
  return {
    signer: live,
    retiring: (now) => retiring.filter((r) => r.overlapUntil.getTime() > now.getTime()),
    currentCreatedAt: () => statSync(currentPath).mtime,
    async reload(db, now) {
      // Read everything first and switch in one step: a descriptor must never
      // show the new key without the retiring one that vouches for it.
      const s = stamp(currentPath);
      const ps = stamp(previousPath);
      // Nothing changed on disk and no overlap ended: no database work (this runs every second).
      const overlapEnded = retiring.some((r) => r.overlapUntil.getTime() <= now.getTime());
      if (s === currentStamp && ps === previousStamp && !overlapEnded) return false;
      const nextCurrent = s !== currentStamp && s !== 'missing' ? nodeEd25519Signer(readKeyFile(currentPath, 'signing')) : current;
      const nextPrevious = ps === previousStamp ? previous : ps === 'missing' ? undefined : nodeEd25519Signer(readKeyFile(previousPath, 'signing previous'));
      await recordCurrentKey(db, nextCurrent.publicKey, statSync(currentPath).mtime);
      const distinct = nextPrevious !== undefined && nextPrevious.keyId !== nextCurrent.keyId;
      const overlap = distinct ? inOverlap(await signingKeyHistory(db), now).find((k) => k.keyId === nextPrevious.keyId) : undefined;
      const changed = nextCurrent.keyId !== current.keyId;
      current = nextCurrent;
      currentStamp = s === 'missing' ? currentStamp : s;
      previous = nextPrevious;
      previousStamp = ps;
      retiring = distinct && overlap ? [{ signer: nextPrevious, overlapUntil: new Date(overlap.overlapUntil!) }] : [];
      // A previous key past its overlap (or never given one) has no more use: it goes.
      if (distinct && !overlap) {
        destroyKeyFile(previousPath);
        previous = undefined;
        previousStamp = 'missing';
      }
      return changed;
    },
  };
}

/** A next key younger than this, with no record yet, may belong to a rotation still running (it records within milliseconds). */
const ROTATION_IN_PROGRESS_MS = 60_000;

/** What `finishInterruptedRotation` found beside the current key file. */
export type InterruptedRotation =
  | { state: 'none' }
  /** The rotation was recorded; its files are now in place too. */
  | { state: 'finished'; keyId: string; previousKeyId: string }
  /** A new key no rotation recorded (the unit failed, or the process died before it): never used, destroyed. */
  | { state: 'discarded'; keyId: string };

/**
 * A `keys rotate signing` that stopped between its database unit and the
 * swap of its files (killed, or a full disk for the previous key's file)
 * leaves `signing.next.key` beside the current key. Recorded in the key
 * history (the current key retired, the new one not): finish the file
 * steps as the rotation would have. Not recorded: the key never signed
 * anything, so it is destroyed. Run by the next rotation and by `cairn
 * serve` at start-up.
 */
export async function finishInterruptedRotation(db: Db, currentPath: string, now: Date): Promise<InterruptedRotation> {
  const nextPath = nextKeyPath(currentPath);
  if (!existsSync(nextPath)) return { state: 'none' };
  const nextSeed = readKeyFile(nextPath, 'signing (next)');
  const next = nodeEd25519Signer(nextSeed);
  const currentSeed = readKeyFile(currentPath, 'signing');
  const current = nodeEd25519Signer(currentSeed);
  const history = await signingKeyHistory(db);
  const nextRecord = history.find((k) => k.keyId === next.keyId);
  const currentRecord = history.find((k) => k.keyId === current.keyId);
  if (nextRecord === undefined) {
    // A rotation running right now writes its key a moment before its record: leave a fresh one alone.
    const ageMs = now.getTime() - statSync(nextPath).mtimeMs;
    if (ageMs < ROTATION_IN_PROGRESS_MS) {
      throw new CairnError('home_locked', `${nextPath} was written ${Math.round(ageMs / 1000)} s ago by a rotation that may still be running; try again in a minute`);
    }
    shredKeyFile(nextPath);
    return { state: 'discarded', keyId: next.keyId };
  }
  if (nextRecord.retiredAt !== null || currentRecord?.retiredAt == null) {
    throw new CairnError(
      'key_invalid',
      `${nextPath} holds key ${next.keyId}, which the key history does not show as the rotation's new key (current key ${current.keyId}); compare \`cairn keys status\` with the files before removing anything`,
    );
  }
  const previousPath = previousKeyPath(currentPath);
  destroyKeyFile(previousPath);
  if (currentRecord.overlapUntil !== null && Date.parse(currentRecord.overlapUntil) > now.getTime()) writeKeyFile(previousPath, currentSeed, 'signing previous');
  renameSync(nextPath, currentPath);
  nextSeed.fill(0);
  currentSeed.fill(0);
  return { state: 'finished', keyId: next.keyId, previousKeyId: current.keyId };
}
