/**
 * Signed notes (c2sp.org/signed-note, as in golang.org/x/mod/sumdb/note):
 * text signed by one or more keys, the envelope of Cairn's checkpoints.
 *
 *   <text, ending in a newline>
 *   <blank line>
 *   — <key name> base64(key ID (4 bytes, big-endian) || signature)
 *   — <other key name> ...
 *
 * A key is named by the pair (key name, key ID), the key ID being the first
 * four bytes of SHA-256(key name || 0x0A || signature type || public key).
 * A verifier key ("vkey") is written `<name>+<8 hex digits of key ID>+<base64(type || public key)>`.
 *
 * Trust boundary: a note comes from outside (a peer, a file handed to a
 * data-protection officer). `parseNote` checks syntax only, with limits on
 * size and signature count; `openNote` is the only way to get text that may
 * be acted on, and it takes the trusted keys as an argument. Per the spec,
 * signatures from unknown keys are ignored, a known key whose signature fails
 * rejects the whole note, and a note with no verified signature is rejected.
 *
 * Errors: malformed notes and keys raise `checkpoint_invalid` (checkpoints
 * are the only notes Cairn reads); failed or missing signatures raise
 * `signature_invalid`.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, equalBytes, fromBase64, fromUtf8, toBase64, utf8 } from '../bytes.js';
import { MERKLE } from '../constants.js';
import { CairnError } from '../errors.js';
import { ed25519Verify, type Ed25519Verify } from '../signing.js';

const { note: N } = MERKLE;

/** One signature line. */
export interface NoteSignature {
  /** Key name. */
  name: string;
  /** Key ID (uint32). */
  keyId: number;
  /** The signature bytes after the 4-byte key ID. */
  signature: Uint8Array;
}

/** A parsed note: its text (with final newline) and its signature lines. */
export interface Note {
  text: string;
  signatures: NoteSignature[];
}

/** Produces signatures for one key. `sign` may be asynchronous (an HSM, a worker). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

/** Checks signatures of one trusted key. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(message: Uint8Array, signature: Uint8Array): boolean;
}

/** A decoded verifier key. */
export interface VerifierKey {
  name: string;
  keyId: number;
  /** Signature type byte: 0x01 Ed25519, 0x04 Ed25519 cosignature. */
  type: number;
  publicKey: Uint8Array;
}

/** A note after `openNote`: text that a trusted key signed. */
export interface OpenedNote {
  text: string;
  /** Signatures that verified under a given key. */
  verified: NoteSignature[];
  /** Signatures from keys not given (ignored, kept for display). */
  unverified: NoteSignature[];
}

/** Something that holds an Ed25519 key: src/core/signing.ts `Signer` fits. */
export interface Ed25519KeyHolder {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const malformed = (message: string, field = 'note'): CairnError =>
  new CairnError('checkpoint_invalid', message, { location: { field } });

// Unicode spaces (Go's unicode.IsSpace: \s plus U+0085) and '+' are banned in key names.
const BAD_NAME = /[\s\u0085+]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// ASCII control characters other than newline (c2sp.org/signed-note §Format).
const CONTROL = /[\u0000-\u0009\u000B-\u001F]/;

/** True if `name` is a valid key name: non-empty, no Unicode space, no '+'. */
export function isValidKeyName(name: string): boolean {
  return typeof name === 'string' && name.length > 0 && !BAD_NAME.test(name) && !LONE_SURROGATE.test(name) && !CONTROL.test(name);
}

/** Key ID = SHA-256(name || 0x0A || type || publicKey)[:4] as a uint32 (c2sp.org/signed-note §Signatures). */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  const h = sha256(concatBytes(utf8(name), new Uint8Array([0x0a, type]), publicKey));
  return ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

/** Verifier key text `<name>+<hex key ID>+<base64(type || public key)>`. */
export function formatVerifierKey(name: string, publicKey: Uint8Array, type: number = N.sigTypeEd25519): string {
  if (!isValidKeyName(name)) throw malformed(`key name ${JSON.stringify(name)} is empty or has a space or '+'`, 'name');
  return `${name}+${hex8(computeKeyId(name, type, publicKey))}+${toBase64(concatBytes(new Uint8Array([type]), publicKey))}`;
}

/**
 * Decode a verifier key (configuration or a peer's descriptor: checked).
 * Accepts Ed25519 keys of type 0x01 and 0x04; the key ID must match.
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  const bad = (why: string) => malformed(`verifier key: ${why}`, 'verifierKey');
  if (typeof vkey !== 'string' || vkey.length > 4096) throw bad('not a string of sensible length');
  const plus1 = vkey.indexOf('+');
  const plus2 = plus1 < 0 ? -1 : vkey.indexOf('+', plus1 + 1);
  if (plus2 < 0) throw bad('want <name>+<key ID>+<key>');
  const name = vkey.slice(0, plus1);
  const idHex = vkey.slice(plus1 + 1, plus2);
  if (!isValidKeyName(name)) throw bad('key name is empty or has a space');
  if (!/^[0-9a-f]{8}$/.test(idHex)) throw bad('key ID is not 8 lowercase hex digits');
  let raw: Uint8Array;
  try {
    raw = fromBase64(vkey.slice(plus2 + 1), 'verifierKey');
  } catch {
    throw bad('key is not canonical base64');
  }
  const type = raw[0];
  if (type !== N.sigTypeEd25519 && type !== N.sigTypeCosignatureV1) throw bad(`unsupported signature type ${String(type)}`);
  const publicKey = raw.slice(1);
  if (publicKey.length !== 32) throw bad(`Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
  if (!ed25519.utils.isValidPublicKey(publicKey, false)) throw bad('not a valid Ed25519 public key');
  const keyId = Number.parseInt(idHex, 16);
  if (keyId !== computeKeyId(name, type, publicKey)) throw bad('key ID does not match the name and key');
  return { name, keyId, type, publicKey };
}

/** Verifier for an Ed25519 (type 0x01) note key, from a vkey string or its decoded form; `verify` as in dsse.ts. */
export function ed25519NoteVerifier(key: string | VerifierKey, verify: Ed25519Verify = ed25519Verify): NoteVerifier {
  const k = typeof key === 'string' ? parseVerifierKey(key) : key;
  if (k.type !== N.sigTypeEd25519) {
    throw malformed(`verifier key ${k.name}: type ${k.type} is not a plain Ed25519 note key (cosigner keys go to cosignatureVerifier)`, 'verifierKey');
  }
  const publicKey = k.publicKey.slice();
  return { name: k.name, keyId: k.keyId, verify: (msg, sig) => verify(publicKey, msg, sig) };
}

/** Turn a 32-byte seed or a key holder into (public key, sign function). */
export function ed25519Key(key: Uint8Array | Ed25519KeyHolder): Ed25519KeyHolder {
  if (key instanceof Uint8Array) {
    if (key.length !== 32) throw new CairnError('key_invalid', 'Ed25519 seed must be 32 bytes');
    const seed = key.slice();
    return { publicKey: ed25519.getPublicKey(seed), sign: (m) => ed25519.sign(m, seed) };
  }
  if (!(key.publicKey instanceof Uint8Array) || key.publicKey.length !== 32 || typeof key.sign !== 'function') {
    throw new CairnError('key_invalid', 'Ed25519 signer needs a 32-byte publicKey and a sign function');
  }
  return key;
}

/** Signer for an Ed25519 (type 0x01) note key, from a 32-byte seed or a key holder. */
export function ed25519NoteSigner(name: string, key: Uint8Array | Ed25519KeyHolder): NoteSigner {
  if (!isValidKeyName(name)) throw new CairnError('key_invalid', `key name ${JSON.stringify(name)} is empty or has a space or '+'`);
  const k = ed25519Key(key);
  return { name, keyId: computeKeyId(name, N.sigTypeEd25519, k.publicKey), sign: (m) => k.sign(m) };
}

function checkText(s: string, what: string): void {
  if (LONE_SURROGATE.test(s)) throw malformed(`${what} is not valid UTF-8`);
  const c = CONTROL.exec(s);
  if (c) throw malformed(`${what} has a control character U+${c[0].charCodeAt(0).toString(16).padStart(4, '0')}`, 'note');
}

/**
 * Parse a note's syntax (c2sp.org/signed-note §Format). Says nothing about
 * who signed it: use `openNote` before trusting the text.
 */
export function parseNote(input: string | Uint8Array): Note {
  let msg: string;
  if (typeof input === 'string') {
    if (input.length > N.maxBytes) throw malformed(`note is larger than ${N.maxBytes} bytes`);
    msg = input;
  } else {
    if (!(input instanceof Uint8Array)) throw malformed('note must be text or bytes');
    if (input.length > N.maxBytes) throw malformed(`note is larger than ${N.maxBytes} bytes`);
    try {
      msg = fromUtf8(input);
    } catch {
      throw malformed('note is not valid UTF-8');
    }
  }
  if (utf8(msg).length > N.maxBytes) throw malformed(`note is larger than ${N.maxBytes} bytes`);
  checkText(msg, 'note');
  if (!msg.endsWith('\n')) throw malformed('note does not end with a newline');
  // The text ends at the last blank line; everything after is signatures.
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw malformed('note has no blank line before its signatures');
  const text = msg.slice(0, split + 1);
  const lines = msg.slice(split + 2, -1).split('\n');
  if (lines.length > N.maxSignatures) throw malformed(`note has more than ${N.maxSignatures} signatures`);
  const signatures = lines.map((line, i) => parseSignatureLine(line, i));
  return { text, signatures };
}

function parseSignatureLine(line: string, i: number): NoteSignature {
  const field = `signatures[${i}]`;
  if (!line.startsWith(N.signaturePrefix)) throw malformed(`signature line ${i + 1} does not start with an em dash and a space`, field);
  const rest = line.slice(N.signaturePrefix.length);
  const space = rest.indexOf(' ');
  const name = rest.slice(0, space);
  const b64 = rest.slice(space + 1);
  if (space < 0 || !isValidKeyName(name) || b64.includes(' ')) throw malformed(`signature line ${i + 1} is not "— <key name> <base64>"`, field);
  let raw: Uint8Array;
  try {
    raw = fromBase64(b64, field);
  } catch {
    throw malformed(`signature line ${i + 1} is not canonical base64`, field);
  }
  if (raw.length <= N.keyIdBytes) throw malformed(`signature line ${i + 1} is too short`, field);
  const keyId = ((raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!) >>> 0;
  return { name, keyId, signature: raw.slice(N.keyIdBytes) };
}

/** One signature line, with its newline. */
export function formatSignatureLine(sig: NoteSignature): string {
  if (!isValidKeyName(sig.name)) throw malformed(`key name ${JSON.stringify(sig.name)} is empty or has a space or '+'`, 'name');
  const id = new Uint8Array([sig.keyId >>> 24, (sig.keyId >>> 16) & 0xff, (sig.keyId >>> 8) & 0xff, sig.keyId & 0xff]);
  return `${N.signaturePrefix}${sig.name} ${toBase64(concatBytes(id, sig.signature))}\n`;
}

/** Serialize a note: text, blank line, signature lines. */
export function formatNote(note: Note): string {
  checkNoteText(note.text);
  if (note.signatures.length === 0) throw malformed('a note needs at least one signature');
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

function checkNoteText(text: string): void {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw malformed('note text must end with a newline', 'text');
  checkText(text, 'note text');
}

/**
 * Sign `text` with each signer and return the note. Signatures in `keep`
 * (e.g. a log's own signature, when a cosigner adds theirs) come first;
 * a kept signature by the same key as a signer is replaced.
 */
export async function signNote(text: string, signers: readonly NoteSigner[], keep: readonly NoteSignature[] = []): Promise<string> {
  checkNoteText(text);
  const message = utf8(text);
  const fresh: NoteSignature[] = [];
  for (const s of signers) {
    if (!isValidKeyName(s.name)) throw new CairnError('key_invalid', `signer name ${JSON.stringify(s.name)} is empty or has a space or '+'`);
    const signature = await s.sign(message);
    if (!(signature instanceof Uint8Array) || signature.length === 0) throw new CairnError('internal', `signer ${s.name} returned no signature`);
    fresh.push({ name: s.name, keyId: s.keyId >>> 0, signature });
  }
  const replaced = (k: NoteSignature) => fresh.some((f) => f.name === k.name && f.keyId === k.keyId);
  return formatNote({ text, signatures: [...keep.filter((k) => !replaced(k)), ...fresh] });
}

/**
 * Verify a note against trusted keys and return its text
 * (c2sp.org/signed-note §Signatures). Throws `signature_invalid` if a
 * trusted key's signature fails or none of the trusted keys signed.
 */
export function openNote(input: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const note = parseNote(input);
  const message = utf8(note.text);
  const verified: NoteSignature[] = [];
  const unverified: NoteSignature[] = [];
  for (const sig of note.signatures) {
    const keys = verifiers.filter((v) => v.name === sig.name && v.keyId >>> 0 === sig.keyId);
    if (keys.length > 1) {
      throw new CairnError('signature_invalid', `ambiguous key ${sig.name}+${hex8(sig.keyId)}: given more than once`);
    }
    const key = keys[0];
    if (!key) {
      unverified.push(sig);
      continue;
    }
    if (!key.verify(message, sig.signature)) {
      throw new CairnError('signature_invalid', `invalid signature for key ${sig.name}+${hex8(sig.keyId)}`, {
        details: { keyName: sig.name, keyId: hex8(sig.keyId) },
      });
    }
    if (!verified.some((v) => v.name === sig.name && v.keyId === sig.keyId && equalBytes(v.signature, sig.signature))) verified.push(sig);
  }
  if (verified.length === 0) {
    throw new CairnError('signature_invalid', 'note has no signature from a trusted key', {
      details: { signedBy: note.signatures.map((s) => `${s.name}+${hex8(s.keyId)}`) },
    });
  }
  return { text: note.text, verified, unverified };
}
