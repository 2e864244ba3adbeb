/**
 * A node app in-process over an in-memory SQLite database, for tests that
 * call `app.request()` without opening a port (hono's way).
 */
import { randomUUID } from 'node:crypto';
import { resolveConfig } from '../../src/core/config.js';
import { migrateToLatest } from '../../src/core/db/migrations.js';
import { createApp } from '../../src/http/app.js';
import { Metrics } from '../../src/http/metrics.js';
import { MATCH_KEY_TYPE_NAMES } from '../../src/core/identity/index.js';
import { createPortableTokenBackend, generateOprfKeyPair } from '../../src/core/oprf/index.js';
import { silentLogger, systemClock, webRandom } from '../../src/core/ports.js';
import { ed25519Signer } from '../../src/core/signing.js';
import { sqliteAtomicWriter } from '../../src/node/atomic.js';
import { openSqlite } from '../../src/node/sqlite.js';

export async function memoryApp(country = 'XT') {
  const sqlite = openSqlite(':memory:');
  await migrateToLatest(sqlite.db);
  const config = resolveConfig({ node: { id: randomUUID(), country, name: `Test ${country}`, url: 'http://127.0.0.1:9' } }, {});
  const oprf = generateOprfKeyPair();
  const app = createApp({
    config,
    signer: ed25519Signer(webRandom.bytes(32)),
    oprfPublicKey: oprf.publicKey,
    oprfSecretKey: oprf.secretKey,
    db: sqlite.db,
    atomic: sqliteAtomicWriter(sqlite.raw),
    tokenBackend: createPortableTokenBackend(oprf.secretKey),
    clock: systemClock,
    random: webRandom,
    logger: silentLogger,
    metrics: new Metrics(),
    version: 'test',
    matchKeyTypes: MATCH_KEY_TYPE_NAMES,
  });
  return { app, sqlite, config, close: () => sqlite.close() };
}
