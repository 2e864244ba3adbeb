/**
 * Three real nodes on loopback (separate processes, SQLite files and keys)
 * searching each other over real HTTP.
 */
import { spawnSync } from 'node:child_process';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, startFederation, untilReplicasReady, type FedNode } from '../scripts/lib/federation.js';
import { BIN, freePort, ROOT, tempDir } from './helpers/cli.js';

const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const POLICY = {
  missing_child_tracing: ['missing_child', 'unaccompanied_minor', 'child_at_risk'],
  victim_identification: ['identified_victim', 'missing_child'],
};
const CONTEXT = { purpose: 'missing_child_tracing', legalBasis: 'Art. 12 Child Protection Act (test)', caseReference: 'CASE-2026-0042' };

function record(ref: string, category: string, identifiers: unknown) {
  return { ref, category, owningUnit: 'Missing children unit', contactPoint: `desk-${ref}@police.example`, recordDate: '2026-01-15', retentionUntil: '2036-01-01', identifiers };
}

describe('federation across three nodes', () => {
  const t = tempDir('cairn-fed-');
  let xa: FedNode;
  let xb: FedNode;
  let xc: FedNode;
  let nodes: FedNode[];

  beforeAll(async () => {
    const ports = [await freePort(), await freePort(), await freePort()];
    nodes = await startFederation(
      t.dir,
      [
        { country: 'XA', name: 'Arcadia child protection', port: ports[0]! },
        { country: 'XB', name: 'Borduria police', port: ports[1]! },
        { country: 'XC', name: 'Carpania police', port: ports[2]! },
      ],
      POLICY,
      // Debug logging: the last test checks that even then no identifier reaches a log.
      { CAIRN_LOG_LEVEL: 'debug' },
    );
    [xa, xb, xc] = nodes as [FedNode, FedNode, FedNode];
    // XA registered Olena (written in Cyrillic) as missing; XC holds an unrelated child and a suspect.
    const a = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [
        record('XA-MC-1', 'missing_child', { names: [{ given: 'Олена', family: 'Шевченко' }], dateOfBirth: { precision: 'day', date: '2013-04-12' }, phones: [{ number: '+380501234567' }] }),
        record('XA-UM-7', 'unaccompanied_minor', { names: [{ given: 'Yusuf', family: 'Haddad' }], dateOfBirth: { precision: 'year', date: '2011' } }),
      ],
    });
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    const c = await api(xc, xc.tokens.analyst, 'POST', '/v1/records', {
      records: [
        record('XC-1', 'missing_child', { names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } }),
        record('XC-S-9', 'suspect', { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } }),
      ],
    });
    expect(c.status).toBe(200);
    // XB's copies of XA's and XC's indexes: synced once, then kept in step by the deltas of every answer.
    expect(await untilReplicasReady(xb)).toEqual([expect.objectContaining({ status: 'no_hit' }), expect.objectContaining({ status: 'no_hit' })]);
  });

  afterAll(async () => {
    await Promise.all((nodes ?? []).map((n) => n.stop()));
    t.cleanup();
  });

  it('finds a child registered in another script, with a signed receipt, and reports no-hit elsewhere', async () => {
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
      ...CONTEXT,
      identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } },
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const byCountry = Object.fromEntries(r.json.results.map((x: { peer: { country: string } }) => [x.peer.country, x]));
    expect(byCountry.XA).toMatchObject({ status: 'hit', strength: 'probable', confirmation: 'confirmed' });
    expect(byCountry.XA.keyTypes).toContain('phoneticPairDob');
    // XC holds the same name and date, but as a suspect: the purpose may not match that category.
    expect(byCountry.XC).toMatchObject({ status: 'no_hit' });
    expect(byCountry.XA.receipts).toHaveLength(1);
    const env = byCountry.XA.receipts[0];
    const payload = Buffer.from(env.payload, 'base64');
    const receipt = JSON.parse(payload.toString('utf8'));
    expect(receipt).toMatchObject({ issuer: { country: 'XA' }, requester: { country: 'XB' }, caseReference: CONTEXT.caseReference, record: { ref: 'XA-MC-1', category: 'missing_child', contactPoint: 'desk-XA-MC-1@police.example' } });
    expect(JSON.stringify(receipt)).not.toMatch(/Olena|Шевченко|380501234567/);
    // The receipt verifies with XA's descriptor key, using node:crypto.
    const desc = JSON.parse(Buffer.from((await (await fetch(`${xa.url}/.well-known/cairn/node`)).json()).payload, 'base64').toString('utf8'));
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, Buffer.from(desc.signingKey.publicKey, 'base64url')]), format: 'der', type: 'spki' });
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${env.payloadType.length} ${env.payloadType} ${payload.length} `), payload]);
    expect(verify(null, pae, key, Buffer.from(env.signatures[0].sig, 'base64'))).toBe(true);

    const stored = await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${r.json.id}`);
    expect(stored.json.results).toEqual(r.json.results);
    // The owning unit at XA sees the disclosure.
    const metricsB = await (await fetch(`${xb.url}/metrics`)).text();
    expect(metricsB).toMatch(/cairn_search_peer_outcomes_total\{outcome="hit",path="api",peer="XA"\} [1-9]/);
    const metricsA = await (await fetch(`${xa.url}/metrics`)).text();
    expect(metricsA).toMatch(/cairn_federation_answers_total\{code="ok",route="\/federation\/v2\/match"\} [1-9]/);
    // Each answered match query was evaluated once, on the main thread when it was alone at XA, else on the worker.
    const count = (re: RegExp) => Number(re.exec(metricsA)?.[1] ?? 0);
    const answered = count(/cairn_federation_answers_total\{code="ok",route="\/federation\/v2\/match"\} (\d+)/);
    expect(count(/cairn_oprf_batches_total\{thread="main"\} (\d+)/) + count(/cairn_oprf_batches_total\{thread="worker"\} (\d+)/)).toBe(answered);
    const incoming = await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming');
    expect(incoming.json.hits[0]).toMatchObject({ peer: { country: 'XB' }, record: { ref: 'XA-MC-1' }, caseReference: CONTEXT.caseReference, searchId: r.json.id });
  });

  it('meets a single name, whatever placeholder a register wrote for the unknown family name, at possible strength and only on the same day', async () => {
    const dob = { precision: 'day', date: '2011-06-21' };
    // XA knows the boy by one name: its register wrote LNU where it did not know his family name.
    const a = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [record('XA-UM-9', 'unaccompanied_minor', { names: [{ given: 'Ahmad', family: 'LNU' }], dateOfBirth: dob })],
    });
    expect(a.json, JSON.stringify(a.json)).toMatchObject({ imported: 1, rejected: 0 });
    const search = (names: unknown[], date = dob) => api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names, dateOfBirth: date }, peers: ['XA'] });
    // XB's register has him as FNU Ahmed: another placeholder, another spelling, one name.
    const found = await search([{ given: 'FNU', family: 'Ahmed' }]);
    expect(found.status, JSON.stringify(found.json)).toBe(201);
    expect(found.json.keyTypes).toEqual(['phoneticSingleDob']);
    expect(found.json.results[0]).toMatchObject({ status: 'hit', strength: 'possible', keyTypes: ['phoneticSingleDob'], confirmation: 'awaiting_analyst' });
    // Ahmad Lina born that day is another child: LNU is no family name to pair with (it was, before 10.2 step 7a).
    expect((await search([{ given: 'Ahmad', family: 'Lina' }])).json.results[0]).toMatchObject({ status: 'no_hit' });
    // Nor does a full name meet a single one, nor the same single name born another day.
    expect((await search([{ given: 'Ahmad', family: 'Rahimi' }])).json.results[0]).toMatchObject({ status: 'no_hit' });
    expect((await search([{ given: 'Ahmad' }], { precision: 'day', date: '2011-06-22' })).json.results[0]).toMatchObject({ status: 'no_hit' });
  });

  it('meets an exact date of birth from an estimated one at possible strength, and never another exact date of that year', async () => {
    // XA-MC-1 was born 2013-04-12: its record stores the year of that exact date (0x23), which only a search with an estimate asks.
    const olena = [{ given: 'Olena', family: 'Shevchenko' }];
    const estimated = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: olena, dateOfBirth: { precision: 'estimated', date: '2014', plusMinusYears: 1 } }, peers: ['XA'] });
    expect(estimated.status, JSON.stringify(estimated.json)).toBe(201);
    expect(estimated.json.keyTypes).toEqual(['phoneticPairExactYear', 'phoneticPairYear']);
    expect(estimated.json.results[0]).toMatchObject({ status: 'hit', strength: 'possible', keyTypes: ['phoneticPairExactYear'], confirmation: 'awaiting_analyst' });
    // Another exact date of 2013 (a day over 12, so no swap) is another child: not even a possible hit.
    const exact = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: olena, dateOfBirth: { precision: 'day', date: '2013-09-30' } }, peers: ['XA'] });
    expect(exact.status, JSON.stringify(exact.json)).toBe(201);
    expect(exact.json.results[0]).toMatchObject({ status: 'no_hit' });
    // Day and month swapped is the one exception: the unordered date meets it.
    const swapped = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: olena, dateOfBirth: { precision: 'day', date: '2013-12-04' } }, peers: ['XA'] });
    expect(swapped.json.results[0]).toMatchObject({ status: 'hit', strength: 'possible', keyTypes: ['phoneticPairDobUnordered'], confirmation: 'awaiting_analyst' });
  });

  it('confirms a possible hit only when the analyst asks, with a recorded justification', async () => {
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
      ...CONTEXT,
      identifiers: { names: [{ given: 'Yousef', family: 'Hadad' }], dateOfBirth: { precision: 'year', date: '2011' } },
      peers: ['XA'],
    });
    expect(r.status).toBe(201);
    expect(r.json.results[0]).toMatchObject({ status: 'hit', strength: 'possible', confirmation: 'awaiting_analyst' });
    expect(r.json.results[0].receipts).toBeUndefined();
    // How many records wait: one token, naming one record at XA.
    expect(r.json.results[0].awaiting).toEqual({ tokens: 1, records: { atLeast: 1, atMost: 1 } });
    const before = (await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming')).json.hits.length;
    const missing = await api(xb, xb.tokens.analyst, 'POST', `/v1/searches/${r.json.id}/confirm`, { peer: 'XA' });
    expect(missing.status).toBe(400);
    expect(missing.json.field).toBe('justification');
    const ok = await api(xb, xb.tokens.analyst, 'POST', `/v1/searches/${r.json.id}/confirm`, { peer: 'XA', justification: 'Same reception centre, same age; caseworker asks for follow-up.' });
    expect(ok.status, JSON.stringify(ok.json)).toBe(200);
    expect(ok.json.results[0]).toMatchObject({ confirmation: 'confirmed', records: [{ strength: 'possible', keyType: 'phoneticPairYear', receipt: { record: { ref: 'XA-UM-7' } } }] });
    expect(ok.json.results[0].awaiting).toBeUndefined();
    const receipt = JSON.parse(Buffer.from(ok.json.results[0].receipts[0].payload, 'base64').toString('utf8'));
    expect(receipt.record.ref).toBe('XA-UM-7');
    const after = (await api(xa, xa.tokens.analyst, 'GET', '/v1/hits/incoming')).json.hits;
    expect(after.length).toBe(before + 1);
    expect(after[0].justification).toMatch(/reception centre/);
  });

  it('confirms and lists every record of one person at a peer, each with the strength of its own best key', async () => {
    // XA holds one child twice: a missing-child record with her passport, and
    // an unaccompanied-minor record written in Dari script without it.
    const dob = { precision: 'day', date: '2012-05-19' };
    const passport = { type: 'passport', issuingCountry: 'AF', number: 'P1234567' };
    const a = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
      records: [
        record('XA-MC-2', 'missing_child', { names: [{ given: 'Hamid', family: 'Karimi' }], dateOfBirth: dob, documents: [passport] }),
        record('XA-UM-8', 'unaccompanied_minor', { names: [{ given: 'حمید', family: 'کریمی' }], dateOfBirth: dob }),
      ],
    });
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
      ...CONTEXT,
      identifiers: { names: [{ given: 'Hameed', family: 'Karimy' }], dateOfBirth: dob, documents: [passport] },
      peers: ['XA'],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const xaResult = r.json.results[0];
    expect(xaResult).toMatchObject({ peer: { country: 'XA' }, status: 'hit', strength: 'strong', confirmation: 'confirmed' });
    // Both records, strongest first, each with its own best key; one signed receipt each beside the decoded ones.
    expect(xaResult.records.map((x: { strength: string; keyType: string; receipt: { record: { ref: string } } }) => [x.receipt.record.ref, x.strength, x.keyType])).toEqual([
      ['XA-MC-2', 'strong', 'document'],
      ['XA-UM-8', 'probable', 'phoneticPairDob'],
    ]);
    expect(xaResult.receipts).toHaveLength(2);
    const decoded = xaResult.receipts.map((env: { payload: string }) => JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')));
    expect(decoded.map((x: { receiptId: string }) => x.receiptId).sort()).toEqual(xaResult.records.map((x: { receipt: { receiptId: string } }) => x.receipt.receiptId).sort());
    expect(xaResult.records[1].receipt).toMatchObject({ issuer: { country: 'XA' }, requester: { country: 'XB' }, searchId: r.json.id, record: { category: 'unaccompanied_minor', contactPoint: 'desk-XA-UM-8@police.example' } });
    expect((await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${r.json.id}`)).json.results).toEqual(r.json.results);
  });

  it('tells the analyst how many records under a confirmed key the peer did not disclose, beyond the 20 one confirmation may', async () => {
    // 23 records at XA share one passport (one person registered again and again, say by several units).
    const passport = { type: 'passport', issuingCountry: 'MD', number: 'B0232323' };
    const many = Array.from({ length: 23 }, (_, i) => record(`XA-MC-P${String(i).padStart(2, '0')}`, 'missing_child', { names: [{ given: 'Ana', family: 'Rusu' }], documents: [passport] }));
    expect((await api(xa, xa.tokens.analyst, 'POST', '/v1/records', { records: many })).status).toBe(200);
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { documents: [passport] }, peers: ['XA'] });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const xaResult = r.json.results[0];
    expect(xaResult).toMatchObject({ status: 'hit', strength: 'strong', confirmation: 'confirmed', undisclosed: 3 });
    expect(xaResult.receipts).toHaveLength(20);
    expect(new Set(xaResult.records.map((x: { receipt: { record: { ref: string } } }) => x.receipt.record.ref)).size).toBe(20);
    // Stored with the search, and in the searcher's log entry for the DPO.
    expect((await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${r.json.id}`)).json.results[0]).toMatchObject({ undisclosed: 3 });
    const log = new Database(join(xb.home, 'cairn.db'), { readonly: true });
    try {
      const entry = log.prepare("select entry from audit_entries where type = 'search.outgoing' and entry like ?").get(`%${r.json.id}%`) as { entry: string } | undefined;
      expect(JSON.parse(entry!.entry).data.peers[0]).toMatchObject({ receipts: 20, undisclosed: 3 });
    } finally {
      log.close();
    }
    // The command line says so too (its --document reading the country as written off a passport: MDA is MD).
    const out = cli(['search', '--home', xb.home, '--purpose', 'missing_child_tracing', '--legal-basis', 'Art. 12', '--case', 'CLI-2', '--document', 'Passport:mda:B0232323', '--peer', 'XA']);
    expect(out).toContain('3 more records under the same key not disclosed (a confirmation discloses at most 20): ask the contact point');
  });

  it('explains that a possible hit stored under cairn/1 must be searched again', async () => {
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
      ...CONTEXT,
      identifiers: { names: [{ given: 'Yousef', family: 'Hadad' }], dateOfBirth: { precision: 'year', date: '2011' } },
      peers: ['XA'],
    });
    expect(r.json.results[0]).toMatchObject({ confirmation: 'awaiting_analyst' });
    // Rewrite the pending material as a cairn/1 node stored it: key type, bucket, digest and confirmation bytes.
    const db = new Database(join(xb.home, 'cairn.db'));
    const row = db.prepare('select rowid, pending from search_results where search_id = ?').get(r.json.id) as { rowid: number; pending: string };
    const old = (JSON.parse(row.pending) as Record<string, unknown>[]).map(({ keyType, strength, confirm }) => ({ keyType, strength, confirm, bucket: 48213, digest: 'AAAAAAAAAAAAAAAAAAAAAA' }));
    db.prepare('update search_results set pending = ? where rowid = ?').run(JSON.stringify(old), row.rowid);
    db.close();
    const res = await api(xb, xb.tokens.analyst, 'POST', `/v1/searches/${r.json.id}/confirm`, { peer: 'XA', justification: 'Follow-up requested by the caseworker.' });
    expect([res.status, res.json.code, res.json.field]).toEqual([400, 'invalid_request', 'peer']);
    expect(res.json.detail).toMatch(/cairn\/1.*run search s_[0-9a-f]+ again/);
  });

  it('reports a purpose the policy denies as an error from that peer, never as a no-hit', async () => {
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
      ...CONTEXT,
      purpose: 'criminal_investigation',
      identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } },
    });
    expect(r.status).toBe(201);
    for (const res of r.json.results) expect(res).toMatchObject({ status: 'error', error: { code: 'purpose_denied' } });
  });

  it('refuses searches without purpose, legal basis or case reference, naming the field', async () => {
    const ids = { names: [{ given: 'A', family: 'B' }], dateOfBirth: { precision: 'day', date: '2010-01-02' } };
    for (const field of ['purpose', 'legalBasis', 'caseReference'] as const) {
      const body: Record<string, unknown> = { ...CONTEXT, identifiers: ids };
      delete body[field];
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', body);
      expect(r.status).toBe(400);
      expect(r.json.field).toBe(field);
    }
    const bad = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: '' }] } });
    expect(bad.status).toBe(422);
  });

  it('refuses to store or search identifiers that give no match key, and says what would give one', async () => {
    // Valid identifiers, but one word of name (LNU is a register saying it did not know the family
    // name) and a 1 January placeholder for a date: no key a search or a record could ever meet on.
    const ids = { names: [{ given: 'Olena', family: 'LNU' }], dateOfBirth: { precision: 'day', date: '2013-01-01' } };
    const before = (await api(xb, xb.tokens.analyst, 'GET', '/v1/searches')).json;
    const s = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: ids });
    expect(s.status, JSON.stringify(s.json)).toBe(400);
    expect(s.json).toMatchObject({ code: 'invalid_request', field: 'identifiers' });
    expect(s.json.detail).toMatch(/give no match key: a name needs two or more words .* and a date of birth .*; the family name is a placeholder for an unknown name/);
    expect((await api(xb, xb.tokens.analyst, 'GET', '/v1/searches')).json).toEqual(before);

    const record = (ref: string, identifiers: unknown) => ({ ref, category: 'missing_child', owningUnit: 'Unit', contactPoint: 'desk@police.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers });
    const stats = async () => (await api(xb, xb.tokens.analyst, 'GET', '/v1/records/stats')).json;
    const held = await stats();
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/records', {
      records: [record('XB-KEYLESS-1', ids), record('XB-KEYLESS-2', { names: [{ given: 'Olena', family: 'Shevchenko' }] }), record('XB-KEYED-1', { ...ids, phones: [{ number: '+380501234567' }] })],
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ imported: 1, rejected: 2 });
    expect(r.json.errors.map((e: { row: number; ref: string; field: string }) => [e.row, e.ref, e.field])).toEqual([
      [1, 'XB-KEYLESS-1', 'identifiers'],
      [2, 'XB-KEYLESS-2', 'identifiers'],
    ]);
    expect(r.json.errors[0].reason).toMatch(/no peer could ever find this record/);
    expect((await stats()).records).toBe(held.records + 1);
  });

  it('refuses a listing\'s query parameter that is misspelt or out of range, naming it, instead of ignoring it', async () => {
    const get = (path: string) => api(xb, xb.tokens.analyst, 'GET', path);
    const refused: [string, string, RegExp][] = [
      ['/v1/searches?limit=abc', 'limit', /must be a whole number/],
      ['/v1/searches?limit=0', 'limit', /must be from 1 to 90/],
      ['/v1/searches?limit=91', 'limit', /must be from 1 to 90/],
      ['/v1/searches?case=XB-1', 'case', /unknown query parameter/],
      ['/v1/hits/incoming?limit=501', 'limit', /must be from 1 to 500/],
      ['/v1/hits/incoming?since=yesterday', 'since', /unknown query parameter/],
    ];
    for (const [path, field, why] of refused) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.json, path).toMatchObject({ code: 'invalid_request', field });
      expect(r.json.detail, path).toMatch(why);
    }
    // In range, the limit is kept: this federation's searcher has run more than two searches by now.
    const two = await get('/v1/searches?limit=2');
    expect(two.status).toBe(200);
    expect(two.json.searches).toHaveLength(2);
    expect((await get('/v1/hits/incoming?limit=500')).status).toBe(200);
  });

  it('refuses a search whose identifiers give more keys than one request holds, instead of asking only some of them', async () => {
    // 65 file digests: 65 strong keys, one more than a match request's 64 elements.
    const digests = Array.from({ length: 65 }, (_, i) => createHash('sha256').update(`file ${i}`).digest('hex'));
    const before = (await api(xb, xb.tokens.analyst, 'GET', '/v1/searches')).json;
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, purpose: 'victim_identification', identifiers: { fileSha256: digests } });
    expect(r.status, JSON.stringify(r.json)).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_request', field: 'identifiers' });
    expect(r.json.detail).toMatch(/65 match keys and one search asks at most 64/);
    // Nothing was stored, and 64 digests are searched as usual.
    expect((await api(xb, xb.tokens.analyst, 'GET', '/v1/searches')).json).toEqual(before);
    const ok = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, purpose: 'victim_identification', identifiers: { fileSha256: digests.slice(0, 64) } });
    expect(ok.status, JSON.stringify(ok.json)).toBe(201);
  });

  it('runs the same search from the command line', () => {
    const out = cli(['search', '--home', xb.home, '--purpose', 'missing_child_tracing', '--legal-basis', 'Art. 12', '--case', 'CLI-1', '--given', 'Olena', '--family', 'Shevchenko', '--dob', '2013-04-12', '--peer', 'XA']);
    expect(out).toMatch(/XA Arcadia child protection: HIT \(probable;/);
    expect(out).toContain('record XA-MC-1 (missing_child), contact desk-XA-MC-1@police.example');
  });

  it('reports a peer whose replica is missing as index_syncing, never as a no-hit, when it cannot wait; otherwise catches it up within the search', async () => {
    const xcId = (JSON.parse(cli(['peers', 'list', '--home', xb.home, '--json'])) as { id: string; country: string }[]).find((p) => p.country === 'XC')!.id;
    const dropReplicas = () => {
      const db = new Database(join(xb.home, 'cairn.db'));
      const ids = db.prepare('select id from replicas where peer_id = ?').all(xcId) as { id: number }[];
      expect(ids.length).toBeGreaterThan(0);
      for (const { id } of ids) {
        db.prepare('delete from replica_shards where replica_id = ?').run(id);
        db.prepare('delete from replica_groups where replica_id = ?').run(id);
        db.prepare('delete from replica_changes where replica_id = ?').run(id);
        db.prepare('delete from replicas where id = ?').run(id);
      }
      db.close();
    };
    const identifiers = { names: [{ given: 'Maria', family: 'Ionescu' }], dateOfBirth: { precision: 'day', date: '2012-02-02' } };
    // A search that may not wait for a replica (catch-up 0, from the command line) says so.
    dropReplicas();
    const args = ['search', '--home', xb.home, '--json', '--purpose', 'missing_child_tracing', '--legal-basis', 'Art. 12', '--case', 'SYNC-1', '--given', 'Maria', '--family', 'Ionescu', '--dob', '2012-02-02'];
    const run = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, CAIRN_FEDERATION_REPLICA_CATCH_UP_MS: '0' }, encoding: 'utf8', input: '' });
    expect(run.status, run.stderr).toBe(3);
    const printed = JSON.parse(run.stdout) as { results: { peer: { country: string }; status: string; error?: { code: string; detail: string } }[] };
    const by = Object.fromEntries(printed.results.map((x) => [x.peer.country, x]));
    expect(by.XC).toMatchObject({ status: 'index_syncing', error: { code: 'index_syncing' } });
    expect(by.XC!.error!.detail).toMatch(/XC's index missing_child/);
    expect(by.XA).toMatchObject({ status: 'no_hit' });
    // The serving node waits (replicaCatchUpMs): the answer finds the replica
    // missing, the search syncs it and looks the same fingerprints up again.
    dropReplicas();
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers, peers: ['XC'] });
    expect(r.json.results[0]).toMatchObject({ status: 'hit', strength: 'probable' });
    await untilReplicasReady(xb);
  });

  it('reports a peer whose replica fails its chain check as an error, never as a no-hit', async () => {
    const xcId = (JSON.parse(cli(['peers', 'list', '--home', xb.home, '--json'])) as { id: string; country: string }[]).find((p) => p.country === 'XC')!.id;
    // Our copy of XC's missing_child index is corrupted on disk (its change chain zeroed)...
    const db = new Database(join(xb.home, 'cairn.db'));
    const changed = db.prepare("update replicas set chain = zeroblob(32) where peer_id = ? and category = 'missing_child'").run(xcId);
    db.close();
    expect(changed.changes).toBe(1);
    // ...and XC changes its index, so the next answer carries a delta whose chain the replica must reach.
    const c = await api(xc, xc.tokens.analyst, 'POST', '/v1/records', { records: [record('XC-2', 'missing_child', { names: [{ given: 'Ion', family: 'Popa' }], dateOfBirth: { precision: 'day', date: '2011-03-03' } })] });
    expect(c.status).toBe(200);
    const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Ion', family: 'Popa' }], dateOfBirth: { precision: 'day', date: '2011-03-03' } }, peers: ['XC'] });
    expect(r.json.results[0]).toMatchObject({ status: 'error', error: { code: 'replica_invalid' } });
    expect(r.json.results[0].error.detail).toMatch(/missing_child: error/);
    const stored = await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${r.json.id}`);
    expect(stored.json.results[0].status).toBe('error');
  });

  it('reports a peer that hangs as a timeout and a stopped peer as an error, and still answers the others', async () => {
    const ids = { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } };
    // Freeze XC's process: it accepts connections but never answers.
    xc.child.kill('SIGSTOP');
    try {
      const t0 = Date.now();
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: ids });
      const by = Object.fromEntries(r.json.results.map((x: { peer: { country: string } }) => [x.peer.country, x]));
      expect(by.XC).toMatchObject({ status: 'timeout', error: { code: 'peer_timeout' } });
      expect(by.XA).toMatchObject({ status: 'hit' });
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      xc.child.kill('SIGCONT');
    }
  });

  it('keeps the receipts a peer gave when another confirmation of the same hit fails, so both logs agree', async () => {
    // A proxy in front of XA fails the first confirmation it sees and passes everything else on.
    const { createServer, request } = await import('node:http');
    let failed = 0;
    const proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/federation/v2/hits' && failed === 0) {
          failed++;
          res.writeHead(503, { 'content-type': 'application/problem+json' });
          res.end(JSON.stringify({ type: 'about:blank', title: 'Service Unavailable', status: 503, code: 'unavailable', detail: 'injected by the test' }));
          return;
        }
        const out = request({ host: '127.0.0.1', port: xa.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        out.on('error', () => res.destroy());
        out.end(Buffer.concat(chunks));
      });
    });
    const proxyPort = await freePort();
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    const db = new Database(join(xb.home, 'cairn.db'));
    const realUrl = (db.prepare("select base_url from peers where country = 'XA'").get() as { base_url: string }).base_url;
    db.prepare("update peers set base_url = ? where country = 'XA'").run(`http://127.0.0.1:${proxyPort}`);
    try {
      // A phone and a name: two confirmations go out at once, one per key type.
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
        ...CONTEXT,
        identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' }, phones: [{ number: '+380501234567' }] },
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      expect(failed).toBe(1);
      const atA = r.json.results.find((x: { peer: { country: string } }) => x.peer.country === 'XA');
      // The proxy's 503 is unsigned: its code is one a node answers before authentication, its text is not taken.
      expect(atA).toMatchObject({ status: 'hit', confirmation: 'failed', error: { code: 'unavailable' } });
      expect(atA.error.detail).not.toContain('injected by the test');
      // The other confirmation went through: XA disclosed the record and logged it, and so do we.
      expect(atA.receipts).toHaveLength(1);
      expect(atA.records.map((x: { receipt: { record: { ref: string } } }) => x.receipt.record.ref)).toEqual(['XA-MC-1']);
      const stored = await api(xb, xb.tokens.analyst, 'GET', `/v1/searches/${r.json.id}`);
      expect(stored.json.results.find((x: { peer: { country: string } }) => x.peer.country === 'XA').receipts).toHaveLength(1);
      const dbA = new Database(join(xa.home, 'cairn.db'), { readonly: true });
      const disclosed = (dbA.prepare("select entry from audit_entries where type = 'hit.confirm.incoming'").all() as { entry: string }[]).filter((e) => JSON.parse(e.entry).data.searchId === r.json.id);
      dbA.close();
      expect(disclosed).toHaveLength(1);
      // The hit still waits: confirmed again (the proxy now passes it on), the record is listed once.
      const again = await api(xb, xb.tokens.analyst, 'POST', `/v1/searches/${r.json.id}/confirm`, { peer: 'XA', justification: 'the first confirmation failed in transit' });
      expect(again.status, JSON.stringify(again.json)).toBe(200);
      const confirmed = again.json.results.find((x: { peer: { country: string } }) => x.peer.country === 'XA');
      expect(confirmed).toMatchObject({ status: 'hit', confirmation: 'confirmed' });
      expect(confirmed.records.map((x: { receipt: { record: { ref: string } } }) => x.receipt.record.ref)).toEqual(['XA-MC-1']);
      // XA was asked again only about the token that failed: the one it answered is not disclosed twice.
      const dbA2 = new Database(join(xa.home, 'cairn.db'), { readonly: true });
      const disclosures = (dbA2.prepare("select entry from audit_entries where type = 'hit.confirm.incoming'").all() as { entry: string }[])
        .map((e) => JSON.parse(e.entry).data)
        .filter((d: { searchId: string }) => d.searchId === r.json.id);
      dbA2.close();
      expect(disclosures.map((d: { keyTypes: string[] }) => d.keyTypes.join()).sort()).toEqual([...new Set(disclosures.map((d: { keyTypes: string[] }) => d.keyTypes.join()))].sort());
      expect(disclosures).toHaveLength(2);
    } finally {
      db.prepare("update peers set base_url = ? where country = 'XA'").run(realUrl);
      db.close();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('answers `unavailable` while another process holds its database, and the searcher reports that code', async () => {
    // XA's background writers (audit integration, checkpoints) first finish what earlier tests left
    // them: one that starts under the lock holds XA's event loop for the busy timeout too.
    const probe = new Database(join(xa.home, 'cairn.db'), { readonly: true });
    const settled = () => {
      const r = probe.prepare('select (select count(*) from audit_entries) as n, (select max(size) from audit_checkpoints) as c, (select max(size) from audit_tree) as t').get() as { n: number; c: number | null; t: number | null };
      return r.n === r.c && r.n === r.t;
    };
    for (const deadline = Date.now() + 30_000; !settled() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 200));
    probe.close();
    // Another process (a CLI command on the served home, an sqlite3 shell) holds SQLite's write lock.
    const holder = new Database(join(xa.home, 'cairn.db'));
    holder.exec('BEGIN IMMEDIATE');
    try {
      // A peer's match query waits out XA's busy timeout and is refused; the searcher shows XA's code.
      const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
        ...CONTEXT,
        identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } },
        peers: ['XA'],
      });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      expect(r.json.results[0]).toMatchObject({ peer: { country: 'XA' }, status: 'error', error: { code: 'unavailable' } });
      // XA refuses before authenticating the request, unsigned: its code is taken, its words are not.
      expect(r.json.results[0].error.detail).toMatch(/503 unavailable, unsigned/);
      expect(r.json.results[0].error.detail).not.toMatch(/held by another writer/);
      // XA's own API: a clear 503 rather than an opaque internal error.
      const own = await api(xa, xa.tokens.analyst, 'POST', '/v1/records', {
        records: [record('XA-BUSY-1', 'missing_child', { names: [{ given: 'Ana', family: 'Busy' }], dateOfBirth: { precision: 'day', date: '2014-01-01' } })],
      });
      expect(own.status, JSON.stringify(own.json)).toBe(503);
      expect(own.json).toMatchObject({ code: 'unavailable', status: 503 });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // The lock gone, XA answers again; nothing of the refused import was stored.
    const again = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', {
      ...CONTEXT,
      identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } },
      peers: ['XA'],
    });
    expect(again.json.results[0]).toMatchObject({ status: 'hit' });
    const check = new Database(join(xa.home, 'cairn.db'), { readonly: true });
    expect(check.prepare("select count(*) as n from records where ref = 'XA-BUSY-1'").get()).toEqual({ n: 0 });
    check.close();
  });

  it('reports garbage from a misbehaving peer as that peer\'s error', async () => {
    // XC is replaced by something that answers 200 with junk, then with unsigned JSON.
    await xc.stop();
    const { createServer } = await import('node:http');
    for (const body of ['<html>not json</html>', JSON.stringify({ searchId: 'x', evaluatedElements: [], proof: '', deltas: [] })]) {
      const srv = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(body);
      });
      await new Promise<void>((r) => srv.listen(xc.port, '127.0.0.1', () => r()));
      try {
        const r = await api(xb, xb.tokens.analyst, 'POST', '/v1/searches', { ...CONTEXT, identifiers: { names: [{ given: 'Olena', family: 'Shevchenko' }], dateOfBirth: { precision: 'day', date: '2013-04-12' } } });
        const by = Object.fromEntries(r.json.results.map((x: { peer: { country: string } }) => [x.peer.country, x]));
        expect(by.XC).toMatchObject({ status: 'error', error: { code: 'peer_response_invalid' } });
        expect(by.XA.status).toBe('hit');
      } finally {
        await new Promise<void>((r) => srv.close(() => r()));
      }
    }
  });

  it('never writes an identifier to any log, even at debug level', () => {
    const logs = nodes.map((n) => n.log()).join('\n');
    expect(logs.length).toBeGreaterThan(1000);
    for (const needle of ['Olena', 'Shevchenko', 'Шевченко', 'Олена', '380501234567', 'Haddad', 'Yousef', 'Ionescu']) expect(logs, needle).not.toContain(needle);
  });
});
