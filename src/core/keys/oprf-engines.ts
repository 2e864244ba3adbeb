/**
 * What each OPRF epoch computes with: the blind evaluator that answers
 * peers and the tokeniser that imports records, built once per epoch from
 * the runtime's factories (Node: libsodium threads; portable otherwise) and
 * dropped when the epoch is no longer active or pending, so a retired key
 * does not linger in a worker thread.
 */
import { equalBytes } from '../bytes.js';
import type { OprfEvaluator } from '../federation/answer.js';
import type { TokenBackend } from '../oprf/index.js';
import { deriveFingerprintKey } from '../records/importer.js';
import type { EpochKey, OprfEpochs } from './oprf-epochs.js';

/** An evaluator a runtime may have to release (a worker thread). */
export type ClosableEvaluator = OprfEvaluator & { close?(): Promise<void> | void };

export interface EngineFactories {
  evaluatorFor(secretKey: Uint8Array, publicKey: Uint8Array): Promise<ClosableEvaluator> | ClosableEvaluator;
  backendFor(secretKey: Uint8Array): Promise<TokenBackend> | TokenBackend;
  /** Engines already built for one key (the runtime's start-up key): used, never rebuilt. */
  prebuilt?: { secretKey: Uint8Array; evaluator?: OprfEvaluator; backend?: TokenBackend };
}

/** One epoch's engines. */
export interface EpochEngine {
  epoch: number;
  publicKey: Uint8Array;
  evaluator: OprfEvaluator;
  backend: TokenBackend;
  fingerprintKey: Uint8Array;
}

/** How long an old epoch's engines stay usable for work that started before the switch. */
const RELEASE_AFTER_MS = 10_000;

interface Built {
  secretKey: Uint8Array;
  /** Derived once per key: every answer and import asks for it. */
  fingerprintKey: Uint8Array;
  evaluator?: Promise<ClosableEvaluator>;
  backend?: Promise<TokenBackend>;
  owned: boolean;
}

/** Engines per epoch over the node's epochs. */
export class EpochEngines {
  readonly #epochs: OprfEpochs;
  readonly #f: EngineFactories;
  readonly #built = new Map<number, Built>();

  constructor(epochs: OprfEpochs, factories: EngineFactories) {
    this.#epochs = epochs;
    this.#f = factories;
  }

  #entry(key: EpochKey): Built {
    let b = this.#built.get(key.epoch);
    if (!b || !equalBytes(b.secretKey, key.secretKey)) {
      const pre = this.#f.prebuilt;
      const isPre = pre !== undefined && equalBytes(pre.secretKey, key.secretKey);
      b = {
        secretKey: key.secretKey,
        fingerprintKey: deriveFingerprintKey(key.secretKey),
        ...(isPre && pre.evaluator ? { evaluator: Promise.resolve(pre.evaluator) } : {}),
        ...(isPre && pre.backend ? { backend: Promise.resolve(pre.backend) } : {}),
        owned: !isPre,
      };
      this.#built.set(key.epoch, b);
    }
    return b;
  }

  async #engine(key: EpochKey, need: { evaluator?: boolean; backend?: boolean }): Promise<EpochEngine> {
    const b = this.#entry(key);
    if (need.evaluator) b.evaluator ??= Promise.resolve(this.#f.evaluatorFor(key.secretKey, key.publicKey));
    if (need.backend) b.backend ??= Promise.resolve(this.#f.backendFor(key.secretKey));
    const evaluator = need.evaluator ? await b.evaluator! : unavailable;
    const backend = need.backend ? await b.backend! : unavailableBackend;
    return { epoch: key.epoch, publicKey: key.publicKey, evaluator, backend, fingerprintKey: b.fingerprintKey };
  }

  /** Release the engines of epochs older than `active` (they can no longer be active or pending). */
  #release(active: number): void {
    for (const [epoch, b] of this.#built) {
      if (epoch >= active) continue;
      this.#built.delete(epoch);
      // The runtime's start-up engines too: a retired key must not live on in a worker thread
      // (closing is idempotent, so the runtime's own shutdown may close them again).
      // Answers and imports already holding them finish first.
      const t = setTimeout(() => {
        void b.evaluator?.then((e) => e.close?.()).catch(() => undefined);
        void b.backend?.then((x) => x.close()).catch(() => undefined);
      }, RELEASE_AFTER_MS);
      (t as { unref?: () => void }).unref?.();
    }
  }

  /** The active epoch's evaluator (answers) — read per call: the epoch may have switched. */
  async answering(): Promise<EpochEngine> {
    const key = await this.#epochs.active();
    this.#release(key.epoch);
    return this.#engine(key, { evaluator: true });
  }

  /** The active epoch's tokeniser (ordinary imports). */
  async importing(): Promise<EpochEngine> {
    const key = await this.#epochs.active();
    this.#release(key.epoch);
    return this.#engine(key, { backend: true });
  }

  /** The pending epoch's tokeniser, if one is pending. */
  async pendingImport(): Promise<EpochEngine | undefined> {
    const key = await this.#epochs.pending();
    return key ? this.#engine(key, { backend: true }) : undefined;
  }

  /** Close every engine this object built. */
  async close(): Promise<void> {
    for (const b of this.#built.values()) {
      if (!b.owned) continue;
      await b.evaluator?.then((e) => e.close?.()).catch(() => undefined);
      await b.backend?.then((x) => x.close()).catch(() => undefined);
    }
    this.#built.clear();
  }
}

const unavailable: OprfEvaluator = {
  blindEvaluateBatch: () => Promise.reject(new Error('evaluator not built for this use')),
};
const unavailableBackend: TokenBackend = {
  name: 'none',
  evaluateTokens: () => Promise.reject(new Error('token backend not built for this use')),
  close: async () => undefined,
};
