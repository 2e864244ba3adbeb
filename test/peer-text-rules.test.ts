/**
 * Text a peer chooses (a hit receipt's fields, its descriptor's name and
 * base URL) meets our own record rules before anyone reads it: length
 * limits, no control characters, no bidi override or isolate; and what the
 * command line prints of it goes through one terminal escaper.
 */
import { describe, expect, it } from 'vitest';
import { hitReceiptSchema } from '../schemas/federation.js';
import { recordEnvelopeSchema } from '../schemas/records.js';
import { nodeBaseUrl, nodeDescriptorSchema } from '../schemas/node.js';
import { resolveConfig } from '../src/core/config.js';
import { terminalJson, terminalLines, terminalSafe } from '../src/node/terminal-text.js';

const RECEIPT = {
  receiptId: 'hit_8f28142fc3a22c6c296f779a',
  issuer: { nodeId: 'node-b', country: 'XB' },
  requester: { nodeId: 'node-a', country: 'XA' },
  searchId: 's_conformance_1',
  caseReference: 'XA-2026-0001',
  purpose: 'missing_child_tracing',
  keyType: 'email',
  record: { ref: 'XB-TEST-0001', category: 'missing_child', owningUnit: 'Missing persons unit (TEST)', contactPoint: 'cairn-desk@node-b.example', recordDate: '2025-12-01' },
  issuedAt: '2026-01-01T00:00:00.000Z',
  logIndex: 5,
};

const DESCRIPTOR = {
  protocol: 'cairn/2',
  nodeId: 'node-b',
  country: 'XB',
  name: 'Borduria test node',
  baseUrl: 'https://cairn.xb.example',
  signingKey: { algorithm: 'Ed25519', keyId: 'a'.repeat(64), publicKey: 'A'.repeat(43) },
  oprfKey: { suite: 'ristretto255-SHA512', mode: 'VOPRF', keyId: 'b'.repeat(64), publicKey: 'B'.repeat(43) },
  matchKeyTypes: ['email'],
  issuedAt: '2026-01-01T00:00:00Z',
};

/** The first issue of parsing `value`: its path and message, or 'ok'. */
function firstIssue(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown): string {
  const r = schema.safeParse(value);
  return r.success ? 'ok' : `${r.error!.issues[0]!.path.join('.')}: ${r.error!.issues[0]!.message}`;
}

const withRecord = (field: string, value: unknown) => ({ ...RECEIPT, record: { ...RECEIPT.record, [field]: value } });

describe('hit receipt fields', () => {
  it('accepts a receipt as Cairn issues it', () => {
    expect(firstIssue(hitReceiptSchema, RECEIPT)).toBe('ok');
  });

  it('holds the record fields to the limits of schemas/records.ts', () => {
    expect(firstIssue(hitReceiptSchema, withRecord('ref', 'R'.repeat(2_500_000)))).toBe('record.ref: must be at most 128 characters');
    expect(firstIssue(hitReceiptSchema, withRecord('ref', 'XA 1'))).toBe('record.ref: may contain only letters, digits and . _ : / # -');
    expect(firstIssue(hitReceiptSchema, withRecord('owningUnit', 'u'.repeat(201)))).toBe('record.owningUnit: must be at most 200 characters');
    expect(firstIssue(hitReceiptSchema, withRecord('contactPoint', 'c'.repeat(301)))).toBe('record.contactPoint: must be at most 300 characters');
    expect(firstIssue(hitReceiptSchema, withRecord('contactPoint', ''))).toBe('record.contactPoint: must not be empty');
    expect(firstIssue(hitReceiptSchema, withRecord('recordDate', '2025-02-30'))).toBe('record.recordDate: is not a real calendar date');
    expect(firstIssue(hitReceiptSchema, { ...RECEIPT, caseReference: 'C'.repeat(129) })).toBe('caseReference: must be at most 128 characters');
  });

  it('refuses control characters: screen clears, hyperlinks, forged lines', () => {
    for (const [field, value] of [
      ['contactPoint', 'desk@xa.example\x1b[2J'],
      ['contactPoint', 'desk@xa.example\r\n  XA Hostile XA: NO_HIT'],
      ['owningUnit', '\x1b]8;;https://evil.example\x07Unit\x1b]8;;\x07'],
      ['owningUnit', 'Unit\x00'],
      ['contactPoint', 'desk\x9b2J@xa.example'],
    ] as const) {
      expect(firstIssue(hitReceiptSchema, withRecord(field, value))).toBe(`record.${field}: must not contain control characters`);
    }
    expect(firstIssue(hitReceiptSchema, { ...RECEIPT, keyType: 'email\x1b[1A' })).toBe('keyType: must not contain control characters');
    expect(firstIssue(hitReceiptSchema, { ...RECEIPT, issuer: { nodeId: 'node-b\x07', country: 'XB' } })).toBe('issuer.nodeId: must not contain control characters');
  });

  it('refuses bidi overrides and isolates in identifiers and contacts', () => {
    const bidi = 'must not contain bidirectional override or isolate characters (U+202A-U+202E, U+2066-U+2069)';
    expect(firstIssue(hitReceiptSchema, withRecord('contactPoint', '\u202emoc.live@ksed'))).toBe(`record.contactPoint: ${bidi}`);
    expect(firstIssue(hitReceiptSchema, withRecord('owningUnit', 'Unit \u2067A\u2069'))).toBe(`record.owningUnit: ${bidi}`);
    expect(firstIssue(hitReceiptSchema, { ...RECEIPT, receiptId: 'hit_\u202a1' })).toBe(`receiptId: ${bidi}`);
    // Right-to-left script itself is text, not a control: a contact point in Arabic is fine.
    expect(firstIssue(hitReceiptSchema, withRecord('owningUnit', 'وحدة الأطفال المفقودين'))).toBe('ok');
  });
});

describe('node descriptor text', () => {
  it('accepts a descriptor as Cairn publishes it', () => {
    expect(firstIssue(nodeDescriptorSchema, DESCRIPTOR)).toBe('ok');
  });

  it('refuses control and bidi characters in its name and node id, and a name too long', () => {
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, name: 'Borduria\x1b[8m' })).toBe('name: must not contain control characters');
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, name: 'Borduria\r\n  signing key fingerprint: 0000' })).toBe('name: must not contain control characters');
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, name: 'Borduria \u202e' })).toMatch(/^name: must not contain bidirectional/);
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, name: 'B'.repeat(201) })).toBe('name: must be at most 200 characters');
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, nodeId: 'node\x1b[2K' })).toBe('nodeId: must not contain control characters');
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, matchKeyTypes: ['email\x1b'] })).toBe('matchKeyTypes.0: must not contain control characters');
  });

  it('takes only http(s) base URLs without credentials, query or fragment', () => {
    for (const ok of ['https://cairn.xb.example', 'http://127.0.0.1:8701', 'https://cairn.xb.example/node/']) expect(nodeBaseUrl.safeParse(ok).success, ok).toBe(true);
    const refused: [string, string][] = [
      ['javascript:alert(document.domain)//', 'must be an absolute http(s) URL, not javascript:'],
      ['file:///etc/passwd', 'must be an absolute http(s) URL, not file:'],
      ['data:text/html,<script>alert(1)</script>', 'must be an absolute http(s) URL, not data:'],
      ['ftp://cairn.xb.example', 'must be an absolute http(s) URL, not ftp:'],
      ['https://user:password@cairn.xb.example', 'must not carry a user name or password'],
      ['https://user@cairn.xb.example', 'must not carry a user name or password'],
      ['https://cairn.xb.example/#frag', 'must not have a fragment (#…)'],
      ['https://cairn.xb.example/?q=1', 'must not have a query (?…)'],
      ['https://cairn.xb.example/\x1b[2J', 'must not contain spaces, control or bidirectional characters'],
      ['https://cairn.xb.example/\t', 'must not contain spaces, control or bidirectional characters'],
      ['not a url', 'must not contain spaces, control or bidirectional characters'],
      ['cairn.xb.example', 'must be an absolute http(s) URL'],
    ];
    for (const [url, message] of refused) expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, baseUrl: url }), url).toBe(`baseUrl: ${message}`);
  });
});

describe('records we import', () => {
  it('refuse in owning unit and contact point what a peer would refuse in their receipt', () => {
    const record = { ref: 'XA-1', category: 'missing_child', owningUnit: 'Unit', contactPoint: 'desk@xa.example', recordDate: '2026-01-01', retentionUntil: '2036-01-01', identifiers: { emails: ['a@b.example'] } };
    expect(recordEnvelopeSchema.safeParse(record).success).toBe(true);
    expect(firstIssue(recordEnvelopeSchema, { ...record, contactPoint: '\u202bوحدة البحث\u202c' })).toMatch(/^contactPoint: must not contain bidirectional/);
    expect(firstIssue(recordEnvelopeSchema, { ...record, owningUnit: 'Unit\u2066A\u2069' })).toMatch(/^owningUnit: must not contain bidirectional/);
    // Right-to-left text itself is fine.
    expect(recordEnvelopeSchema.safeParse({ ...record, owningUnit: 'وحدة البحث عن الأطفال' }).success).toBe(true);
  });
});

describe('descriptor times', () => {
  it('are whole seconds, as the overview says and nodes write them', () => {
    expect(nodeDescriptorSchema.safeParse(DESCRIPTOR).success).toBe(true);
    expect(firstIssue(nodeDescriptorSchema, { ...DESCRIPTOR, issuedAt: '2026-12-04T10:00:00.123Z' })).toMatch(/^issuedAt: /);
  });
});

describe('our own node configuration', () => {
  // What we publish, peers check: a name or URL they would refuse is refused at start-up, naming the setting.
  const config = (node: Record<string, string>) => () => resolveConfig({ node: { id: 'n1', country: 'XA', name: 'Arcadia', url: 'https://cairn.xa.example', ...node } }, {}, 'cairn.json');
  it('holds node.name and node.url to the rules peers check a descriptor by', () => {
    expect(config({ name: '\u202eaidacrA' })).toThrow(/node\.name.*bidirectional/);
    expect(config({ name: 'Arcadia\x1b[2J' })).toThrow(/node\.name.*control characters/);
    expect(config({ url: 'https://user:secret@cairn.xa.example' })).toThrow(/node\.url.*user name or password/);
    expect(config({ url: 'https://cairn.xa.example/?x=1' })).toThrow(/node\.url.*query/);
    expect(config({})().node).toMatchObject({ name: 'Arcadia', url: 'https://cairn.xa.example' });
    expect(config({ name: '  Arcadia  ', url: 'https://cairn.xa.example/' })().node).toMatchObject({ name: 'Arcadia', url: 'https://cairn.xa.example' });
  });
});

describe('terminalSafe', () => {
  it('shows control and bidi characters as visible escapes, never raw', () => {
    expect(terminalSafe('XA\x1b[2J\r\n  XA Hostile XA: NO_HIT\x07')).toBe('XA\\x1b[2J\\x0d\\x0a  XA Hostile XA: NO_HIT\\x07');
    expect(terminalSafe('\u202emoc.live@ksed')).toBe('\\u{202e}moc.live@ksed');
    expect(terminalSafe('a\x9bb\x7fc\u2066d\u2028')).toBe('a\\x9bb\\x7fc\\u{2066}d\\u{2028}');
    expect(terminalSafe('Арка́дия · وحدة — ok')).toBe('Арка́дия · وحدة — ok');
  });

  it('keeps the line breaks of a message of ours, and escapes everything else', () => {
    expect(terminalLines('refused:\n  peer says \x1b[2Jhi\r')).toBe('refused:\n  peer says \\x1b[2Jhi\\x0d');
  });

  it('keeps JSON valid and the value the same, with nothing unsafe left raw', () => {
    const value = { name: 'A\x1b[2J\x9b\u202e\u2028', n: [1, 2] };
    const out = terminalJson(value, 2);
    expect(JSON.parse(out)).toEqual(value);
    expect(out.replace(/\n/g, '')).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069\u2028\u2029]/u);
  });
});
