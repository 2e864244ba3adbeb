/**
 * The token index's types shared by its owner side (what we publish) and its
 * replica side (what we hold of each peer), and their wire conversions.
 */
import type { RecordCategory } from '../../../../schemas/records.js';
import { indexHeadSchema, type IndexDeltaWire, type IndexHead, type IndexResyncWire } from '../../../../schemas/index.js';
import { fromBase64, fromBase64Url, fromUtf8, toBase64Url } from '../../bytes.js';
import type { DsseEnvelope } from '../../dsse.js';
import { checkChanges } from './chain.js';

/**
 * The head a stored envelope carries, read without checking its signature
 * again: for envelopes this node signed, or verified before storing them.
 */
export function storedHead(envelope: DsseEnvelope): IndexHead {
  return indexHeadSchema.parse(JSON.parse(fromUtf8(fromBase64(envelope.payload))));
}

const checkedChanges = (changes: Uint8Array): Uint8Array => (checkChanges(changes), changes);

/** A replica's state: usable (`ready`), being built (`syncing`), behind beyond deltas (`stale`), or failing its checks (`error`). */
export type ReplicaStatus = 'ready' | 'syncing' | 'stale' | 'error';

/** Changes of one index between two versions: every change, in order. */
export interface IndexDelta {
  category: RecordCategory;
  /** The owner's signed head; when `toVersion` equals its version the replica must match its chain and count. */
  head: DsseEnvelope;
  fromVersion: number;
  toVersion: number;
  /** Packed changes, 9 bytes each (op, fingerprint), in the owner's order (chain.ts). */
  changes: Uint8Array;
}

/** The owner's answer when its change log no longer reaches back to the replica's version. */
export interface IndexResync {
  category: RecordCategory;
  head: DsseEnvelope;
  resync: true;
}

/** A delta or a resync signal. */
export type IndexChanges = IndexDelta | IndexResync;

/** Narrowing: is this a resync signal? */
export const isResync = (c: IndexChanges | IndexDeltaWire | IndexResyncWire): c is IndexResync | IndexResyncWire => 'resync' in c;

/** To the wire: the packed changes as one base64url string. */
export function changesToWire(c: IndexChanges): IndexDeltaWire | IndexResyncWire {
  if (isResync(c)) return { category: c.category, head: c.head, resync: true };
  return { category: c.category, head: c.head, fromVersion: c.fromVersion, toVersion: c.toVersion, changes: toBase64Url(c.changes) };
}

/** From the (schema-checked) wire; packed changes are checked whole (throws index_invalid naming the change). */
export function changesFromWire(w: IndexDeltaWire | IndexResyncWire): IndexChanges {
  if (isResync(w)) return { category: w.category, head: w.head as DsseEnvelope, resync: true };
  return {
    category: w.category,
    head: w.head as DsseEnvelope,
    fromVersion: w.fromVersion,
    toVersion: w.toVersion,
    changes: checkedChanges(fromBase64Url(w.changes, 'changes')),
  };
}
