/**
 * The change chain of an index (protocol/37-token-index.md "Change chain"):
 * a hash over every change of the index in order, which each signed head
 * carries beside its root. A replica that holds version v and the chain at
 * v checks a delta to version w by extending the chain over the delta's
 * changes and comparing it with the head at w: a cost proportional to the
 * change, whatever the size of the index. The root over the shards (tree.ts)
 * is checked when the replica merges its verified changes into its shards.
 *
 *   chain(0) = 32 zero bytes
 *   chain(i) = SHA-256("cairn-index-chain-v1" || chain(i-1) || op || fingerprint)
 *
 * where change i is the i-th change of the category's change log, op is one
 * byte (0 remove, 1 add) and the fingerprint its 8 bytes. On the wire and
 * here, changes are packed as those 9 bytes each, in order.
 */
import { utf8 } from '../../bytes.js';
import { INDEX, MERKLE } from '../../constants.js';
import { CairnError, type ErrorCode } from '../../errors.js';
import { portableSha256, type Sha256 } from '../../ports.js';
import { CHANGE_OP } from './changes.js';

const LABEL = utf8(INDEX.chainLabel);
const FP = INDEX.fingerprintBytes;

/** Bytes of one packed change: op, then the fingerprint. */
export const CHANGE_BYTES = 1 + FP;

/** The chain of an index that has had no change (and where a migrated owner's chain starts). */
export const EMPTY_CHAIN: Uint8Array = new Uint8Array(MERKLE.hashSize);

/** The chain after the packed `changes`, starting from `chain`. */
export function extendChain(chain: Uint8Array, changes: Uint8Array, hash: Sha256 = portableSha256): Uint8Array {
  let c = chain;
  for (let off = 0; off < changes.length; off += CHANGE_BYTES) c = hash(LABEL, c, changes.subarray(off, off + CHANGE_BYTES));
  return c;
}

/** The chain after one change. */
export function chainStep(chain: Uint8Array, op: number, fingerprint: Uint8Array, hash: Sha256 = portableSha256): Uint8Array {
  return hash(LABEL, chain, Uint8Array.of(op), fingerprint);
}

/** Pack changes, in order, into 9 bytes each. */
export function packChanges(changes: ReadonlyArray<{ op: number; fingerprint: Uint8Array }>): Uint8Array {
  const out = new Uint8Array(changes.length * CHANGE_BYTES);
  changes.forEach((c, i) => {
    out[i * CHANGE_BYTES] = c.op;
    out.set(c.fingerprint, i * CHANGE_BYTES + 1);
  });
  return out;
}

/**
 * Check packed changes from a peer: whole changes, ops 0 or 1. Returns how
 * many are adds and removes. Throws `code` naming the field and the first
 * bad change.
 */
export function checkChanges(changes: Uint8Array, field = 'changes', code: ErrorCode = 'index_invalid'): { adds: number; removes: number } {
  if (changes.length % CHANGE_BYTES !== 0) throw new CairnError(code, `${field}: ${changes.length} bytes is not a whole number of ${CHANGE_BYTES}-byte changes`, { location: { field } });
  let adds = 0;
  for (let off = 0; off < changes.length; off += CHANGE_BYTES) {
    const op = changes[off]!;
    if (op === CHANGE_OP.add) adds++;
    else if (op !== CHANGE_OP.remove) throw new CairnError(code, `${field}: change ${off / CHANGE_BYTES} has op ${op}; 0 (remove) or 1 (add) expected`, { location: { field } });
  }
  return { adds, removes: changes.length / CHANGE_BYTES - adds };
}

/** The fingerprint of packed change `i` (a view). */
export const changeFingerprint = (changes: Uint8Array, i: number): Uint8Array => changes.subarray(i * CHANGE_BYTES + 1, (i + 1) * CHANGE_BYTES);

/** The fingerprints of the packed changes with op `op` (add or remove), in order. */
export function fingerprintsWith(changes: Uint8Array, op: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < changes.length / CHANGE_BYTES; i++) if (changes[i * CHANGE_BYTES] === op) out.push(changeFingerprint(changes, i));
  return out;
}
