/**
 * pino as the core's Logger port. Redaction is a second line of defence:
 * the core never passes identifiers, tokens or keys to the logger at all.
 */
import { pino, type Logger as Pino } from 'pino';
import type { Logger } from '../core/ports.js';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const p = pino(
    {
      level,
      base: { service: 'cairn' },
      redact: { paths: ['*.secretKey', '*.token', '*.authorization', 'authorization', 'token', 'secretKey'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
  return wrap(p);
}

function wrap(p: Pino): Logger {
  return {
    debug: (o, m) => p.debug(o, m),
    info: (o, m) => p.info(o, m),
    warn: (o, m) => p.warn(o, m),
    error: (o, m) => p.error(o, m),
    child: (b) => wrap(p.child(b)),
  };
}
