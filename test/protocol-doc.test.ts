import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleProtocol } from '../scripts/build-protocol.js';
import { AUDIT_EVENT_TYPES } from '../schemas/audit.js';
import { ERROR_CODES, LOCAL_ERROR_CODES } from '../src/core/errors.js';
import { fromHex, utf8 } from '../src/core/bytes.js';
import { deriveOprfKeyPair } from '../src/core/oprf/index.js';
import { ed25519Signer, fingerprintOf, keyIdOf } from '../src/core/signing.js';
import { ROOT } from './helpers/cli.js';

describe('PROTOCOL.md', () => {
  it('is the current assembly of protocol/*.md (run `npm run protocol` after editing a section)', () => {
    expect(readFileSync(join(ROOT, 'PROTOCOL.md'), 'utf8')).toBe(assembleProtocol(join(ROOT, 'protocol')));
  });

  it('documents every problem code a peer can receive', () => {
    const doc = readFileSync(join(ROOT, 'PROTOCOL.md'), 'utf8');
    const peerFacing = ERROR_CODES.filter((c) => !LOCAL_ERROR_CODES.has(c));
    for (const code of peerFacing) expect(doc, code).toContain(`\`${code}\``);
    // Local codes that reach a peer all the same: a path the node does not serve, a node that failed.
    for (const code of ['not_found', 'internal']) expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| \\d{3} \\|`));
  });

  it('lists every audit event type (section 45)', () => {
    const doc = readFileSync(join(ROOT, 'protocol', '45-audit-federation.md'), 'utf8');
    const listed = doc.split('Event types: ')[1]?.split('`data` never holds')[0] ?? '';
    expect([...listed.matchAll(/`([a-z_.]+)`/g)].map((m) => m[1])).toEqual([...AUDIT_EVENT_TYPES]);
  });

  it('names the exact versions of the data key derivation depends on, as installed and locked (section 10.9)', () => {
    const doc = readFileSync(join(ROOT, 'protocol/19-key-derivation-dependencies.md'), 'utf8');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string; integrity: string }> };
    for (const name of ['libphonenumber-js', 'any-ascii']) {
      const installed = (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
      // Exact pins: a caret range would let a fresh install change keys silently.
      expect(pkg.dependencies[name], name).toBe(installed);
      expect(lock.packages[`node_modules/${name}`]!.version, name).toBe(installed);
      expect(doc, name).toContain(`| ${name} (npm) | \`${installed}\``);
      expect(doc, name).toContain(lock.packages[`node_modules/${name}`]!.integrity);
    }
    const metadata = readFileSync(join(ROOT, 'node_modules/libphonenumber-js/metadata.max.json'));
    expect(doc).toContain(createHash('sha256').update(metadata).digest('hex'));
    expect(doc).toContain(`metadata format version ${(JSON.parse(metadata.toString('utf8')) as { version: number }).version}`);
    // any-ascii's tables: block.js, which any-ascii.js reads.
    const blocks = readFileSync(join(ROOT, 'node_modules/any-ascii/block.js'));
    expect(doc).toContain(createHash('sha256').update(blocks).digest('hex'));
    expect(readFileSync(join(ROOT, 'node_modules/any-ascii/any-ascii.js'), 'utf8')).toContain("import block from './block.js'");
    // The code uses the metadata and tables the document names.
    expect(readFileSync(join(ROOT, 'src/core/identity/normalise-contact.ts'), 'utf8')).toContain("from 'libphonenumber-js/max'");
    expect(readFileSync(join(ROOT, 'src/core/identity/transliterate.ts'), 'utf8')).toContain("import anyAscii from 'any-ascii'");
  });

  it('lists in full the y of every small-order Ed25519 point (overview, rule 3)', () => {
    const doc = readFileSync(join(ROOT, 'protocol/00-overview.md'), 'utf8');
    const t8 = ed25519.Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
    expect(t8.multiply(4n).is0()).toBe(false);
    expect(t8.multiply(8n).is0()).toBe(true);
    // The torsion group is cyclic of order 8: the multiples of t8 are its eight points, with five distinct y.
    const ys = new Set<string>();
    for (let i = 1n; i <= 8n; i++) {
      const e = t8.multiply(i).toBytes();
      e[31]! &= 0x7f;
      ys.add(Buffer.from(e).toString('hex'));
    }
    expect(ys.size).toBe(5);
    const listed = [...doc.matchAll(/^ {3}([0-9a-f]{64}) {3}/gm)].map((m) => m[1]);
    expect(new Set(listed)).toEqual(ys);
  });

  it('states the key ids of the TEST keys as the descriptor derives them (overview)', () => {
    const doc = readFileSync(join(ROOT, 'protocol/00-overview.md'), 'utf8').replace(/\s+/g, ' ');
    const signing = ed25519Signer(new Uint8Array(32).fill(0x11));
    const oprf = deriveOprfKeyPair(fromHex('a5'.repeat(32)), utf8('cairn test key'));
    expect(doc).toContain(`\`signingKey.keyId\` of the Ed25519 seed \`0x11…11\` (section 30) is \`${signing.keyId}\``);
    expect(doc).toContain(`\`oprfKey.keyId\` of the TEST OPRF key (section 20) is \`${keyIdOf(oprf.publicKey)}\``);
    const fp = fingerprintOf(signing.publicKey);
    expect(doc).toContain(`(\`${fp.slice(0, 14)}:…:${fp.slice(-4)}\`)`);
  });

  it('lists every conformance vector file in its conformance section (section 50)', () => {
    const doc = readFileSync(join(ROOT, 'protocol/50-conformance.md'), 'utf8');
    const files = readdirSync(join(ROOT, 'test/vectors/conformance')).sort();
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) expect(doc, f).toContain(`| \`${f}\` |`);
  });
});
