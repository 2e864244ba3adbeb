/**
 * `npm run demo`: a three-country Cairn federation on loopback.
 *
 * Starts three nodes (Arcadia XA, Borduria XB, Carpania XC), each with its
 * own home, SQLite database and keys; registers them as each other's peers
 * (fingerprints pinned) with a purpose-by-category policy; imports
 * fictitious records; prints URLs and tokens; runs sample searches (a hit
 * with its signed receipt, a possible hit, a no-hit) and verifies every
 * audit log. Ctrl-C stops everything. `--once` exits after the walkthrough.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { demoRecords, DEMO_POLICY } from './lib/demo-data.js';
import { api, cli, startFederation, untilReplicasReady, type FedNode } from './lib/federation.js';

const once = process.argv.includes('--once');
const keep = process.argv.includes('--keep');
const BACKGROUND = Number(process.env.DEMO_BACKGROUND ?? 300);

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (s = '') => process.stdout.write(`${s}\n`);

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function pickPorts(): Promise<number[]> {
  const preferred = [8701, 8702, 8703];
  if ((await Promise.all(preferred.map(portFree))).every(Boolean)) return preferred;
  const out: number[] = [];
  for (let p = 18700; out.length < 3 && p < 19700; p++) if (await portFree(p)) out.push(p);
  return out;
}

function receiptLine(env: { payload: string }): string {
  const r = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
  return `receipt ${r.receiptId} signed by ${r.issuer.country}: record ${r.record.ref} (${r.record.category}), ${r.record.owningUnit}, contact ${r.record.contactPoint}`;
}

function showSearch(title: string, s: { id: string; keyTypes: string[]; results: any[] }): void {
  say(bold(`\n${title}`));
  say(`  search ${s.id} — match keys derived: ${s.keyTypes.join(', ')} (they stay here: each peer gets only blinded elements, padded to 8/16/32/64)`);
  for (const r of s.results) {
    const head = `  ${r.peer.country} ${r.peer.name}: ${r.status.toUpperCase().replace('_', '-')}`;
    if (r.status === 'hit') {
      say(`${head} (${r.strength}, via ${r.keyTypes.join(', ')}; ${r.confirmation.replace('_', ' ')})`);
      for (const env of r.receipts ?? []) say(`      ${receiptLine(env)}`);
    } else if (r.status === 'index_syncing') say(`${head} — our copy of its index is still syncing: not a no-hit`);
    else if (r.error) say(`${head} — ${r.error.code}`);
    else say(head);
  }
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'cairn-demo-'));
  const ports = await pickPorts();
  if (ports.length < 3) throw new Error('no three free loopback ports found');
  let nodes: FedNode[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping the demo nodes…');
    await Promise.all(nodes.map((n) => n.stop()));
    if (!keep) rmSync(root, { recursive: true, force: true });
    else say(`node homes kept in ${root}`);
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));

  say(bold('Cairn demo: three fictitious countries on loopback'));
  say(`  node homes (config, SQLite, keys with mode 0600) under ${root}`);
  nodes = await startFederation(
    root,
    [
      { country: 'XA', name: 'Arcadia National Police', port: ports[0]! },
      { country: 'XB', name: 'Borduria Child Protection', port: ports[1]! },
      { country: 'XC', name: 'Carpania Border Police', port: ports[2]! },
    ],
    DEMO_POLICY,
  );
  started = nodes;
  const [xa, xb, xc] = nodes as [FedNode, FedNode, FedNode];
  say('  registered each node as a peer of the others, fingerprints pinned; policy: purpose → categories');

  for (const n of nodes) {
    const file = join(root, `${n.country}-records.ndjson`);
    writeFileSync(file, demoRecords(n.country as 'XA' | 'XB' | 'XC', BACKGROUND).map((r) => JSON.stringify(r)).join('\n') + '\n');
    // The node is serving, so it stays the only writer: the import goes through its API (bulk import over HTTP).
    const s = JSON.parse(cli(['import', file, '--node', n.url, '--token', n.tokens.operator, '--json']));
    say(`  ${n.country}: imported ${s.imported} records over the node's API (raw identifiers are not stored)`);
    rmSync(file);
  }

  // Each node matches against its copies of the others' token indexes: wait until they are in sync.
  for (const n of nodes) await untilReplicasReady(n);
  say('  each node holds a verified copy of the others\' token indexes (fingerprints of OPRF tokens under their keys: no use without them)');

  say(bold('\nNodes'));
  for (const n of nodes) {
    say(`  ${n.country} ${n.name}  ${n.url}`);
    say(`     descriptor ${n.url}/.well-known/cairn/node   console ${n.url}/console`);
    say(`     analyst token ${n.tokens.analyst}`);
    say(`     DPO token     ${n.tokens.dpo}`);
  }

  const ctx = { legalBasis: 'Demo: Art. 7 Child Protection (Cross-Border Cooperation) Act', purpose: 'missing_child_tracing' };
  const s1 = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
    ...ctx,
    caseReference: 'XB-2026-DEMO-1',
    identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } },
  });
  showSearch('1. Borduria searches for "Olena Shevchenko, 12 April 2013" (Arcadia registered her in Cyrillic)', s1.json);

  const s2 = await api(xc, xc.tokens.analyst, 'POST', '/v1/searches', {
    ...ctx,
    caseReference: 'XC-2026-DEMO-2',
    identifiers: { names: [{ given: 'Youssef', family: 'Hadad' }], dateOfBirth: { precision: 'estimated', date: '2011', plusMinusYears: 1 } },
  });
  showSearch('2. Carpania searches for the boy found at the station, "Youssef Hadad, about 2011"', s2.json);
  const possible = s2.json.results.find((r: { confirmation?: string }) => r.confirmation === 'awaiting_analyst');
  if (possible) {
    const c = await api(xc, xc.tokens.analyst, 'POST', `/v1/searches/${s2.json.id}/confirm`, {
      peer: possible.peer.country,
      justification: 'Same first name and family name in another spelling; age fits; found 40 km from the reception centre.',
    });
    showSearch('   the analyst confirms the possible hit with a justification', c.json);
  }

  const s3 = await api(xa, xa.tokens.analyst, 'POST', '/v1/searches', {
    ...ctx,
    caseReference: 'XA-2026-DEMO-3',
    identifiers: { names: [{ given: 'Ingrid', family: 'Sørensen' }], dateOfBirth: { precision: 'day', date: '2014-08-30' } },
  });
  showSearch('3. Arcadia searches for a child nobody has registered', s3.json);

  const s4 = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
    ...ctx,
    purpose: 'victim_identification',
    caseReference: 'XB-2026-DEMO-4',
    identifiers: { handles: [{ platform: 'telegram', handle: '@vm_1979' }] },
  });
  showSearch('4. Borduria looks for an online handle for victim identification: offenders are not in that purpose\'s categories', s4.json);

  say(bold('\nAudit logs'));
  for (const n of nodes) {
    // `audit verify` says the verdict, then what no checkpoint covers yet: one line each, folded into one here.
    const out = cli(['audit', 'verify', '--home', n.home]).trim().split('\n').join('; ');
    const cp = cli(['audit', 'checkpoint', '--home', n.home]).split('\n');
    say(`  ${n.country}: ${out}; checkpoint "${cp[0]}" size ${cp[1]}`);
  }
  const incoming = await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming');
  say(`  XA's owning units see ${incoming.json.hits.length} disclosure(s) of their records, e.g. ${incoming.json.hits[0]?.record.ref} to ${incoming.json.hits[0]?.peer.country} for case ${incoming.json.hits[0]?.caseReference}`);

  if (once) return stop(0);
  say(bold('\nThe federation keeps running. Try the console or the API with the tokens above. Ctrl-C stops everything.'));
  await new Promise(() => {});
}

let started: FedNode[] = [];
main().catch((e: unknown) => {
  console.error(`demo failed: ${e instanceof Error ? `${e.message}${e.cause ? ` (${String(e.cause)})` : ""}` : String(e)}`);
  for (const n of started) if (n.child.exitCode !== null) console.error(`node ${n.country} exited (${n.child.exitCode}); its log:\n${n.log()}`);
  for (const n of started) n.child.kill('SIGTERM');
  process.exit(1);
});
