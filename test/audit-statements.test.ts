/**
 * The statements a node signs into its own audit entries (key successions,
 * prunes: src/core/audit/statements.ts), against PROTOCOL.md §40
 * "Verifying a log": the printed envelopes are recomputed from their seeds,
 * and each opens only under its key, for its log, unaltered.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openPrune, openSuccession, signPrune, signSuccession } from '../src/core/audit/statements.js';
import { fromBase64, toBase64, utf8 } from '../src/core/bytes.js';
import { withAnyKey } from '../src/core/keys/history.js';
import { ed25519Signer } from '../src/core/signing.js';

const doc = readFileSync(new URL('../protocol/40-audit-log.md', import.meta.url), 'utf8');
const origin = 'node-a.cairn.example/cairn-audit';
const next = ed25519Signer(new Uint8Array(32).fill(0x42));
const previous = ed25519Signer(new Uint8Array(32).fill(0x41));

describe('signed statements in audit entries', () => {
  it('prints the exact succession and prune envelopes of its example', () => {
    const succession = signSuccession(next, previous.keyId, origin);
    const prune = signPrune(next, { origin, through: 41, before: '2023-12-04T00:00:00.000Z' });
    expect(doc).toContain(`\`\`\`json\n${JSON.stringify(succession)}\n\`\`\``);
    expect(doc).toContain(`\`\`\`json\n${JSON.stringify(prune)}\n\`\`\``);
    expect(doc).toContain(next.keyId);
    expect(doc).toContain(previous.keyId);
  });

  it('opens a succession only under the new key, for its own log, unaltered', () => {
    const env = signSuccession(next, previous.keyId, origin);
    expect(openSuccession(env, next.publicKey, origin)).toEqual({ origin, previousKeyId: previous.keyId, keyId: next.keyId });
    expect(() => openSuccession(env, previous.publicKey, origin)).toThrow(/no signature by key/);
    expect(() => openSuccession(env, next.publicKey, 'node-b.cairn.example/cairn-audit')).toThrow(/names the log "node-a/);
    const altered = { ...env, payload: toBase64(utf8(new TextDecoder().decode(fromBase64(env.payload)).replace(previous.keyId, next.keyId))) };
    expect(() => openSuccession(altered, next.publicKey, origin)).toThrow(/does not verify/);
    const asPrune = { ...env, payloadType: 'application/vnd.cairn.audit-prune+json' };
    expect(() => openSuccession(asPrune, next.publicKey, origin)).toThrow(/payloadType/);
  });

  it('opens a prune under any of the trusted keys that signed it, and no other', () => {
    const env = signPrune(previous, { origin, through: 41, before: '2023-12-04T00:00:00.000Z' });
    expect(withAnyKey([next.publicKey, previous.publicKey], (k) => openPrune(env, k, origin))).toEqual({ origin, through: 41, before: '2023-12-04T00:00:00.000Z' });
    expect(() => openPrune(env, next.publicKey, origin)).toThrow(/no signature by key/);
    expect(() => withAnyKey([], (k: Uint8Array) => openPrune(env, k, origin))).toThrow(/no key/);
    expect(() => openPrune(undefined, previous.publicKey, origin)).toThrow(/malformed/);
  });
});
