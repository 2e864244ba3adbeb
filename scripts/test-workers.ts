/**
 * `npm run test:workers`: a Cairn node on workerd with D1 (`wrangler dev`,
 * local, offline) and a Cairn node on Node.js with SQLite federate over real
 * loopback HTTP. Each finds a record the other imported, with a receipt that
 * verifies under the issuer's descriptor key (checked with node:crypto, not
 * our own code), and each reports a no-hit; the Worker's audit log on D1
 * verifies and each node witnessed the other's checkpoints; the Worker's D1
 * nonce store refuses a replayed federation request; a Worker whose D1 is
 * on a full disk refuses writes whole and takes them again once there is
 * room. The Ed25519 edge-case
 * vectors (test/vectors/ed25519) get the same verdicts inside workerd as
 * from the core on Node (noble) and from OpenSSL.
 *
 * Not part of `npm test`: it needs wrangler and workerd (about 20 s after the build).
 * Every child process is stopped (the wrangler process group included) on
 * success, failure, or Ctrl-C.
 */
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fromHex, toBase64Url, toHex } from '../src/core/bytes.js';
import { blind, generateOprfKeyPair, oprfPublicKey } from '../src/core/oprf/index.js';
import { FEDERATION } from '../src/core/constants.js';
import { buildSignedRequest } from '../src/core/federation/http-signature.js';
import { systemClock, webRandom } from '../src/core/ports.js';
import { ed25519Signer, ed25519Verify, keyIdOf } from '../src/core/signing.js';
import { nodeEd25519Verify } from '../src/node/ed25519.js';
import { api, fingerprintOfNode, ROOT, startFederation, untilReplicasReady, type FedNode } from './lib/federation.js';
import { smallDisk, smallDiskSupport } from './lib/small-disk.js';
import { syntheticNdjson } from './lib/synthetic-records.js';
import { addWorkerUsers, D1_DATABASE, d1ExecuteFile, dryRunDeploy, freePort, generateWorkerSecrets, secretsDotEnv, startWranglerDev, WRANGLER, type WranglerDev } from './lib/workers.js';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const CONTEXT = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act (test)', caseReference: 'CASE-WORKERS-1' };
const POLICY = { purposes: { missing_child_tracing: ['missing_child', 'unaccompanied_minor', 'child_at_risk'] } };
const WORKER = { country: 'XW', nodeId: 'cairn-workers-test', name: 'Westmark child protection (Workers)' };

const t0 = Date.now();
const step = (msg: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);

/** The Worker's D1 queries per invocation in this test (CAIRN_D1_QUERIES_PER_INVOCATION): low, so that a replica sync must resume. */
const WORKER_D1_QUERIES = 60;

/**
 * Run the Worker's scheduled jobs (GET /__scheduled). `wrangler d1 execute`
 * on the persisted D1 makes wrangler dev reload the Worker, and a request in
 * that moment fails to connect: it is sent again, up to twice.
 */
async function runCron(url: string): Promise<{ status: number; text: string }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${url}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`);
      return { status: res.status, text: await res.text() };
    } catch (e) {
      if (attempt >= 2) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function record(ref: string, category: string, identifiers: unknown) {
  return { ref, category, owningUnit: 'Missing children unit', contactPoint: `desk-${ref}@police.example`, recordDate: '2026-01-15', retentionUntil: '2036-01-01', identifiers };
}

/** The payload of a node's signed descriptor (read, not verified: the checks below verify with node:crypto). */
async function descriptorOf(url: string): Promise<{ nodeId: string; country: string; signingKey: { keyId: string; publicKey: string } }> {
  const env = (await (await fetch(`${url}/.well-known/cairn/node`)).json()) as { payload: string };
  return JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
}

/** Verify a DSSE receipt with node:crypto against the issuer's descriptor key; returns its payload. */
async function verifiedReceipt(issuerUrl: string, env: { payload: string; payloadType: string; signatures: { sig: string }[] }) {
  const desc = await descriptorOf(issuerUrl);
  const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(desc.signingKey.publicKey, 'base64url')]), format: 'der', type: 'spki' });
  const payload = Buffer.from(env.payload, 'base64');
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${env.payloadType.length} ${env.payloadType} ${payload.length} `), payload]);
  assert.equal(env.signatures.length, 1);
  assert.ok(verify(null, pae, key, Buffer.from(env.signatures[0]!.sig, 'base64')), 'receipt signature verifies under the issuer descriptor key');
  return JSON.parse(payload.toString('utf8'));
}

function expectStatus(r: { status: number; json: unknown }, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: ${JSON.stringify(r.json)}`);
}

interface Started {
  stops: (() => Promise<void>)[];
  worker?: WranglerDev;
}

/**
 * Run the Ed25519 edge cases inside workerd (scripts/workers/ed25519-vectors.ts)
 * and check them against cairn-verdicts.json, the core on Node and OpenSSL.
 */
async function checkEd25519Vectors(root: string): Promise<void> {
  const dir = join(ROOT, 'test/vectors/ed25519');
  const cases = (JSON.parse(readFileSync(join(dir, 'speccheck-cases.json'), 'utf8')) as { message: string; pub_key: string; signature: string }[]).map((c) => ({
    publicKey: c.pub_key,
    message: c.message,
    signature: c.signature,
  }));
  const expected = (JSON.parse(readFileSync(join(dir, 'cairn-verdicts.json'), 'utf8')) as { verdicts: { valid: boolean }[] }).verdicts.map((v) => v.valid);
  const vectors = await startWranglerDev({ port: await freePort(), persistTo: join(root, 'wrangler-vectors'), vars: {}, script: 'scripts/workers/ed25519-vectors.ts' });
  try {
    const res = await fetch(vectors.url, { method: 'POST', body: JSON.stringify(cases) });
    assert.equal(res.status, 200, 'the vectors Worker answers');
    const inWorkerd = (await res.json()) as boolean[];
    const onNode = (verify: typeof ed25519Verify) => cases.map((c) => verify(fromHex(c.publicKey), fromHex(c.message), fromHex(c.signature)));
    assert.deepEqual(inWorkerd, expected, 'workerd gives cairn-verdicts.json');
    assert.deepEqual(onNode(ed25519Verify), expected, 'the core on Node gives cairn-verdicts.json');
    assert.deepEqual(onNode(nodeEd25519Verify), expected, 'OpenSSL gives cairn-verdicts.json');
  } finally {
    await vectors.stop();
  }
}

async function run(root: string, started: Started): Promise<void> {
  step('the Ed25519 edge cases inside workerd, on the core and on OpenSSL');
  await checkEd25519Vectors(root);
  step('Ed25519: the same verdicts on every path');

  const [nodePort, workerPort] = [await freePort(), await freePort()];

  step('bundling the Worker as `wrangler deploy` would (dry run)');
  const { gzipKiB } = dryRunDeploy(join(root, 'bundle'));
  assert.ok(gzipKiB < 3 * 1024, `the bundle (${gzipKiB} KiB gzip) fits the Workers free-plan limit of 3 MiB`);
  step(`bundle: ${gzipKiB} KiB gzip`);

  step('starting the Node.js node (XA, SQLite)');
  const [xa] = (await startFederation(root, [{ country: 'XA', name: 'Arcadia child protection', port: nodePort }], {})) as [FedNode];
  started.stops.push(() => xa.stop());

  step('starting the Workers node (XW, workerd + local D1) with wrangler dev');
  const secrets = generateWorkerSecrets();
  const envFile = join(root, 'worker.env');
  // The next OPRF key is a secret from the start: the rotation section below uses it (the Worker cannot make one).
  const nextOprfKey = toHex(generateOprfKeyPair().secretKey);
  writeFileSync(envFile, `${secretsDotEnv(secrets).trimEnd()}\nCAIRN_OPRF_KEY_NEXT=${nextOprfKey}\n`, { mode: 0o600 });
  const persistTo = join(root, 'wrangler-state');
  const worker: WranglerDev = await startWranglerDev({
    port: workerPort,
    persistTo,
    envFile,
    vars: {
      CAIRN_NODE_URL: `http://127.0.0.1:${workerPort}`,
      CAIRN_NODE_ID: WORKER.nodeId,
      CAIRN_NODE_COUNTRY: WORKER.country,
      CAIRN_NODE_NAME: WORKER.name,
      // wrangler dev does not enforce D1's queries per invocation; a low bound makes the replica sync resume across invocations here.
      CAIRN_D1_QUERIES_PER_INVOCATION: String(WORKER_D1_QUERIES),
    },
  });
  started.worker = worker;
  started.stops.push(() => worker.stop());
  const xw = { url: worker.url };
  step(`Workers node up at ${xw.url}; migrations applied to D1`);

  const desc = await descriptorOf(xw.url);
  assert.equal(desc.nodeId, WORKER.nodeId);
  assert.equal(desc.country, WORKER.country);
  const xwFingerprint = await fingerprintOfNode(xw.url);
  assert.equal(xwFingerprint, secrets.fingerprint, 'the Worker signs with the key from its secret');

  step('creating the Worker\'s first operator with wrangler d1 execute --local, then an analyst over the API');
  const [op] = await addWorkerUsers({ local: true, persistTo }, [{ role: 'operator', name: 'XW operator' }]);
  const newAnalyst = await api(xw, op!.token, 'POST', '/v1/users', { role: 'analyst', name: 'XW analyst' });
  expectStatus(newAnalyst, 201, 'the first operator creates an analyst');
  const xwTokens = { operator: op!.token, analyst: newAnalyst.json.token as string };
  expectStatus(await api(xw, xwTokens.analyst, 'GET', '/v1/peers'), 403, 'an analyst may not list peers');
  expectStatus(await api(xw, 'cairn_not-a-token', 'GET', '/v1/records/stats'), 401, 'unknown token');

  step('peering both ways (URL + fingerprint, then a policy)');
  const addXa = await api(xw, xwTokens.operator, 'POST', '/v1/peers', { url: xa.url, fingerprint: xa.fingerprint });
  expectStatus(addXa, 201, 'Worker adds the Node node');
  assert.equal(addXa.json.peer.country, 'XA');
  expectStatus(await api(xw, xwTokens.operator, 'PUT', '/v1/peers/XA/policy', POLICY), 200, 'Worker sets the policy for XA');
  const wrongFp = await api(xa, xa.tokens.operator, 'POST', '/v1/peers', { url: xw.url, fingerprint: xa.fingerprint });
  expectStatus(wrongFp, 401, 'a wrong fingerprint is refused');
  expectStatus(await api(xa, xa.tokens.operator, 'POST', '/v1/peers', { url: xw.url, fingerprint: xwFingerprint }), 201, 'Node node adds the Worker');
  expectStatus(await api(xa, xa.tokens.operator, 'PUT', '/v1/peers/XW/policy', POLICY), 200, 'Node node sets the policy for XW');

  step('importing records on both nodes');
  const impA = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
    records: [record('XA-MC-1', 'missing_child', { names: [{ given: 'Олена', family: 'Шевченко' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } })],
  });
  expectStatus(impA, 200, 'import on the Node node');
  // Enough background records that the Worker's transfer of XA's index needs several invocations' budgets.
  const background = Array.from({ length: 300 }, (_, i) =>
    record(`XA-BG-${i}`, 'missing_child', { names: [{ given: `Bryn${'abcdefghijklmnopqrstuvwxyz'[i % 26]}${'klmnopqrstuvwxyz'[i % 16]}`, family: `Quell${'abcdefghij'[i % 10]}${'klmnopqrst'[Math.floor(i / 10) % 10]}` }], dateOfBirth: { precision: 'day', date: `2001-0${1 + (i % 9)}-1${i % 10}` } }),
  );
  expectStatus(await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: background }), 200, 'background records on the Node node');
  const impW = await api(xw, xwTokens.analyst, 'POST', '/v1/records', {
    records: [
      record('XW-UM-7', 'unaccompanied_minor', { names: [{ given: 'Yusuf', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2011-09-03' }, phones: [{ number: '+491701234567' }] }),
      record('XW-S-1', 'suspect', { names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } }),
    ],
  });
  expectStatus(impW, 200, 'import on the Worker (portable token backend, D1 batch)');
  assert.equal(impW.json.imported, 2);
  const stats = await api(xw, xwTokens.analyst, 'GET', '/v1/records/stats');
  expectStatus(stats, 200, 'record stats on the Worker');

  step('waiting until each node holds an in-sync replica of the other\'s token index (cairn/2)');
  // A Worker has no timers: its replica sync runs in the Cron Trigger's job
  // (and a page at a time after searches), so drive the cron while waiting.
  // Each invocation transfers what its statement budget allows and the next
  // resumes there: the shards done grow run after run.
  const shardsDone: number[] = [];
  for (let i = 0; ; i++) {
    const cron = await runCron(xw.url);
    assert.equal(cron.status, 200, `the scheduled jobs ran: ${cron.text}`);
    const replicas = await api(xw, xwTokens.operator, 'GET', '/v1/peers/replicas');
    const mc = (replicas.json.replicas as { category: string; status: string; shardsDone: number }[]).find((r) => r.category === 'missing_child');
    if (mc) shardsDone.push(mc.status === 'ready' ? 65536 : mc.shardsDone);
    try {
      await untilReplicasReady({ url: xw.url, tokens: { analyst: xwTokens.analyst } }, { timeoutMs: 1 });
      break;
    } catch (e) {
      if (i >= 60) throw e;
    }
  }
  const partial = new Set(shardsDone.filter((n) => n > 0 && n < 65536));
  assert.ok(partial.size >= 2, `the Worker's transfer of XA's index resumed across invocations (shards done after each: ${shardsDone.join(', ')})`);
  assert.deepEqual([...shardsDone].sort((a, b) => a - b), shardsDone, `each invocation went on from where the last stopped (${shardsDone.join(', ')})`);
  step(`the Worker's replica of XA was transferred over ${shardsDone.length} Cron Trigger invocations of at most ${WORKER_D1_QUERIES} D1 queries (shards done after each: ${shardsDone.join(', ')})`);
  const costs = [...worker.log().matchAll(/"job":"([a-z-]+)".*?"statements":(\d+)/g)].slice(-4).map(([, job, n]) => `${job} ${n}`);
  assert.equal(costs.length, 4, 'each scheduled job logs the D1 statements it cost');
  step(`statements of the last invocation's jobs: ${costs.join(', ')}`);
  await untilReplicasReady(xa);

  step('searching from the Worker for a record on the Node node');
  const s1 = await api(xw, xwTokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } } });
  expectStatus(s1, 201, 'search from the Worker');
  assert.equal(s1.json.results.length, 1);
  const hitA = s1.json.results[0];
  assert.equal(hitA.status, 'hit', JSON.stringify(hitA));
  assert.equal(hitA.confirmation, 'confirmed', JSON.stringify(hitA));
  const rA = await verifiedReceipt(xa.url, hitA.receipts[0]);
  assert.equal(rA.issuer.country, 'XA');
  assert.equal(rA.requester.country, 'XW');
  assert.equal(rA.searchId, s1.json.id);
  assert.equal(rA.record.ref, 'XA-MC-1');
  assert.equal(rA.record.contactPoint, 'desk-XA-MC-1@police.example');
  const incomingA = await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming');
  assert.equal(incomingA.json.hits[0]?.searchId, s1.json.id);
  assert.equal(incomingA.json.hits[0]?.peer.country, 'XW');
  const stored = await api(xw, xwTokens.analyst, 'GET', `/v1/searches/${s1.json.id}`);
  expectStatus(stored, 200, 'the Worker stored the search');
  assert.deepEqual(stored.json.results, s1.json.results);

  step('searching from the Node node for a record on the Worker');
  const s2 = await api(xa, xa.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Yousef', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2011-09-03' }, phones: [{ number: '+49 170 1234567' }] } });
  expectStatus(s2, 201, 'search from the Node node');
  const hitW = s2.json.results[0];
  assert.equal(hitW.status, 'hit', JSON.stringify(hitW));
  assert.equal(hitW.confirmation, 'confirmed', JSON.stringify(hitW));
  const rW = await verifiedReceipt(xw.url, hitW.receipts[0]);
  assert.equal(rW.issuer.nodeId, WORKER.nodeId);
  assert.equal(rW.requester.country, 'XA');
  assert.equal(rW.record.ref, 'XW-UM-7');
  assert.doesNotMatch(JSON.stringify(rW), /Yusuf|Yousef|1234567/);
  const incomingW = await api(xw, xwTokens.analyst, 'GET', '/v1/hits/incoming');
  assert.equal(incomingW.json.hits[0]?.searchId, s2.json.id);
  assert.equal(incomingW.json.hits[0]?.record.ref, 'XW-UM-7');

  step('no-hits both ways (including a record the purpose may not match)');
  const s3 = await api(xa, xa.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } } });
  expectStatus(s3, 201, 'no-hit search from the Node node');
  assert.equal(s3.json.results[0].status, 'no_hit', JSON.stringify(s3.json.results[0]));
  const s4 = await api(xw, xwTokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Petra', family: 'Novak' }], dateOfBirth: { precision: 'day', date: '2010-10-10' } } });
  expectStatus(s4, 201, 'no-hit search from the Worker');
  assert.equal(s4.json.results[0].status, 'no_hit', JSON.stringify(s4.json.results[0]));

  step('a delta on the Worker\'s replica: checked against the change chain on D1, merged into the shards by the Cron Trigger');
  // XA's new record reaches the Worker's replica with the next answer, as unmerged changes beside the shards.
  expectStatus(
    await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: [record('XA-MC-2', 'missing_child', { names: [{ given: 'Ana', family: 'Popescu' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } })] }),
    200,
    'a second import on the Node node',
  );
  const anaSearch = { ...CONTEXT, identifiers: { names: [{ given: 'Ana', family: 'Popescu' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } } };
  const s6 = await api(xw, xwTokens.analyst, 'POST', '/v1/searches', anaSearch);
  expectStatus(s6, 201, 'search from the Worker after the delta');
  assert.equal(s6.json.results[0].status, 'hit', `the delta's record is found at once: ${JSON.stringify(s6.json.results[0])}`);
  const unmergedSql = join(root, 'unmerged.sql');
  writeFileSync(unmergedSql, "select 'unmerged=' || (select count(*) from replica_changes) || ' ready=' || (select count(*) from replicas where status = 'ready') as state;\n");
  const unmerged = () => /unmerged=(\d+) ready=(\d+)/.exec(d1ExecuteFile({ local: true, persistTo }, unmergedSql))!.slice(1).map(Number);
  const [pendingBefore, readyBefore] = unmerged();
  assert.ok(pendingBefore! > 0, `the delta waits beside the shards (${pendingBefore} unmerged changes)`);
  // A merge that does not fit what an invocation has left waits for the next one.
  for (let i = 0; i < 5 && unmerged()[0] !== 0; i++) {
    const merging = await runCron(xw.url);
    assert.equal(merging.status, 200, `the scheduled jobs ran: ${merging.text}`);
  }
  assert.deepEqual(unmerged(), [0, readyBefore], 'the Cron Trigger merged the changes, and the root check kept every replica ready');
  const s7 = await api(xw, xwTokens.analyst, 'POST', '/v1/searches', anaSearch);
  assert.equal(s7.json.results[0].status, 'hit', `found from the merged shards: ${JSON.stringify(s7.json.results[0])}`);

  step('retention on the Worker: a record past retention stops matching at once, and the Cron Trigger purges it');
  // A record cannot be imported past retention; age one as the calendar would, in the local D1.
  const expire = join(root, 'expire.sql');
  writeFileSync(expire, "update records set retention_until = '2000-01-01' where ref = 'XW-UM-7';\n");
  d1ExecuteFile({ local: true, persistTo }, expire);
  const s5 = await api(xa, xa.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Yousef', family: 'Haddad' }], dateOfBirth: { precision: 'day', date: '2011-09-03' }, phones: [{ number: '+49 170 1234567' }] } });
  expectStatus(s5, 201, 'search for the expired record');
  assert.equal(s5.json.results[0].status, 'no_hit', `a record past retention never matches, before any purge: ${JSON.stringify(s5.json.results[0])}`);
  // Under cairn/2 the Worker's answer to that search already purged the
  // expired record (so its index delta removed it from XA's replica); the
  // Cron Trigger purges whatever is left. Either way exactly that record is gone.
  const cron = await runCron(xw.url);
  assert.equal(cron.status, 200, `the scheduled handler ran: ${cron.text}`);
  const after = (await api(xw, xwTokens.analyst, 'GET', '/v1/records/stats')).json.records as number;
  assert.equal(after, impW.json.imported - 1, 'the record past retention is purged, and only it');
  assert.match(worker.log(), /"job":"retention"[^\n]*"purged":[01]/, 'the retention job ran and logged what it purged');

  await rotateWorkerOprfKey(xa, xw, xwTokens, nextOprfKey);

  step('bulk import over HTTP into the Worker (cairn import --node): chunks, resume, and a second run that stores nothing');
  const beforeBulk = (await api(xw, xwTokens.analyst, 'GET', '/v1/records/stats')).json.records as number;
  const bulk = join(root, 'bulk.ndjson');
  writeFileSync(bulk, [...syntheticNdjson(40, { seed: 7, prefix: 'XWB' })].join(''));
  const bulkImport = (extra: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/cairn.js'), 'import', bulk, '--node', xw.url, '--token', xwTokens.operator, '--batch', '15', '--import-id', 'workers-bulk-1', '--json', ...extra], { cwd: ROOT, encoding: 'utf8', input: '' });
    assert.equal(r.status, 0, `cairn import --node into the Worker: ${r.stderr}`);
    return JSON.parse(r.stdout) as { rows: number; imported: number; chunksSent: number; chunksSkipped: number };
  };
  const bulkFirst = bulkImport([]);
  assert.deepEqual([bulkFirst.rows, bulkFirst.imported, bulkFirst.chunksSent], [40, 40, 3], JSON.stringify(bulkFirst));
  const bulkAgain = bulkImport([]);
  assert.deepEqual([bulkAgain.chunksSent, bulkAgain.chunksSkipped, bulkAgain.imported], [0, 3, 40], `a completed import is not sent again: ${JSON.stringify(bulkAgain)}`);
  const bulkStats = (await api(xw, xwTokens.analyst, 'GET', '/v1/records/stats')).json.records as number;
  assert.equal(bulkStats, beforeBulk + 40, 'the 40 records are stored once on D1');

  step('verifying the audit logs: the Worker\'s Merkle log on D1, and each node witnessing the other');
  const dpo = await api(xw, xwTokens.operator, 'POST', '/v1/users', { role: 'dpo', name: 'XW data-protection officer' });
  expectStatus(dpo, 201, 'the operator creates a DPO');
  const verified = await api(xw, dpo.json.token, 'POST', '/v1/audit/verify');
  expectStatus(verified, 200, 'audit verify on the Worker');
  assert.equal(verified.json.ok, true, JSON.stringify(verified.json));
  assert.ok(verified.json.size > 5, `the Worker's log holds its acts (size ${verified.json.size})`);
  const xaWitness = await api(xa, xa.tokens.dpo, 'GET', '/v1/audit/witness');
  const ofXw = xaWitness.json.peers.find((p: { country: string }) => p.country === 'XW');
  assert.ok(ofXw?.witnessedSize > 0 && ofXw.alerts === 0, `XA witnessed the Worker's checkpoints without alerts: ${JSON.stringify(xaWitness.json)}`);
  const xwWitness = await api(xw, dpo.json.token, 'GET', '/v1/audit/witness');
  const ofXa = xwWitness.json.peers.find((p: { country: string }) => p.country === 'XA');
  assert.ok(ofXa?.witnessedSize > 0 && ofXa.alerts === 0, `the Worker witnessed XA's checkpoints without alerts: ${JSON.stringify(xwWitness.json)}`);

  const xaSigner = ed25519Signer(fromHex(readFileSync(join(xa.home, 'keys/signing.key'), 'utf8').trim()));
  await budgetAndRateHold(xw.url, desc, xaSigner, xwTokens.operator, persistTo);

  step('replaying a signed federation request to the Worker (nonce store in D1)');
  const { request } = buildSignedRequest({
    method: 'POST',
    url: `${xw.url}${FEDERATION.prefix}/match`,
    body: new TextEncoder().encode('{}'),
    signer: xaSigner,
    recipientKeyId: desc.signingKey.keyId,
    clock: systemClock,
    random: webRandom,
    headers: { 'content-type': FEDERATION.mediaType },
  });
  const replay = request.clone();
  const first = await fetch(request);
  assert.equal(first.status, 400, 'an authenticated but empty match request is refused as invalid, not as unauthenticated');
  const second = await fetch(replay);
  assert.equal(second.status, 409, 'the same nonce again is a replay');
  assert.equal(((await second.json()) as { code: string }).code, 'nonce_replayed');

  await workerSigningRotation(root, { xa, xw, xwTokens, secrets, oprfKey: nextOprfKey, persistTo, workerPort, dpoToken: dpo.json.token as string, started });
  await workerOnFullDisk(root, started);
}

/**
 * A Worker whose local D1 sits on a small disk that fills up (a tmpfs, so
 * workerd's SQLite meets a real SQLITE_FULL, which D1 passes on only as
 * text): a write is refused whole with 503 unavailable naming the full
 * storage, nothing of it is stored, and once space is freed the same write
 * succeeds without a restart.
 */
async function workerOnFullDisk(root: string, started: Started): Promise<void> {
  if (smallDiskSupport !== undefined) {
    step(`skipped: the Worker on a full disk (${smallDiskSupport})`);
    return;
  }
  step('a second Worker whose local D1 is on a 32 MiB disk that fills up');
  const disk = smallDisk(32 * 1024 * 1024);
  started.stops.push(async () => disk.remove());
  const secrets = generateWorkerSecrets();
  const envFile = join(root, 'worker-full.env');
  writeFileSync(envFile, secretsDotEnv(secrets), { mode: 0o600 });
  const port = await freePort();
  const persistTo = join(disk.dir, 'wrangler-state');
  const worker = await startWranglerDev({
    port,
    persistTo,
    envFile,
    vars: { CAIRN_NODE_URL: `http://127.0.0.1:${port}`, CAIRN_NODE_ID: 'cairn-workers-full-disk', CAIRN_NODE_COUNTRY: 'XF', CAIRN_NODE_NAME: 'Full disk (Workers)' },
  });
  try {
    const [op] = await addWorkerUsers({ local: true, persistTo }, [{ role: 'operator', name: 'XF operator' }]);
    const analyst = await api(worker, op!.token, 'POST', '/v1/users', { role: 'analyst', name: 'XF analyst' });
    expectStatus(analyst, 201, 'the operator creates an analyst');
    const token = analyst.json.token as string;
    const identifiers = { names: [{ given: 'Lena', family: 'Hoffmann' }], dateOfBirth: { precision: 'day', date: '2014-06-01' } };
    expectStatus(await api(worker, token, 'POST', '/v1/records', { records: [record('XF-1', 'missing_child', identifiers)] }), 200, 'a record stored before the disk fills');
    const count = async () => ((await api(worker, op!.token, 'GET', '/v1/records/stats')).json as { records: number }).records;
    disk.fill();
    const refused = await api(worker, token, 'POST', '/v1/records', { records: [record('XF-2', 'missing_child', identifiers)] });
    disk.free();
    expectStatus(refused, 503, 'a write on a full disk');
    assert.equal(refused.json.code, 'unavailable');
    assert.match(refused.json.detail as string, /storage is full/);
    assert.equal(await count(), 1, 'nothing of the refused import was stored');
    assert.match(worker.log(), /"code":"storage_full"/);
    expectStatus(await api(worker, token, 'POST', '/v1/records', { records: [record('XF-2', 'missing_child', identifiers)] }), 200, 'the same write once space is freed');
    assert.equal(await count(), 2);
  } finally {
    await worker.stop();
  }
}

/**
 * The Worker rotates its signing key through its secrets (PROTOCOL.md §32):
 * restarted with a new CAIRN_SIGNING_KEY, the old one as
 * CAIRN_SIGNING_KEY_PREVIOUS and the overlap's end, it publishes the
 * cross-signed descriptor; the Node peer follows on its own at its next
 * search, and both keep searching each other; the Worker's audit log
 * verifies over both keys.
 */
async function workerSigningRotation(
  root: string,
  s: { xa: FedNode; xw: { url: string }; xwTokens: { operator: string; analyst: string }; secrets: ReturnType<typeof generateWorkerSecrets>; oprfKey: string; persistTo: string; workerPort: number; dpoToken: string; started: Started },
): Promise<void> {
  step('rotating the Worker\'s signing key through its secrets (previous key + overlap end), then restarting it');
  const oldKeyId = (await descriptorOf(s.xw.url)).signingKey.keyId;
  const fresh = generateWorkerSecrets();
  const envFile = join(root, 'worker-rotated.env');
  // The OPRF key is the one activated earlier: after an activation the
  // operator moves CAIRN_OPRF_KEY_NEXT into CAIRN_OPRF_KEY (docs/workers.md).
  writeFileSync(envFile, `CAIRN_SIGNING_KEY=${fresh.CAIRN_SIGNING_KEY}\nCAIRN_OPRF_KEY=${s.oprfKey}\nCAIRN_SIGNING_KEY_PREVIOUS=${s.secrets.CAIRN_SIGNING_KEY}\n`, { mode: 0o600 });
  await s.started.worker?.stop();
  const overlapUntil = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const worker = await startWranglerDev({
    port: s.workerPort,
    persistTo: s.persistTo,
    envFile,
    vars: {
      CAIRN_NODE_URL: `http://127.0.0.1:${s.workerPort}`,
      CAIRN_NODE_ID: WORKER.nodeId,
      CAIRN_NODE_COUNTRY: WORKER.country,
      CAIRN_NODE_NAME: WORKER.name,
      CAIRN_SIGNING_KEY_PREVIOUS_UNTIL: overlapUntil,
    },
  });
  s.started.worker = worker;
  s.started.stops.push(() => worker.stop());
  const env = (await (await fetch(`${s.xw.url}/.well-known/cairn/node`)).json()) as { payload: string; signatures: { keyid: string }[] };
  const desc = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { signingKey: { keyId: string }; retiringSigningKeys?: { keyId: string; overlapUntil: string }[] };
  assert.notEqual(desc.signingKey.keyId, oldKeyId, 'the Worker signs with the new key');
  assert.deepEqual(desc.retiringSigningKeys?.map((k) => [k.keyId, k.overlapUntil]), [[oldKeyId, overlapUntil]], 'the descriptor lists the retiring key and its overlap');
  assert.deepEqual(env.signatures.map((x) => x.keyid).sort(), [desc.signingKey.keyId, oldKeyId].sort(), 'both keys sign the descriptor');
  assert.equal(await fingerprintOfNode(s.xw.url), fresh.fingerprint);

  step('the Node peer searches the rotated Worker: it re-pins through the cross-signed descriptor, no error');
  const s6 = await api(s.xa, s.xa.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Petra', family: 'Novak' }], dateOfBirth: { precision: 'day', date: '2010-10-10' } } });
  expectStatus(s6, 201, 'search of the rotated Worker');
  assert.equal(s6.json.results[0].status, 'no_hit', JSON.stringify(s6.json.results[0]));
  const peers = await api(s.xa, s.xa.tokens.operator, 'GET', '/v1/peers');
  const xwPeer = (peers.json.peers as { country: string; signingKeyFingerprint: string; status: string }[]).find((p) => p.country === 'XW');
  assert.equal(xwPeer?.signingKeyFingerprint, fresh.fingerprint, 'XA pinned the Worker\'s new key on its own');
  assert.equal(xwPeer?.status, 'active');
  const rotatedEntries = await api(s.xa, s.xa.tokens.dpo, 'GET', '/v1/audit/entries?type=peers.key_rotated');
  assert.equal(rotatedEntries.json.entries.length, 1, 'XA audited the re-pin');

  step('the rotated Worker searches the Node peer with its new key');
  const s7 = await api(s.xw, s.xwTokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } } });
  expectStatus(s7, 201, 'search from the rotated Worker');
  assert.equal(s7.json.results[0].status, 'hit', JSON.stringify(s7.json.results[0]));
  const verified = await api(s.xw, s.dpoToken, 'POST', '/v1/audit/verify');
  assert.equal(verified.json.ok, true, `the Worker's log verifies over both keys: ${JSON.stringify(verified.json)}`);
  const rotation = await api(s.xw, s.dpoToken, 'GET', '/v1/audit/entries?type=keys.rotate');
  assert.equal(rotation.json.entries.length, 1, 'the Worker recorded the rotation from its secrets once');
}

/**
 * OPRF key rotation on the Worker (PROTOCOL.md §38), keys from secrets: the
 * next key is the CAIRN_OPRF_KEY_NEXT secret; rotate, re-import into the
 * pending epoch over the bulk import API, activate; the Node node follows
 * the Worker's new key through its signed descriptor and finds the record
 * again, and the Worker's descriptor carries the key of the secret.
 */
async function rotateWorkerOprfKey(xa: FedNode, xw: { url: string }, xwTokens: { operator: string; analyst: string }, nextOprfKey: string): Promise<void> {
  step('OPRF key rotation on the Worker: rotate to the CAIRN_OPRF_KEY_NEXT secret, re-import, activate');
  const rec = record('XW-MC-9', 'missing_child', { names: [{ given: 'Lina', family: 'Epochova' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } });
  const who = { names: [{ given: 'Lina', family: 'Epochova' }], dateOfBirth: { precision: 'day', date: '2014-05-06' } };
  expectStatus(await api(xw, xwTokens.analyst, 'POST', '/v1/records', { records: [rec] }), 200, 'a record to find across the rotation');
  const findIt = async (what: string) => {
    for (let i = 0; ; i++) {
      const r = await api(xa, xa.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: who });
      expectStatus(r, 201, what);
      const res = r.json.results[0];
      if (res.status === 'hit') return res;
      // Only while the replica of the new epoch is transferred; never a no-hit.
      assert.equal(res.status, 'index_syncing', `${what}: ${JSON.stringify(res)}`);
      if (i >= 30) throw new Error(`${what}: still syncing`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  await findIt('found before the rotation');
  const rotated = await api(xw, xwTokens.operator, 'POST', '/v1/keys/oprf/rotate');
  expectStatus(rotated, 200, 'rotate on the Worker');
  assert.equal(rotated.json.pending.epoch, 2);
  assert.equal(rotated.json.pending.keyId, keyIdOf(oprfPublicKey(fromHex(nextOprfKey))), 'the pending epoch is the CAIRN_OPRF_KEY_NEXT secret');
  const stats = await api(xw, xwTokens.analyst, 'GET', '/v1/records/stats');
  const lines = [rec, record('XW-S-1', 'suspect', { names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } })];
  const chunk = await fetch(`${xw.url}/v1/imports/rotation-epoch-2/chunks/0?epoch=next`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${xwTokens.operator}`, 'content-type': 'application/x-ndjson' },
    body: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`,
  });
  assert.equal(chunk.status, 200, `re-import into the pending epoch: ${await chunk.clone().text()}`);
  const state = await api(xw, xwTokens.operator, 'GET', '/v1/keys/oprf');
  assert.equal(state.json.missing, 0, `every served record is in the pending epoch: ${JSON.stringify(state.json)}`);
  await findIt('still found under epoch 1 while epoch 2 is pending');
  const activated = await api(xw, xwTokens.operator, 'POST', '/v1/keys/oprf/activate', {});
  expectStatus(activated, 200, 'activate on the Worker');
  assert.equal(activated.json.epoch, 2);
  assert.equal(activated.json.records, stats.json.records);
  assert.match(activated.json.operatorAction ?? '', /CAIRN_OPRF_KEY_NEXT/, 'the Worker says which secret the operator must still delete');
  const descriptor = await (await fetch(`${xw.url}/.well-known/cairn/node`)).json() as { payload: string };
  const payload = JSON.parse(Buffer.from(descriptor.payload, 'base64').toString('utf8')) as { oprfKey: { epoch?: number; publicKey: string } };
  assert.equal(payload.oprfKey.epoch, 2);
  assert.equal(payload.oprfKey.publicKey, toBase64Url(oprfPublicKey(fromHex(nextOprfKey))));
  const after = await findIt('found again under epoch 2 (the Node node followed the new key)');
  assert.equal(after.confirmation, 'confirmed', JSON.stringify(after));
  const peers = await api(xa, xa.tokens.operator, 'GET', '/v1/peers');
  const xwPeer = peers.json.peers.find((p: { country: string }) => p.country === 'XW');
  assert.ok(xwPeer, 'XA lists the Worker');
}

/** One row of a query on the Worker's local D1 (wrangler d1 execute --json). */
function d1Row(persistTo: string, query: string): Record<string, number> {
  const r = spawnSync(process.execPath, [WRANGLER, 'd1', 'execute', D1_DATABASE, '--local', '--persist-to', persistTo, '--json', '--command', query], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `wrangler d1 execute: ${r.stdout}\n${r.stderr}`);
  return (JSON.parse(r.stdout) as { results: Record<string, number>[] }[])[0]!.results[0]!;
}

/**
 * 16 concurrent, correctly signed match requests from XA against the
 * Worker's daily budget, then against its rate: the reservations in D1
 * batches let exactly as many through as the policy allows.
 */
async function budgetAndRateHold(xwUrl: string, desc: { signingKey: { keyId: string } }, signer: ReturnType<typeof ed25519Signer>, operator: string, persistTo: string): Promise<void> {
  const concurrent = 16;
  const size = 8; // cairn/2 pads a request to 8, 16, 32 or 64 elements
  let n = 0;
  const element = () => toBase64Url(blind(webRandom.bytes(16)).blindedElement);
  const matchOnce = async (elements: number, attempt = 0): Promise<{ status: number; code: string | undefined }> => {
    const body = new TextEncoder().encode(JSON.stringify({ ...CONTEXT, searchId: `budget-${n++}`, replicaVersions: {}, blindedElements: Array.from({ length: elements }, element) }));
    const { request } = buildSignedRequest({ method: 'POST', url: `${xwUrl}${FEDERATION.prefix}/match`, body, signer, recipientKeyId: desc.signingKey.keyId, clock: systemClock, random: webRandom, headers: { 'content-type': FEDERATION.mediaType } });
    let res: Response;
    try {
      res = await fetch(request);
    } catch (e) {
      // A pooled keep-alive socket the server closed while a synchronous
      // wrangler call held the event loop: the request never reached the
      // Worker (nothing counted), so send it once more, freshly signed.
      const code = (e as { cause?: { code?: string } }).cause?.code;
      if (attempt === 0 && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET')) return matchOnce(elements, 1);
      throw e;
    }
    const text = await res.text();
    // wrangler dev's proxy answers this when the local Worker process restarted while the request was in
    // flight (it retries only GET and HEAD itself): the Worker gave no answer, so send it once more, freshly signed.
    if (res.status === 503 && text.startsWith('Your worker restarted mid-request') && attempt === 0) {
      await new Promise((r) => setTimeout(r, 1000));
      return matchOnce(elements, 1);
    }
    try {
      return { status: res.status, code: (JSON.parse(text) as { code?: string }).code };
    } catch {
      throw new Error(`match request: ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  };
  const usage = () => d1Row(persistTo, "select coalesce(sum(elements), 0) as elements from peer_usage").elements!;
  const setPolicy = async (ratePerMinute: number, dailyElementBudget: number) =>
    expectStatus(await api({ url: xwUrl }, operator, 'PUT', '/v1/peers/XA/policy', { ...POLICY, ratePerMinute, dailyElementBudget }), 200, 'policy for XA');
  const awayFromMinuteEdge = async () => {
    while (60 - new Date().getUTCSeconds() < 20) await new Promise((r) => setTimeout(r, 250));
  };

  step(`${concurrent} concurrent match requests against the Worker's daily budget (D1)`);
  const before = usage();
  await setPolicy(10_000, before + 6 * size + 2);
  const byBudget = await Promise.all(Array.from({ length: concurrent }, () => matchOnce(size)));
  assert.equal(byBudget.filter((r) => r.status === 200).length, 6, `exactly 6 fit the budget: ${JSON.stringify(byBudget)}`);
  assert.ok(byBudget.every((r) => r.status === 200 || r.code === 'budget_exceeded'), JSON.stringify(byBudget));
  assert.equal(usage() - before, 6 * size, 'D1 counted only the evaluated elements');

  step(`${concurrent} concurrent match requests against the Worker's rate (D1)`);
  await awayFromMinuteEdge();
  const minute = Math.floor(Date.now() / 60_000);
  const counted = d1Row(persistTo, `select coalesce(sum(requests), 0) as n from peer_rate where minute = ${minute}`).n!;
  // Let the event loop see sockets the server closed during that synchronous call.
  await new Promise((r) => setTimeout(r, 100));
  await setPolicy(counted + 3, 1_000_000);
  const byRate = await Promise.all(Array.from({ length: concurrent }, () => matchOnce(size)));
  assert.equal(byRate.filter((r) => r.status === 200).length, 3, `exactly 3 fit the rate: ${JSON.stringify(byRate)}`);
  assert.ok(byRate.every((r) => r.status === 200 || r.code === 'rate_limited'), JSON.stringify(byRate));
  await setPolicy(60, 10_000);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cairn-workers-'));
  const started: Started = { stops: [] };
  let stopping: Promise<void> | undefined;
  const cleanup = () =>
    (stopping ??= (async () => {
      await Promise.allSettled(started.stops.map((stop) => stop()));
      rmSync(root, { recursive: true, force: true });
    })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping\n`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  let failure: unknown;
  try {
    await run(root, started);
  } catch (e) {
    failure = e;
  }
  if (failure !== undefined && started.worker) process.stderr.write(`\n--- wrangler dev output ---\n${started.worker.log()}\n`);
  await cleanup();
  if (failure !== undefined) {
    process.stderr.write(`\ntest:workers FAILED after ${((Date.now() - t0) / 1000).toFixed(1)}s\n${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}\n`);
    process.exit(1);
  }
  step('test:workers passed: a Workers node and a Node node found each other\'s records');
}

await main();
