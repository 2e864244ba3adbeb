/**
 * Nodes in-process for the token index tests: each a real app over its own
 * SQLite database, reaching the others through a fetch that hands the signed
 * request to the addressed app (hono's app.fetch, no port). The searcher's
 * index service is built on the same database and the same fetch.
 */
import { randomUUID } from 'node:crypto';
import type { AtomicWriter } from '../../src/core/atomic.js';
import { resolveConfig } from '../../src/core/config.js';
import { migrateToLatest } from '../../src/core/db/migrations.js';
import { IndexService } from '../../src/core/federation/index/service.js';
import { addPeer, fetchDescriptor, findPeer, setPeerPolicy } from '../../src/core/federation/peers.js';
import { MATCH_KEY_TYPE_NAMES } from '../../src/core/identity/index.js';
import { createPortableTokenBackend, generateOprfKeyPair } from '../../src/core/oprf/index.js';
import { silentLogger, webRandom, type Clock } from '../../src/core/ports.js';
import { deriveFingerprintKey, importBatch, type ImportDeps } from '../../src/core/records/importer.js';
import { deleteRecord } from '../../src/core/records/manage.js';
import { parseRecord, type ParsedRecord } from '../../src/core/records/parse.js';
import { ed25519Signer, type Signer } from '../../src/core/signing.js';
import { createApp } from '../../src/http/app.js';
import { createServices } from '../../src/core/services.js';
import { Metrics } from '../../src/http/metrics.js';
import { sqliteAtomicWriter } from '../../src/node/atomic.js';
import { openSqlite } from '../../src/node/sqlite.js';

/** A record that must parse (main removed the production `requireRecord`: no caller there). */
function requireRecord(input: unknown, today: string): ParsedRecord {
  const r = parseRecord(input, today);
  if (!r.ok) throw new Error(`test record does not parse: ${JSON.stringify(r.errors)}`);
  return r.record;
}

export type Router = typeof fetch;

/** A settable clock: tests move time for compaction windows. */
export function testClock(start = new Date('2026-06-01T10:00:00Z')): Clock & { advanceDays(n: number): void } {
  let t = start.getTime();
  return { now: () => new Date(t), advanceDays: (n) => void (t += n * 86_400_000) };
}

export interface TestNode {
  host: string;
  country: string;
  nodeId: string;
  sqlite: ReturnType<typeof openSqlite>;
  app: ReturnType<typeof createApp>;
  index: IndexService;
  signer: Signer;
  importer: ImportDeps;
  /** Import records (validated like the API does). */
  put(records: unknown[]): Promise<void>;
  remove(ref: string): Promise<void>;
  close(): Promise<void>;
}

/** A set of in-process nodes that can reach each other by host name. */
export function network() {
  const nodes = new Map<string, TestNode>();
  const router: Router = async (input, init) => {
    const req = input instanceof Request ? input : new Request(input, init);
    const node = nodes.get(new URL(req.url).host);
    if (!node) throw new TypeError(`fetch failed: no node at ${req.url}`);
    return node.app.fetch(req);
  };

  async function node(country: string, clock: Clock, window?: { days: number; maxChanges: number }, wrapAtomic: (a: AtomicWriter) => AtomicWriter = (a) => a): Promise<TestNode> {
    const host = `${country.toLowerCase()}.test`;
    const sqlite = openSqlite(':memory:');
    await migrateToLatest(sqlite.db);
    const nodeId = randomUUID();
    const config = resolveConfig({ node: { id: nodeId, country, name: `Test ${country}`, url: `http://${host}` } }, {});
    const oprf = generateOprfKeyPair();
    const signer = ed25519Signer(webRandom.bytes(32));
    const atomic = wrapAtomic(sqliteAtomicWriter(sqlite.raw));
    const services = createServices(
      { db: sqlite.db, atomic, clock, random: webRandom, logger: silentLogger, signer, oprfSecretKey: oprf.secretKey, fetch: router },
      config,
    );
    const app = createApp(services, { logger: silentLogger, clock, random: webRandom, metrics: new Metrics(), version: 'test' });
    const index = new IndexService({
      db: sqlite.db,
      atomic,
      clock,
      logger: silentLogger,
      signer,
      nodeId,
      client: { signer, clock, random: webRandom, fetch: router, timeoutMs: 10_000, maxResponseBytes: 16 * 1024 * 1024 },
      ...(window ? { window } : {}),
    });
    const importer: ImportDeps = { db: sqlite.db, atomic, backend: createPortableTokenBackend(oprf.secretKey), clock, fingerprintKey: deriveFingerprintKey(oprf.secretKey) };
    const n: TestNode = {
      host,
      country,
      nodeId,
      sqlite,
      app,
      index,
      signer,
      importer,
      put: async (records) => {
        const today = clock.now().toISOString().slice(0, 10);
        await importBatch(importer, records.map((r) => requireRecord(r, today)), 'test', 'test');
      },
      remove: async (ref) => {
        await deleteRecord({ db: sqlite.db, atomic, clock }, ref, 'test');
      },
      close: () => sqlite.close(),
    };
    nodes.set(host, n);
    return n;
  }

  /** `a` registers `b` as a peer with this policy for it. */
  async function pair(a: TestNode, b: TestNode, purposes: Record<string, string[]>): Promise<void> {
    const { envelope, descriptor } = await fetchDescriptor(router, `http://${b.host}`);
    await addPeer({ db: a.sqlite.db, atomic: sqliteAtomicWriter(a.sqlite.raw), clock: { now: () => new Date() } }, envelope, descriptor, 'test', a.nodeId);
    await setPeerPolicy({ db: a.sqlite.db, atomic: sqliteAtomicWriter(a.sqlite.raw), clock: { now: () => new Date() } }, b.nodeId, { purposes }, 'test');
  }

  /** XA and XB on one clock: XA lets XB fetch what `allow` names (purpose → categories), XB lets XA fetch nothing. */
  async function twoNodes(allow: Record<string, string[]>, clock = testClock()) {
    const xa = await node('XA', clock);
    const xb = await node('XB', clock);
    await pair(xa, xb, allow);
    await pair(xb, xa, {});
    return { clock, xa, xb };
  }

  return { node, pair, twoNodes, router, peerOf: (a: TestNode, b: TestNode) => findPeer(a.sqlite.db, b.nodeId), close: async () => Promise.all([...nodes.values()].map((n) => n.close())) };
}

/** `i` written in letters (a, b, ..., z, ba, bb, ...). */
const letters = (i: number): string => (i < 26 ? '' : letters(Math.floor(i / 26))) + String.fromCharCode(97 + (i % 26));

/** A fictitious record with a distinct name and phone per `i`. */
export function person(ref: string, category: string, i: number, retentionUntil = '2036-01-01') {
  return {
    ref,
    category,
    owningUnit: 'Unit',
    contactPoint: 'desk@police.example',
    recordDate: '2026-01-15',
    retentionUntil,
    identifiers: {
      names: [{ given: `Given${letters(i)}`, family: `Family${letters(i * 7 + 3)}` }],
      dateOfBirth: { precision: 'day', date: `20${String(10 + (i % 10)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}` },
      phones: [{ number: `+3805012${String(10000 + i).padStart(5, '0')}` }],
    },
  };
}

/** D1's limits (developers.cloudflare.com/d1/platform/limits): bound parameters, statement length, blob size. */
export const D1_LIMITS = { params: 100, sqlBytes: 100_000, blobBytes: 2_000_000 } as const;

/** An AtomicWriter that refuses, like D1 would, any statement beyond D1's limits, and counts statements per unit. */
export function d1Checked(inner: AtomicWriter, seen: { units: number; maxStatements: number }): AtomicWriter {
  return {
    async run(statements) {
      seen.units++;
      seen.maxStatements = Math.max(seen.maxStatements, statements.length);
      for (const q of statements) {
        if (q.parameters.length > D1_LIMITS.params) throw new Error(`${q.parameters.length} bound parameters: ${q.sql.slice(0, 80)}`);
        if (new TextEncoder().encode(q.sql).length > D1_LIMITS.sqlBytes) throw new Error(`statement of ${q.sql.length} bytes`);
        for (const p of q.parameters) if (p instanceof Uint8Array && p.length > D1_LIMITS.blobBytes) throw new Error(`blob of ${p.length} bytes`);
      }
      return inner.run(statements);
    },
  };
}
