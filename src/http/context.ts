/**
 * What every route factory and console page receives: the node's services
 * (the composition root's output) and what delivery itself needs from the
 * runtime. Kept apart from app.ts so routes never import the app.
 */
import type { Context } from 'hono';
import type { Clock, Logger, Random } from '../core/ports.js';
import type { Services } from '../core/services.js';
import type { Metrics } from './metrics.js';

/** What delivery needs besides the services: the runtime's logger, clock and randomness, metrics, the version. */
export interface AppOptions {
  logger: Logger;
  clock: Clock;
  /** Request ids when the client sent none. */
  random: Random;
  metrics: Metrics;
  /** Software version shown in health and OpenAPI. */
  version: string;
  /**
   * Read a peer's request body, at most `limit` bytes (body_too_large
   * beyond). Node reads its socket's stream without a Web stream in between;
   * without it, the Request's body is read.
   */
  requestBody?: (c: Context<Env>, limit: number) => Promise<Uint8Array>;
}

/** What route factories get: the node's services and the app's options. */
export interface AppContext extends AppOptions {
  services: Services;
}

/** hono variables every request carries. */
export type Env = { Variables: { requestId: string; log: Logger } };
