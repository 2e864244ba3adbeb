/**
 * The log of a background job that runs every second or so (the audit
 * checkpointer, the Merkle integration): when it fails for a reason that
 * lasts, a full disk say, one line per attempt would bury everything else
 * in the node's log. The first failure is logged at once; while the job
 * keeps failing, one line every `everyMs` says how often; the first run
 * that works again says it recovered.
 */
import { isStorageFull } from './errors.js';
import type { Clock, Logger } from './ports.js';

export interface FailureLog {
  failed(e: unknown): void;
  succeeded(): void;
}

/** What the operator reads beside a failure caused by a full disk. */
export const STORAGE_FULL_HINT = 'the disk holding the database is full: free space; the node resumes by itself';

/** Log fields of a failure: its text, and for a full disk the code operators grep for and what to do. */
export function failureFields(e: unknown): Record<string, unknown> {
  return { err: String(e), ...(isStorageFull(e) ? { code: 'storage_full', hint: STORAGE_FULL_HINT } : {}) };
}

export function failureLog(logger: Logger, what: string, clock: Clock, everyMs = 60_000): FailureLog {
  let first: number | undefined;
  let lastLogged = 0;
  let since = 0;
  let total = 0;
  const fields = failureFields;
  return {
    failed(e) {
      const now = clock.now().getTime();
      total++;
      if (first === undefined) {
        first = lastLogged = now;
        since = 0;
        logger.error(fields(e), `${what} failed`);
        return;
      }
      since++;
      if (now - lastLogged >= everyMs) {
        logger.error({ ...fields(e), failures: since, failingForSeconds: Math.round((now - first) / 1000) }, `${what} still failing`);
        lastLogged = now;
        since = 0;
      }
    },
    succeeded() {
      if (first === undefined) return;
      logger.warn({ failures: total, failedForSeconds: Math.round((clock.now().getTime() - first) / 1000) }, `${what} works again`);
      first = undefined;
      total = 0;
    },
  };
}
