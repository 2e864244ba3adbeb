/**
 * Checkpoints (c2sp.org/tlog-checkpoint): the signed tree head of Cairn's
 * audit log, as the text of a signed note (note.ts).
 *
 *   <origin>               e.g. node.cairn.example/cairn-audit
 *   <tree size>            ASCII decimal, no leading zeroes
 *   <root hash>            base64 of the RFC 6962 root at that size
 *   [<extension line>...]  optional, opaque, non-empty
 *
 * The log signs with an Ed25519 note key whose name is the origin.
 * Witnesses and data-protection officers may add cosignatures
 * (cosignature.ts) to the same note.
 *
 * Trust boundary: `openCheckpoint` takes the log's trusted verifier key as
 * an argument and returns a checkpoint only if that key signed it; the body
 * is parsed strictly (exact line structure, canonical numbers and base64,
 * bounded extensions) because it is attacker-controlled until then.
 */
import { fromBase64, toBase64 } from '../bytes.js';
import { MERKLE } from '../constants.js';
import { CairnError } from '../errors.js';
import {
  ed25519NoteVerifier,
  openNote,
  signNote,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type OpenedNote,
  type VerifierKey,
} from './note.js';

/** A log's tree head at one size. */
export interface Checkpoint {
  /** Log identity, `<host>/cairn-audit` for Cairn nodes. */
  origin: string;
  treeSize: number;
  /** RFC 6962 root hash at treeSize (32 bytes). */
  rootHash: Uint8Array;
  /** Optional extension lines (NOT RECOMMENDED by the spec; Cairn writes none). */
  extensions: string[];
}

/** A checkpoint whose log signature has been verified. */
export interface VerifiedCheckpoint {
  checkpoint: Checkpoint;
  /** The note as opened: which of the given keys signed it. */
  note: OpenedNote;
}

const invalid = (message: string, field: string): CairnError =>
  new CairnError('checkpoint_invalid', `checkpoint ${field}: ${message}`, { location: { field } });

const HOST = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?$/;

/** Cairn's origin for a node: `<lower-case host[:port] of its base URL>/cairn-audit`. */
export function checkpointOrigin(host: string): string {
  if (typeof host !== 'string' || host.length > 253 || !HOST.test(host)) {
    throw new CairnError('config_invalid', `audit log origin needs a lower-case host name, got ${JSON.stringify(host)}`, {
      location: { field: 'host' },
    });
  }
  return `${host}${MERKLE.originSuffix}`;
}

function checkLine(line: string, field: string): void {
  if (typeof line !== 'string' || line.length === 0) throw invalid('must be a non-empty line', field);
  if (line.includes('\n')) throw invalid('must be a single line', field);
}

/** The note text of a checkpoint (c2sp.org/tlog-checkpoint §Note text). */
export function formatCheckpoint(cp: Checkpoint): string {
  checkLine(cp.origin, 'origin');
  if (!Number.isSafeInteger(cp.treeSize) || cp.treeSize < 0) throw invalid('must be a safe integer >= 0', 'treeSize');
  if (!(cp.rootHash instanceof Uint8Array) || cp.rootHash.length !== MERKLE.hashSize) {
    throw invalid(`must be ${MERKLE.hashSize} bytes`, 'rootHash');
  }
  if (cp.extensions.length > MERKLE.checkpoint.maxExtensionLines) throw invalid(`at most ${MERKLE.checkpoint.maxExtensionLines} lines`, 'extensions');
  cp.extensions.forEach((e, i) => checkLine(e, `extensions[${i}]`));
  return [cp.origin, String(cp.treeSize), toBase64(cp.rootHash), ...cp.extensions].map((l) => `${l}\n`).join('');
}

/** Parse checkpoint note text strictly. Does not check any signature: see `openCheckpoint`. */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw invalid('must end with a newline', 'text');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw invalid('needs origin, tree size and root hash lines', 'text');
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  checkLine(origin, 'origin');
  if (!/^(?:0|[1-9][0-9]*)$/.test(size)) throw invalid('must be a decimal number without leading zeroes', 'treeSize');
  const treeSize = Number(size);
  if (!Number.isSafeInteger(treeSize)) throw invalid('is beyond 2^53 - 1', 'treeSize');
  let rootHash: Uint8Array;
  try {
    rootHash = fromBase64(root, 'rootHash');
  } catch {
    throw invalid('is not canonical base64', 'rootHash');
  }
  if (rootHash.length !== MERKLE.hashSize) throw invalid(`must decode to ${MERKLE.hashSize} bytes, got ${rootHash.length}`, 'rootHash');
  if (extensions.length > MERKLE.checkpoint.maxExtensionLines) throw invalid(`at most ${MERKLE.checkpoint.maxExtensionLines} lines`, 'extensions');
  extensions.forEach((e, i) => checkLine(e, `extensions[${i}]`));
  return { origin, treeSize, rootHash, extensions };
}

/**
 * Sign a checkpoint as the log. The log key's name must be the origin
 * (c2sp.org/tlog-checkpoint §Signatures), which is checked here so a
 * misconfigured node fails at its first checkpoint.
 */
export async function signCheckpoint(cp: Checkpoint, logSigner: NoteSigner, keep: readonly NoteSignature[] = []): Promise<string> {
  if (logSigner.name !== cp.origin) {
    throw new CairnError('config_invalid', `log key name ${JSON.stringify(logSigner.name)} must equal the checkpoint origin ${JSON.stringify(cp.origin)}`);
  }
  return signNote(formatCheckpoint(cp), [logSigner], keep);
}

/**
 * Verify a signed checkpoint under the log's trusted key and parse it.
 * `origin`, when given, must match. `cosigners` are further trusted keys
 * (witnesses) whose signatures are verified too and reported in `note.verified`;
 * the log's own signature is required regardless.
 */
export function openCheckpoint(
  signed: string | Uint8Array,
  logKey: NoteVerifier | VerifierKey | string,
  opts: { origin?: string; cosigners?: readonly NoteVerifier[] } = {},
): VerifiedCheckpoint {
  const log = typeof logKey === 'string' || !('verify' in logKey) ? ed25519NoteVerifier(logKey) : logKey;
  const note = openNote(signed, [log, ...(opts.cosigners ?? [])]);
  if (!note.verified.some((s) => s.name === log.name && s.keyId === log.keyId >>> 0)) {
    throw new CairnError('signature_invalid', `checkpoint is not signed by the log key ${log.name}`);
  }
  const checkpoint = parseCheckpoint(note.text);
  if (opts.origin !== undefined && checkpoint.origin !== opts.origin) {
    throw invalid(`is ${JSON.stringify(checkpoint.origin)}, expected ${JSON.stringify(opts.origin)}`, 'origin');
  }
  return { checkpoint, note };
}
