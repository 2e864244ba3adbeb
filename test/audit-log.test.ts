/**
 * The audit log of one real node: DPO access, proofs that verify against a
 * signed checkpoint, exports, tampering detected by `cairn audit verify`,
 * and retention pruning that keeps the tree verifiable.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, cli, serve, addUser } from '../scripts/lib/federation.js';
import { openCheckpoint, signCheckpoint } from '../src/core/audit/checkpoint.js';
import { leafHashOf } from '../src/core/audit/entry.js';
import { createAuditLog, logVerifierKey, originOf, rootAt } from '../src/core/audit/log.js';
import { ed25519Signer } from '../src/core/signing.js';
import { openNodeContext } from '../src/node/context.js';
import { verifyConsistency, verifyInclusion } from '../src/core/audit/merkle/index.js';
import { ed25519NoteSigner, ed25519NoteVerifier } from '../src/core/audit/note.js';
import { fromBase64, fromBase64Url } from '../src/core/bytes.js';
import { cairn, cleanEnv, freePort, initNode, tempDir } from './helpers/cli.js';

describe('audit log', () => {
  const t = tempDir('cairn-audit-');
  const home = join(t.dir, 'node');
  let node: { url: string; stop: () => Promise<void> };
  let dpo: string;
  let analyst: string;
  let verifierKey: string;

  beforeAll(async () => {
    const port = await freePort();
    initNode(home, 'XD', port);
    dpo = addUser(home, 'dpo', 'Dana DPO');
    analyst = addUser(home, 'analyst', 'Ana');
    const s = await serve(home, port);
    node = { url: `http://127.0.0.1:${port}`, stop: s.stop };
    const records = Array.from({ length: 5 }, (_, i) => ({
      ref: `XD-${i}`,
      category: 'missing_child',
      owningUnit: 'U',
      contactPoint: 'u@x.example',
      recordDate: '2026-01-01',
      retentionUntil: '2036-01-01',
      identifiers: { names: [{ given: ['Ana', 'Ion', 'Mara', 'Luca', 'Ilie'][i]!, family: 'Testescu' }], dateOfBirth: { precision: 'day', date: `2012-0${i + 1}-15` } },
    }));
    for (const r of records) expect((await api(node, analyst, 'POST', '/v1/records', { records: [r] })).status).toBe(200);
    const desc = JSON.parse(Buffer.from((await (await fetch(`${node.url}/.well-known/cairn/node`)).json()).payload, 'base64').toString('utf8'));
    verifierKey = logVerifierKey(node.url, fromBase64Url(desc.signingKey.publicKey));
  });
  afterAll(async () => {
    await node?.stop();
    t.cleanup();
  });

  it('lets DPOs, and only DPOs, read the log; every read is itself logged', async () => {
    expect((await api(node, analyst, 'GET', '/v1/audit/entries')).status).toBe(403);
    const r = await api(node, dpo, 'GET', '/v1/audit/entries?type=records.import&limit=2');
    expect(r.status).toBe(200);
    expect(r.json.entries).toHaveLength(2);
    expect(r.json.entries[0]).toMatchObject({ type: 'records.import', actor: expect.stringMatching(/^user:u_/), data: { imported: 1 } });
    expect(r.json.next).toBe(r.json.entries[1].idx);
    const page2 = await api(node, dpo, 'GET', `/v1/audit/entries?type=records.import&limit=10&cursor=${r.json.next}`);
    expect(page2.json.entries).toHaveLength(3);
    const reads = await api(node, dpo, 'GET', '/v1/audit/entries?type=audit.read');
    expect(reads.json.entries.length).toBeGreaterThanOrEqual(2);
    expect(reads.json.entries[0].data.filter).toMatchObject({ type: 'records.import', limit: 2 });
    const bad = await api(node, dpo, 'GET', '/v1/audit/entries?type=nonsense');
    expect([bad.status, bad.json.field]).toEqual([400, 'type']);
    // A swapped range is refused, as the CLI refuses it, not answered as "no entries".
    for (const path of ['/v1/audit/entries', '/v1/audit/export']) {
      const swapped = await api(node, dpo, 'GET', `${path}?from=2026-12-05T00:00:00Z&to=2026-12-01T00:00:00Z`);
      expect([path, swapped.status, swapped.json.field]).toEqual([path, 400, 'to']);
    }
  });

  it('serves a signed checkpoint with inclusion and consistency proofs that verify', async () => {
    const first = await api(node, dpo, 'GET', '/v1/audit/checkpoint');
    const cp1 = openCheckpoint(first.json.checkpoint, ed25519NoteVerifier(verifierKey)).checkpoint;
    expect(cp1.treeSize).toBe(first.json.size);
    await api(node, dpo, 'GET', '/v1/audit/entries?limit=1');
    const second = await api(node, dpo, 'GET', '/v1/audit/checkpoint');
    const cp2 = openCheckpoint(second.json.checkpoint, ed25519NoteVerifier(verifierKey)).checkpoint;
    expect(cp2.treeSize).toBeGreaterThan(cp1.treeSize);
    for (let index = 0; index < cp2.treeSize; index++) {
      const p = await api(node, dpo, 'GET', `/v1/audit/proofs/inclusion?index=${index}&size=${cp2.treeSize}`);
      expect(p.status).toBe(200);
      const leaf = leafHashOf(p.json.entry);
      expect(Buffer.from(leaf).toString('base64')).toBe(p.json.leafHash);
      verifyInclusion(index, cp2.treeSize, leaf, p.json.hashes.map((h: string) => fromBase64(h)), cp2.rootHash);
    }
    const c = await api(node, dpo, 'GET', `/v1/audit/proofs/consistency?from=${cp1.treeSize}&to=${cp2.treeSize}`);
    verifyConsistency(cp1.treeSize, cp2.treeSize, c.json.hashes.map((h: string) => fromBase64(h)), cp1.rootHash, cp2.rootHash);
    const beyond = await api(node, dpo, 'GET', `/v1/audit/proofs/inclusion?index=999990&size=1000000`);
    expect([beyond.status, beyond.json.code, beyond.json.field]).toEqual([400, 'invalid_request', 'size']);
  });

  it('exports as CSV and JSON, over HTTP and from the CLI', async () => {
    const csv = await fetch(`${node.url}/v1/audit/export?format=csv&type=records.import`, { headers: { authorization: `Bearer ${dpo}` } });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('idx,at,type,actor,peer,purpose,caseReference,data');
    expect(text.trim().split('\r\n')).toHaveLength(6);
    const out = cli(['audit', 'export', '--home', home, '--format', 'json', '--type', 'records.import']);
    expect(JSON.parse(out)).toHaveLength(5);
    const exports = await api(node, dpo, 'GET', '/v1/audit/entries?type=audit.export');
    expect(exports.json.entries.map((e: { actor: string }) => e.actor)).toEqual(expect.arrayContaining([expect.stringMatching(/^user:/), expect.stringMatching(/^cli:/)]));
  });

  it('exports a bundle a DPO checks offline with the verifier key alone, and finds a changed entry in it', () => {
    const file = join(t.dir, 'imports.bundle.json');
    const out = cairn(['audit', 'export', '--home', home, '--format', 'bundle', '--type', 'records.import', '--out', file]);
    expect(out.status, out.stderr).toBe(0);
    const bundle = JSON.parse(readFileSync(file, 'utf8'));
    expect(bundle.format).toBe('cairn-audit-bundle/1');
    expect(bundle.entries).toHaveLength(5);
    const vkey = /verifier key\s+(\S+)/.exec(cli(['keys', 'show', '--home', home]))![1]!;
    expect(vkey).toBe(verifierKey);
    // No home: the check runs on the file and the key.
    const ok = cairn(['audit', 'check', file, '--vkey', vkey]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^bundle OK: 5 entries are in the log 127\.0\.0\.1:\d+\/cairn-audit at size \d+, whose checkpoint this key signed/);
    // One entry's text changed in the file.
    const changed = join(t.dir, 'changed.bundle.json');
    bundle.entries[2].entry = bundle.entries[2].entry.replace('"imported":1', '"imported":0');
    writeFileSync(changed, JSON.stringify(bundle));
    const bad = cairn(['audit', 'check', changed, '--vkey', vkey]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`entry ${bundle.entries[2].idx}: its text does not match its leaf hash`);
    // Its leaf hash recomputed too: the proof no longer leads to the signed root.
    bundle.entries[2].leafHash = Buffer.from(leafHashOf(bundle.entries[2].entry)).toString('base64');
    writeFileSync(changed, JSON.stringify(bundle));
    expect(cairn(['audit', 'check', changed, '--vkey', vkey]).stderr).toContain(`entry ${bundle.entries[2].idx}: not in the log at size`);
    // Another node's key does not vouch for it.
    const other = logVerifierKey(node.url, ed25519Signer(new Uint8Array(32).fill(9)).publicKey);
    expect(cairn(['audit', 'check', file, '--vkey', other]).stderr).toContain('its checkpoint is not signed by');
  });

  it('verifies, then detects an edited entry, a rewritten history and a truncation', async () => {
    await node.stop();
    // Sign a checkpoint over everything so far (the CLI does what the server does).
    expect(cli(['audit', 'checkpoint', '--home', home])).toMatch(/cairn-audit\n\d+\n/);
    const ok = cairn(['audit', 'verify', '--home', home]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/audit log OK: \d+ entries \(0 pruned by retention\), \d+ checkpoints and \d+ peer cosignatures verified/);
    const file = join(home, 'cairn.db');
    const db = new Database(file);
    const snapshot = db.prepare('select idx, entry, leaf_hash from audit_entries order by idx').all() as { idx: number; entry: string; leaf_hash: Buffer }[];
    expect(snapshot[2]!.entry).toContain('"imported":1');
    // 1. Edit the payload of entry 2 in place.
    db.prepare('update audit_entries set entry = ? where idx = 2').run(snapshot[2]!.entry.replace('"imported":1', '"imported":0'));
    let r = cairn(['audit', 'verify', '--home', home]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain('entry 2 does not match its leaf hash');
    // 2. Rewrite it together with its leaf hash: the signed checkpoints no longer match.
    const forged = snapshot[2]!.entry.replace('"imported":1', '"imported":0');
    db.prepare('update audit_entries set entry = ?, leaf_hash = ? where idx = 2').run(forged, Buffer.from(leafHashOf(forged)));
    r = cairn(['audit', 'verify', '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/checkpoint at size \d+ does not match the tree recomputed from entries 0\.\.\d+/);
    db.prepare('update audit_entries set entry = ?, leaf_hash = ? where idx = 2').run(snapshot[2]!.entry, snapshot[2]!.leaf_hash);
    expect(cairn(['audit', 'verify', '--home', home]).status).toBe(0);
    // 3. Truncate the log.
    const last = snapshot[snapshot.length - 1]!;
    db.prepare('delete from audit_entries where idx = ?').run(last.idx);
    r = cairn(['audit', 'verify', '--home', home]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`at entry ${last.idx}: entry ${last.idx} is missing: the log ends after ${last.idx} entries, but the checkpoint at size \\d+ covers \\d+ \\(entries ${last.idx}\\.\\.\\d+ were removed: truncated\\)`));
    db.prepare('insert into audit_entries (idx, at, type, actor, entry, leaf_hash) select ?, ?, ?, ?, ?, ?').run(last.idx, JSON.parse(last.entry).at, JSON.parse(last.entry).type, JSON.parse(last.entry).actor, last.entry, last.leaf_hash);
    db.close();
    expect(cairn(['audit', 'verify', '--home', home]).status).toBe(0);
  });

  it('verifies a copy kept as evidence without changing a byte of it, even where it cannot write', () => {
    const copy = join(t.dir, 'evidence');
    const b = cairn(['backup', copy, '--home', home]);
    expect(b.status, b.stderr).toBe(0);
    // The backup is a home without keys; the evidence is checked with the node's own key files.
    cpSync(join(home, 'keys'), join(copy, 'keys'), { recursive: true });
    const file = join(copy, 'cairn.db');
    const digest = () => createHash('sha256').update(readFileSync(file)).digest('hex');
    const before = digest();
    chmodSync(file, 0o400);
    chmodSync(copy, 0o500);
    try {
      const r = cairn(['audit', 'verify', '--home', copy]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('audit log OK');
      expect(readdirSync(copy).filter((f) => f.startsWith('cairn.db'))).toEqual(['cairn.db']);
    } finally {
      chmodSync(copy, 0o700);
      chmodSync(file, 0o600);
    }
    expect(digest()).toBe(before);
  });

  it('prunes payloads past retention by their own time, signs the prune, and still verifies', async () => {
    const file = join(home, 'cairn.db');
    // Backdating the column beside an entry does not make it prunable: the age is the entry's own.
    let db = new Database(file);
    db.prepare("update audit_entries set at = '2020-01-01T00:00:00.000Z' where idx = 1").run();
    db.close();
    expect(cairn(['audit', 'prune', '--home', home]).stdout).toContain('pruned 0 entries');
    const r0 = cairn(['audit', 'verify', '--home', home]);
    expect(r0.status).toBe(1);
    expect(r0.stderr).toContain(`entry 1's stored at ("2020-01-01T00:00:00.000Z") differs from the entry itself`);
    db = new Database(file);
    const own = JSON.parse((db.prepare('select entry from audit_entries where idx = 1').get() as { entry: string }).entry).at;
    db.prepare('update audit_entries set at = ? where idx = 1').run(own);
    db.close();

    // Four years on, the retention job prunes every payload older than three years, in one unit with its signed statement.
    const ctx = await openNodeContext(home, cleanEnv());
    const later = new Date(Date.now() + 4 * 365 * 86_400_000);
    let held: number;
    try {
      held = Number((await ctx.db.selectFrom('audit_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('entry', 'is not', null).executeTakeFirstOrThrow()).n);
      const log = createAuditLog({ db: ctx.db, atomic: ctx.atomic, clock: { now: () => later }, signer: ctx.keys.signer, baseUrl: ctx.config.node.url });
      expect(await log.prune(new Date(later.getTime() - 1095 * 86_400_000), 'system')).toBe(held);
      const prune = await ctx.db.selectFrom('audit_entries').select(['idx', 'entry']).where('type', '=', 'audit.prune').executeTakeFirstOrThrow();
      expect(JSON.parse(prune.entry!).data).toMatchObject({ through: prune.idx - 1, pruned: held, statement: { payloadType: 'application/vnd.cairn.audit-prune+json' } });
    } finally {
      await ctx.close();
    }
    const r = cairn(['audit', 'verify', '--home', home]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(${held} pruned by retention)`);
  });

  it('detects a payload removed outside retention, columns changed beside their entry, and checkpoints signed by a key nothing vouches for', async () => {
    // Each attack on its own copy of the node's home, as someone with write access to the database (not to the key files) would make it.
    const attack = (name: string) => {
      const copy = join(t.dir, name);
      cpSync(home, copy, { recursive: true });
      return { copy, db: new Database(join(copy, 'cairn.db')) };
    };
    // Two recent acts (exports), under a checkpoint.
    cli(['audit', 'export', '--home', home, '--format', 'json']);
    cli(['audit', 'export', '--home', home, '--format', 'json']);
    cli(['audit', 'checkpoint', '--home', home]);
    expect(cairn(['audit', 'verify', '--home', home]).status).toBe(0);

    // 1. A recent entry's payload emptied, as retention empties old ones.
    let a = attack('emptied');
    const target = (a.db.prepare('select max(idx) as n from audit_entries').get() as { n: number }).n - 1;
    a.db.prepare('update audit_entries set entry = null where idx = ?').run(target);
    a.db.close();
    let r = cairn(['audit', 'verify', '--home', a.copy]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`entry ${target} has no payload, but the prunes the node signed reach entry \\d+ only: its content was removed, not pruned by retention`));

    // 2. The type and time of an entry changed in the columns that filters and exports read.
    a = attack('columns');
    a.db.prepare("update audit_entries set type = 'users.add', at = '2026-01-01T00:00:00.000Z' where idx = ?").run(target);
    a.db.close();
    r = cairn(['audit', 'verify', '--home', a.copy]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`entry ${target}'s stored at, type`);

    // 3. An entry rewritten with its leaf hash, the tree rebuilt, and every
    //    checkpoint signed again by a key written into the key history.
    a = attack('forged');
    const forger = ed25519Signer(new Uint8Array(32).fill(7));
    const row = a.db.prepare('select entry from audit_entries where idx = ?').get(target) as { entry: string };
    const forged = row.entry.replace(/"actor":"[^"]*"/, '"actor":"user:someone-else"');
    expect(forged).not.toBe(row.entry);
    a.db.prepare('update audit_entries set entry = ?, actor = ?, leaf_hash = ? where idx = ?').run(forged, 'user:someone-else', Buffer.from(leafHashOf(forged)), target);
    a.db.prepare('insert into signing_keys (key_id, public_key, created_at, retired_at, overlap_until, compromised) values (?, ?, ?, null, null, 0)').run(forger.keyId, Buffer.from(forger.publicKey), new Date().toISOString());
    a.db.exec('delete from merkle_nodes; delete from audit_tree;');
    a.db.close();
    const ctx = await openNodeContext(a.copy, cleanEnv());
    try {
      const log = createAuditLog({ db: ctx.db, atomic: ctx.atomic, clock: ctx.clock, signer: forger, baseUrl: ctx.config.node.url });
      await log.integrate();
      const origin = originOf(ctx.config.node.url);
      for (const c of await ctx.db.selectFrom('audit_checkpoints').select('size').execute()) {
        const root = await rootAt(ctx.db, c.size);
        const note = await signCheckpoint({ origin, treeSize: c.size, rootHash: root, extensions: [] }, ed25519NoteSigner(origin, forger));
        await ctx.db.updateTable('audit_checkpoints').set({ root, note }).where('size', '=', c.size).execute();
      }
    } finally {
      await ctx.close();
    }
    r = cairn(['audit', 'verify', '--home', a.copy]);
    expect(r.status, r.stdout).toBe(1);
    expect(r.stderr).toContain(`is signed by key ${forger.keyId}, which the key history in the database lists but no key succession in the log names`);
    // The same log with the real key's checkpoints intact still verifies.
    expect(cairn(['audit', 'verify', '--home', home]).status).toBe(0);
  });
});
