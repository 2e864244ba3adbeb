/**
 * `cairn keys show`: the node's public key material, for operators who give
 * peers the fingerprint and DPOs who verify checkpoints elsewhere.
 */
import { statSync } from 'node:fs';
import { logVerifierKey, originOf } from '../../core/audit/log.js';
import { fingerprintOf, keyIdOf } from '../../core/signing.js';
import { toBase64Url } from '../../core/bytes.js';
import type { CommandHelp } from '../cli-help.js';
import { args, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { loadConfig, loadKeys, resolveIn } from '../home.js';
import { cmdKeysOprf, isOprfKeysCommand, KEYS_OPRF_HELP } from './keys-oprf.js';

export const KEYS_HELP: CommandHelp[] = [{ command: 'keys show', about: ["fingerprints and public keys; the audit log's verifier key (C2SP vkey)"] }, ...KEYS_OPRF_HELP];

export async function cmdKeys(argv: string[], io: Out): Promise<number> {
  if (isOprfKeysCommand(argv)) return cmdKeysOprf(argv, io);
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, { json: { type: 'boolean' } });
  if (sub !== 'show') throw new UsageError(`keys: expected show${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  positionals(pos, []);
  const home = homeOf(values);
  const config = loadConfig(home, process.env);
  const keys = loadKeys(home, config);
  const mode = (p: string) => (statSync(resolveIn(home, p)).mode & 0o777).toString(8).padStart(4, '0');
  const info = {
    signing: {
      file: config.keys.signing,
      mode: mode(config.keys.signing),
      keyId: keys.signer.keyId,
      fingerprint: fingerprintOf(keys.signer.publicKey),
      publicKey: toBase64Url(keys.signer.publicKey),
    },
    oprf: {
      file: config.keys.oprf,
      mode: mode(config.keys.oprf),
      suite: 'ristretto255-SHA512',
      keyId: keyIdOf(keys.oprfPublicKey),
      fingerprint: fingerprintOf(keys.oprfPublicKey),
      publicKey: toBase64Url(keys.oprfPublicKey),
    },
    auditLog: { origin: originOf(config.node.url), verifierKey: logVerifierKey(config.node.url, keys.signer.publicKey) },
  };
  if (values.json) {
    io.out(JSON.stringify(info, null, 2));
    return 0;
  }
  io.out(`signing key (Ed25519)   ${info.signing.file} (mode ${info.signing.mode})`);
  io.out(`  fingerprint           ${info.signing.fingerprint}`);
  io.out(`VOPRF key (${info.oprf.suite})  ${info.oprf.file} (mode ${info.oprf.mode})`);
  io.out(`  fingerprint           ${info.oprf.fingerprint}`);
  io.out(`audit log               ${info.auditLog.origin}`);
  io.out(`  verifier key          ${info.auditLog.verifierKey}`);
  io.out('Replacing the signing key means every peer must pin the node again; replacing the VOPRF key means re-importing every record (tokens cannot be re-keyed without the identifiers, which the node does not keep).');
  return 0;
}
