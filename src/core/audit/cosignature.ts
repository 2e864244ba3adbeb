/**
 * Ed25519 cosignatures (c2sp.org/tlog-cosignature, signature type 0x04):
 * a witness's statement that, as of a time, the checkpoint is the largest
 * consistent tree head it has seen for that log. Cairn nodes and
 * data-protection officers' tools can witness each other's audit logs.
 *
 * The cosignature is a note signature line over the checkpoint whose bytes
 * are a `timestamped_signature`:
 *
 *   struct {
 *     uint64 timestamp;              // POSIX seconds, big-endian
 *     opaque ed25519_signature[64];  // over the message below
 *   } timestamped_signature;
 *
 *   message = "cosignature/v1\n" || "time " || decimal(timestamp) || "\n" || checkpoint note text
 *
 * and its key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4]. The
 * Ed25519 message does not commit to the cosigner's name, so one key must
 * never serve two cosigners.
 *
 * Time is a parameter, never read from a clock here: the runtime passes
 * its Clock's reading, tests pass fixed values.
 */
import { concatBytes, i2osp, utf8 } from '../bytes.js';
import { MERKLE } from '../constants.js';
import { CairnError } from '../errors.js';
import { ed25519Verify, type Ed25519Verify } from '../signing.js';
import {
  computeKeyId,
  ed25519Key,
  isValidKeyName,
  parseVerifierKey,
  type Ed25519KeyHolder,
  type NoteSignature,
  type NoteSigner,
  type NoteVerifier,
  type VerifierKey,
} from './note.js';

const { sigTypeCosignatureV1: TYPE } = MERKLE.note;
const SIG_BYTES = 8 + 64;

function checkTimestamp(t: number): void {
  // The spec allows up to 2^63 - 1; Cairn keeps to safe integers (year 285 million).
  if (!Number.isSafeInteger(t) || t < 0) throw new CairnError('invalid_request', `cosignature timestamp ${String(t)} is not a safe integer >= 0`);
}

/** The bytes an Ed25519 cosigner signs for a checkpoint text at `timestamp` (tlog-cosignature §Ed25519 signed message). */
export function cosignatureMessage(timestamp: number, checkpointText: Uint8Array): Uint8Array {
  checkTimestamp(timestamp);
  const { header, timeLabel } = MERKLE.cosignature;
  return concatBytes(utf8(`${header}\n${timeLabel} ${timestamp}\n`), checkpointText);
}

/** Key ID of an Ed25519 cosigner key (type 0x04). */
export function cosignatureKeyId(name: string, publicKey: Uint8Array): number {
  return computeKeyId(name, TYPE, publicKey);
}

/**
 * A note signer that cosigns as of `timestamp` (POSIX seconds), from a
 * 32-byte seed or a key holder (src/core/signing.ts `Signer`).
 */
export function ed25519Cosigner(name: string, key: Uint8Array | Ed25519KeyHolder, timestamp: number): NoteSigner {
  if (!isValidKeyName(name)) throw new CairnError('key_invalid', `cosigner name ${JSON.stringify(name)} is empty or has a space or '+'`);
  checkTimestamp(timestamp);
  const k = ed25519Key(key);
  return {
    name,
    keyId: cosignatureKeyId(name, k.publicKey),
    async sign(message) {
      const sig = await k.sign(cosignatureMessage(timestamp, message));
      return concatBytes(i2osp(timestamp, 8), sig);
    },
  };
}

/** Timestamp of a cosignature (the uint64 before the Ed25519 signature); throws if malformed. */
export function cosignatureTimestamp(sig: NoteSignature | Uint8Array): number {
  const bytes = sig instanceof Uint8Array ? sig : sig.signature;
  if (bytes.length !== SIG_BYTES) {
    throw new CairnError('signature_invalid', `an Ed25519 cosignature is ${SIG_BYTES} bytes, got ${bytes.length}`);
  }
  if (bytes[0]! >= 0x80) throw new CairnError('signature_invalid', 'cosignature timestamp exceeds 2^63 - 1');
  let t = 0;
  for (let i = 0; i < 8; i++) t = t * 256 + bytes[i]!;
  if (!Number.isSafeInteger(t)) throw new CairnError('signature_invalid', 'cosignature timestamp is beyond 2^53 - 1');
  return t;
}

/** Verifier for an Ed25519 cosigner key (type 0x04), from its vkey or decoded form. */
export function cosignatureVerifier(key: string | VerifierKey, verify: Ed25519Verify = ed25519Verify): NoteVerifier {
  const k = typeof key === 'string' ? parseVerifierKey(key) : key;
  if (k.type !== TYPE) {
    throw new CairnError('checkpoint_invalid', `verifier key ${k.name}: type ${k.type} is not an Ed25519 cosignature key (0x04)`, {
      location: { field: 'verifierKey' },
    });
  }
  const publicKey = k.publicKey.slice();
  return {
    name: k.name,
    keyId: k.keyId,
    verify(message, signature) {
      let t: number;
      try {
        t = cosignatureTimestamp(signature);
      } catch {
        return false;
      }
      return verify(publicKey, cosignatureMessage(t, message), signature.subarray(8));
    },
  };
}

