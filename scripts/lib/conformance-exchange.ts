/**
 * One whole cairn/2 match exchange between two TEST nodes, computed by the
 * real node code with every clock reading, random byte and proof scalar
 * fixed, so that it comes out byte for byte the same every time: the data of
 * test/vectors/conformance/ (PROTOCOL.md section 50).
 *
 * Node B (the answering node) is an in-process node (createServices and the
 * hono app, over in-memory SQLite) holding the TEST keys: the Ed25519 seed of
 * 32 bytes 0x22 and the TEST OPRF key of section 20. It holds one record.
 * Node A (the searcher, Ed25519 seed 0x11) is played by this module with
 * Cairn's client functions: it blinds its match keys and padding dummies
 * with fixed scalars, signs its requests with a fixed nonce and time, checks
 * the answers and finalizes. Requests go to B through `app.request()`, as
 * they would arrive over HTTP.
 *
 * TEST keys are public. Nothing here may ever hold real records.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { resolveConfig } from '../../src/core/config.js';
import { fromBase64Url, fromHex, fromUtf8, toBase64Url, toHex, utf8 } from '../../src/core/bytes.js';
import { FEDERATION, MEDIA_TYPES } from '../../src/core/constants.js';
import { migrateToLatest } from '../../src/core/db/migrations.js';
import { signDescriptor } from '../../src/core/descriptor.js';
import { verifyJsonEnvelope } from '../../src/core/dsse.js';
import { paddedSize } from '../../src/core/federation/client.js';
import { buildSignedRequest, verifyResponse, type RequestBinding } from '../../src/core/federation/http-signature.js';
import { fingerprintsWith } from '../../src/core/federation/index/chain.js';
import { CHANGE_OP } from '../../src/core/federation/index/changes.js';
import { indexFingerprint } from '../../src/core/federation/index/fingerprint.js';
import { deriveQueryKeys, MATCH_KEY_TYPES, parseIdentifiers } from '../../src/core/identity/index.js';
import { blind, blindEvaluateBatch, deriveOprfKeyPair, finalizeBatch, type RandomBytes } from '../../src/core/oprf/index.js';
import { silentLogger, type Clock, type Random } from '../../src/core/ports.js';
import { tokenConfirm } from '../../src/core/records/token-layout.js';
import { createServices } from '../../src/core/services.js';
import { ed25519Signer } from '../../src/core/signing.js';
import { createApp } from '../../src/http/app.js';
import { Metrics } from '../../src/http/metrics.js';
import { sqliteAtomicWriter } from '../../src/node/atomic.js';
import { openSqlite } from '../../src/node/sqlite.js';

/** The fixed inputs of the exchange: keys, nodes, the record, the search. */
export const CONFORMANCE = {
  /** Ed25519 seeds (section 30's TEST keys): A searches, B answers. */
  searcherSeed: '11'.repeat(32),
  answererSeed: '22'.repeat(32),
  /** The TEST OPRF key of section 20: DeriveKeyPair(Seed, KeyInfo), VOPRF mode. */
  oprfSeed: 'a5'.repeat(32),
  oprfKeyInfo: toHex(utf8('cairn test key')),
  searcher: { nodeId: 'node-a', country: 'XA', name: 'TEST node A', baseUrl: 'https://node-a.example' },
  answerer: { nodeId: 'node-b', country: 'XB', name: 'TEST node B', baseUrl: 'https://node-b.example' },
  /** Every clock reading of both sides. */
  time: '2026-01-01T00:00:00Z',
  /** What B's policy lets A do: this purpose may match this category. */
  purpose: 'missing_child_tracing',
  category: 'missing_child',
  /** B's record: strong identifiers only, whose keys do not depend on name rules. */
  record: {
    ref: 'XB-TEST-0001',
    category: 'missing_child',
    owningUnit: 'Missing persons unit (TEST)',
    contactPoint: 'cairn-desk@node-b.example',
    recordDate: '2025-12-01',
    retentionUntil: '2035-12-01',
    identifiers: {
      documents: [{ type: 'passport', issuingCountry: 'NL', number: 'NX1234567' }],
      emails: ['amina.haddad@example.org'],
    },
  },
  /** What A searches for: the same e-mail address (one strong key), padded to 8. */
  query: { emails: ['Amina.Haddad@Example.org'] },
  search: { searchId: 's_conformance_1', legalBasis: 'Art. 12 Child Protection Act (TEST)', caseReference: 'XA-2026-0001' },
} as const;

/** Random bytes from SHA-256(label || counter): the same stream every run. */
export function streamRandom(label: string): Random {
  let n = 0;
  return {
    bytes(len: number): Uint8Array {
      const out = new Uint8Array(len);
      for (let o = 0; o < len; o += 32) out.set(sha256(utf8(`${label} ${n++}`)).slice(0, Math.min(32, len - o)), o);
      return out;
    },
  };
}

/** A fixed scalar below 2^252 named by `label` (little-endian, top four bits cleared). */
export function fixedScalar(label: string): Uint8Array {
  const s = sha256(utf8(label));
  s[31]! &= 0x0f;
  return s;
}

/** An RNG that makes RandomScalar (RFC 9497 §2.1: (LE(rng(48)) mod (L - 1)) + 1) return scalar `s`. */
export function scalarRng(s: Uint8Array): RandomBytes {
  return (n) => {
    let x = 0n;
    for (let i = s.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(s[i]!);
    x -= 1n;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++, x >>= 8n) out[i] = Number(x & 0xffn);
    return out;
  };
}

/** One HTTP message of the exchange, exactly as sent. */
export interface WireMessage {
  method?: 'POST';
  url?: string;
  status?: number;
  /** Header fields, lower-case names, in name order. */
  headers: Record<string, string>;
  /** The body bytes as UTF-8 text (every body of the exchange is JSON). */
  body: string;
}

/** The conformance vector set: what lands in test/vectors/conformance/. */
export interface ConformanceVectors {
  keys: {
    searcher: { ed25519Seed: string; publicKey: string; keyId: string };
    answerer: { ed25519Seed: string; publicKey: string; keyId: string; oprfSeed: string; oprfKeyInfo: string; oprfSecretKey: string; oprfPublicKey: string; oprfKeyId: string };
  };
  descriptors: { searcher: unknown; answerer: unknown };
  record: typeof CONFORMANCE.record;
  /** The searcher's secret side of the match: inputs, blinds, and what finalizing gives. */
  searcherState: {
    identifiers: unknown;
    paddedSize: number;
    inputs: { kind: 'matchKey' | 'dummy'; keyType?: string; input: string; blind: string }[];
    tokens: { keyType: string; token: string; fingerprint: string; confirm: string }[];
  };
  /** The answering node's proof scalar (RFC 9497 ProofRandomScalar): only this makes the proof reproducible. */
  proofRandomScalar: string;
  matchRequest: WireMessage;
  matchAnswer: WireMessage;
  confirmRequest: WireMessage;
  confirmAnswer: WireMessage;
  /** The receipt of the confirmation answer, decoded after its signature verified. */
  receipt: unknown;
}

const json = (body: unknown) => utf8(JSON.stringify(body));
const headerObject = (h: Headers): Record<string, string> => Object.fromEntries([...h].sort(([a], [b]) => (a < b ? -1 : 1)));

/** Compute the whole exchange. */
export async function computeConformanceVectors(): Promise<ConformanceVectors> {
  const C = CONFORMANCE;
  const clock: Clock = { now: () => new Date(C.time) };
  const a = ed25519Signer(fromHex(C.searcherSeed));
  const b = ed25519Signer(fromHex(C.answererSeed));
  const oprf = deriveOprfKeyPair(fromHex(C.oprfSeed), fromHex(C.oprfKeyInfo));
  const proofRandomScalar = fixedScalar('cairn conformance proof');

  // Node B, in process, holding the TEST keys.
  const sqlite = openSqlite(':memory:');
  await migrateToLatest(sqlite.db);
  const config = resolveConfig({ node: { id: C.answerer.nodeId, country: C.answerer.country, name: C.answerer.name, url: C.answerer.baseUrl } }, {});
  // A's descriptor, served to B's `peers add`. A's own OPRF key (used only for answers A gives) is derived like the TEST key, with its own info.
  const searcherOprf = deriveOprfKeyPair(fromHex(C.oprfSeed), utf8('cairn test key A'));
  const searcherDescriptor = signDescriptor({ ...C.searcher, signer: a, oprfPublicKey: searcherOprf.publicKey, matchKeyTypes: Object.keys(MATCH_KEY_TYPES), issuedAt: clock.now() });
  const fetchA: typeof fetch = async (input) => {
    const url = String(input instanceof Request ? input.url : input);
    if (url === `${C.searcher.baseUrl}/.well-known/cairn/node`) return new Response(JSON.stringify(searcherDescriptor), { headers: { 'content-type': MEDIA_TYPES.json } });
    return new Response('not found', { status: 404 });
  };
  const services = createServices(
    {
      db: sqlite.db,
      atomic: sqliteAtomicWriter(sqlite.raw),
      clock,
      random: streamRandom('cairn conformance node-b'),
      logger: silentLogger,
      signer: b,
      oprfSecretKey: oprf.secretKey,
      evaluator: { blindEvaluateBatch: async (blinded) => blindEvaluateBatch(oprf.secretKey, oprf.publicKey, blinded, scalarRng(proofRandomScalar)) },
      fetch: fetchA,
    },
    config,
  );
  const app = createApp(services, { logger: silentLogger, clock, random: streamRandom('cairn conformance node-b http'), metrics: new Metrics(), version: 'conformance' });
  try {
    const imported = await services.records.importBatch([{ row: 1, value: C.record }], { actor: 'cli', source: 'conformance' });
    if (imported.imported !== 1) throw new Error(`the TEST record was not imported: ${JSON.stringify(imported)}`);
    await services.peers.add(await services.peers.fetchDescriptor(C.searcher.baseUrl), 'cli', undefined);
    await services.peers.setPolicy(C.searcher.country, { purposes: { [C.purpose]: [C.category] } }, 'cli');
    const answererDescriptor = await (await app.request('/.well-known/cairn/node')).json();

    // A's side: keys, padding, blinds.
    const keys = deriveQueryKeys(parseIdentifiers(C.query));
    const n = paddedSize(keys.length);
    const inputs: ConformanceVectors['searcherState']['inputs'] = keys.map((k) => ({ kind: 'matchKey', keyType: k.type, input: toHex(k.encoded), blind: '' }));
    for (let i = keys.length; i < n; i++) inputs.push({ kind: 'dummy', input: toHex(sha256(utf8(`cairn conformance dummy ${i}`))), blind: '' });
    const blinded = inputs.map((x, i) => {
      const r = blind(fromHex(x.input), scalarRng(fixedScalar(`cairn conformance blind ${i}`)));
      x.blind = toHex(r.blind);
      return r;
    });

    let nonce = 0;
    const send = async (path: string, body: unknown): Promise<{ request: WireMessage; answer: WireMessage; binding: RequestBinding; parsed: any }> => {
      const bytes = json(body);
      const url = `${C.answerer.baseUrl}${path}`;
      const { request, binding } = buildSignedRequest({
        method: 'POST',
        url,
        body: bytes,
        signer: a,
        recipientKeyId: b.keyId,
        clock,
        // Nonces 00 01 .. 0f, then 10 11 .. 1f.
        random: { bytes: (len) => Uint8Array.from({ length: len }, (_, i) => nonce * len + i) },
        headers: { 'content-type': FEDERATION.mediaType },
      });
      nonce++;
      const res = await app.request(request);
      const raw = new Uint8Array(await res.arrayBuffer());
      verifyResponse(res, raw, { peerPublicKey: b.publicKey, request: binding, clock });
      const text = fromUtf8(raw);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${text}`);
      return {
        request: { method: 'POST', url, headers: headerObject(request.headers), body: fromUtf8(bytes) },
        answer: { status: res.status, headers: headerObject(res.headers), body: text },
        binding,
        parsed: JSON.parse(text),
      };
    };

    const match = await send(`${FEDERATION.prefix}/match`, {
      searchId: C.search.searchId,
      purpose: C.purpose,
      legalBasis: C.search.legalBasis,
      caseReference: C.search.caseReference,
      // A holds a replica of B's missing_child index at version 0 (empty): the delta lists every fingerprint.
      replicaVersions: { [C.category]: 0 },
      blindedElements: blinded.map((x) => toBase64Url(x.blindedElement)),
    });
    const tokens = finalizeBatch(
      inputs.map((x) => fromHex(x.input)),
      blinded.map((x) => x.blind),
      (match.parsed.evaluatedElements as string[]).map((e) => fromBase64Url(e)),
      blinded.map((x) => x.blindedElement),
      oprf.publicKey,
      fromBase64Url(match.parsed.proof),
    ).slice(0, keys.length);
    const listed = new Set(fingerprintsWith(fromBase64Url(match.parsed.deltas[0].changes as string), CHANGE_OP.add).map(toBase64Url));
    const results = keys.map((k, i) => ({ keyType: k.type, token: toHex(tokens[i]!), fingerprint: toBase64Url(indexFingerprint(tokens[i]!)), confirm: toBase64Url(tokenConfirm(tokens[i]!)) }));
    const hit = results.find((r) => listed.has(r.fingerprint));
    if (!hit) throw new Error('the TEST record is not found in the answer\'s delta');

    const confirm = await send(`${FEDERATION.prefix}/hits`, {
      searchId: C.search.searchId,
      purpose: C.purpose,
      legalBasis: C.search.legalBasis,
      caseReference: C.search.caseReference,
      category: C.category,
      fingerprint: hit.fingerprint,
      confirm: hit.confirm,
    });
    const receipt = verifyJsonEnvelope(confirm.parsed.receipts[0], MEDIA_TYPES.hitReceipt, b.publicKey);

    return {
      keys: {
        searcher: { ed25519Seed: C.searcherSeed, publicKey: toHex(a.publicKey), keyId: a.keyId },
        answerer: {
          ed25519Seed: C.answererSeed,
          publicKey: toHex(b.publicKey),
          keyId: b.keyId,
          oprfSeed: C.oprfSeed,
          oprfKeyInfo: C.oprfKeyInfo,
          oprfSecretKey: toHex(oprf.secretKey),
          oprfPublicKey: toHex(oprf.publicKey),
          oprfKeyId: toHex(sha256(oprf.publicKey)),
        },
      },
      descriptors: { searcher: searcherDescriptor, answerer: answererDescriptor },
      record: C.record,
      searcherState: { identifiers: C.query, paddedSize: n, inputs, tokens: results },
      proofRandomScalar: toHex(proofRandomScalar),
      matchRequest: match.request,
      matchAnswer: match.answer,
      confirmRequest: confirm.request,
      confirmAnswer: confirm.answer,
      receipt,
    };
  } finally {
    sqlite.close();
  }
}
