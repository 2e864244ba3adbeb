/**
 * A node app in-process over an in-memory SQLite database, for tests that
 * call `app.request()` without opening a port (hono's way). It is wired like
 * every entry: ports into createServices, services into createApp.
 */
import { randomUUID } from 'node:crypto';
import { resolveConfig } from '../../src/core/config.js';
import { migrateToLatest } from '../../src/core/db/migrations.js';
import { createApp } from '../../src/http/app.js';
import { Metrics } from '../../src/http/metrics.js';
import { generateOprfKeyPair } from '../../src/core/oprf/index.js';
import { silentLogger, systemClock, webRandom } from '../../src/core/ports.js';
import { createServices } from '../../src/core/services.js';
import { ed25519Signer } from '../../src/core/signing.js';
import { sqliteAtomicWriter } from '../../src/node/atomic.js';
import { openSqlite } from '../../src/node/sqlite.js';

/** A node over a fresh in-memory database; `url` names its audit log (default http://127.0.0.1:9). */
export async function memoryApp(country = 'XT', url = 'http://127.0.0.1:9') {
  const sqlite = openSqlite(':memory:');
  await migrateToLatest(sqlite.db);
  const config = resolveConfig({ node: { id: randomUUID(), country, name: `Test ${country}`, url } }, {});
  const oprf = generateOprfKeyPair();
  const services = createServices(
    {
      db: sqlite.db,
      atomic: sqliteAtomicWriter(sqlite.raw),
      clock: systemClock,
      random: webRandom,
      logger: silentLogger,
      signer: ed25519Signer(webRandom.bytes(32)),
      oprfSecretKey: oprf.secretKey,
    },
    config,
  );
  const app = createApp(services, { logger: silentLogger, clock: systemClock, random: webRandom, metrics: new Metrics(), version: 'test' });
  return { app, services, sqlite, config, close: () => sqlite.close() };
}
