/**
 * The node's keys as the operator sees them: each key's age, the overlap a
 * signing-key rotation left running, and when keys.rotateEveryDays says the
 * next rotation is due (`cairn keys status`, /metrics, the console's
 * operator page). Rotating is the runtime's business (key files on Node,
 * secrets on Workers); this only reads.
 */
import type { Config } from './config.js';
import type { Db } from './db/schema.js';
import type { RetiringKey } from './descriptor.js';
import { signingKeyHistory, type SigningKeyRecord } from './keys/history.js';
import type { Clock } from './ports.js';
import { fingerprintOf, keyIdOf, type Signer } from './signing.js';

const DAY_MS = 86_400_000;

/** One key's lifecycle, for the operator. */
export interface KeyStatus {
  key: 'signing' | 'oprf';
  keyId: string;
  fingerprint: string;
  /** When the key was created, as far as the node knows (a key file's time, a rotation's record). */
  createdAt: string;
  ageSeconds: number;
  rotateEveryDays: number;
  /** createdAt + rotateEveryDays. */
  dueAt: string;
  /** The due date has passed: rotate. */
  due: boolean;
  /** Signing key: the retired key still cross-signing the descriptor, until when. */
  retiring?: { keyId: string; fingerprint: string; overlapUntil: string }[];
}

export interface KeyService {
  /** The signing key, then the VOPRF key. */
  status(): Promise<KeyStatus[]>;
  /** Each key's age in seconds as of the last `status()` or `refresh()` plus the time since (synchronous, for /metrics). */
  ages(): { key: 'signing' | 'oprf'; keyId: string; ageSeconds: number }[];
  /** Read the creation times again (after a rotation). */
  refresh(): Promise<void>;
  /** Every signing key this node has used, oldest first. */
  history(): Promise<SigningKeyRecord[]>;
}

/** Where the creation time of a key with no better record is kept: first seen by this node. */
const firstSeenKey = (kind: string, keyId: string) => `key_first_seen:${kind}:${keyId}`;

async function firstSeen(db: Db, kind: string, keyId: string, now: Date): Promise<Date> {
  const key = firstSeenKey(kind, keyId);
  await db.insertInto('meta').values({ key, value: now.toISOString() }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const r = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirstOrThrow();
  return new Date(r.value);
}

/** How stale the keys behind ages() may grow before they are read again (in the background). */
const AGES_REFRESH_MS = 60_000;

/** Build the key service. */
export function createKeyService(deps: {
  db: Db;
  clock: Clock;
  signer: Signer;
  /** The OPRF key the node started with. */
  oprfPublicKey: Uint8Array;
  /** The active OPRF epoch's public key, read per refresh (default: the start-up key): an activation changes it while the node runs. */
  oprfKey?: () => Promise<{ publicKey: Uint8Array }>;
  retiring: (now: Date) => readonly RetiringKey[];
  config: Config;
  /** When the start-up keys were created (their files' times), if known. */
  createdAt?: () => { signing?: Date; oprf?: Date };
}): KeyService {
  const { db, clock, config } = deps;
  let created: { signing: { keyId: string; at: Date }; oprf: { keyId: string; publicKey: Uint8Array; at: Date } } | undefined;
  let refreshedAt = 0;

  async function refresh(): Promise<void> {
    const now = clock.now();
    refreshedAt = now.getTime();
    const known = deps.createdAt?.() ?? {};
    const signingRow = await db.selectFrom('signing_keys').select('created_at').where('key_id', '=', deps.signer.keyId).executeTakeFirst();
    const oprfPublicKey = deps.oprfKey ? (await deps.oprfKey()).publicKey : deps.oprfPublicKey;
    const oprfId = keyIdOf(oprfPublicKey);
    // The start-up key's file time says when it was made; a key activated since counts from when the node first saw it active.
    const oprfKnown = oprfId === keyIdOf(deps.oprfPublicKey) ? known.oprf : undefined;
    created = {
      signing: { keyId: deps.signer.keyId, at: signingRow ? new Date(signingRow.created_at) : (known.signing ?? (await firstSeen(db, 'signing', deps.signer.keyId, now))) },
      oprf: { keyId: oprfId, publicKey: oprfPublicKey, at: oprfKnown ?? (await firstSeen(db, 'oprf', oprfId, now)) },
    };
  }

  const entry = (key: 'signing' | 'oprf', publicKey: Uint8Array, at: Date, now: Date): KeyStatus => {
    const every = config.keys.rotateEveryDays[key];
    const dueAt = new Date(at.getTime() + every * DAY_MS);
    return {
      key,
      keyId: keyIdOf(publicKey),
      fingerprint: fingerprintOf(publicKey),
      createdAt: at.toISOString(),
      ageSeconds: Math.max(0, Math.floor((now.getTime() - at.getTime()) / 1000)),
      rotateEveryDays: every,
      dueAt: dueAt.toISOString(),
      due: now.getTime() >= dueAt.getTime(),
    };
  };

  return {
    async status() {
      await refresh();
      const now = clock.now();
      const signing = entry('signing', deps.signer.publicKey, created!.signing.at, now);
      const retiring = deps.retiring(now).map((r) => ({ keyId: r.signer.keyId, fingerprint: fingerprintOf(r.signer.publicKey), overlapUntil: r.overlapUntil.toISOString() }));
      return [{ ...signing, ...(retiring.length ? { retiring } : {}) }, entry('oprf', created!.oprf.publicKey, created!.oprf.at, now)];
    },
    ages() {
      const now = clock.now().getTime();
      // Kept current for /metrics: an OPRF activation (here or by the CLI) changes the active key while the node runs.
      if (now - refreshedAt >= AGES_REFRESH_MS) void refresh().catch(() => undefined);
      if (!created) return [];
      // The signer may have rotated since the last refresh: report no age rather than the old key's.
      const out: { key: 'signing' | 'oprf'; keyId: string; ageSeconds: number }[] = [];
      if (created.signing.keyId === deps.signer.keyId) out.push({ key: 'signing', keyId: created.signing.keyId, ageSeconds: Math.floor((now - created.signing.at.getTime()) / 1000) });
      out.push({ key: 'oprf', keyId: created.oprf.keyId, ageSeconds: Math.floor((now - created.oprf.at.getTime()) / 1000) });
      return out;
    },
    refresh,
    history: () => signingKeyHistory(db),
  };
}
