/**
 * `cairn keys show|status|rotate`: the node's key material and lifecycle.
 *
 * Subcommands are dispatched through tables (KEYS_SUBCOMMANDS, and
 * ROTATE_TARGETS for `keys rotate KEY`) so each key's lifecycle adds its
 * entries without touching the others.
 */
import { renameSync, statSync } from 'node:fs';
import { logVerifierKey, originOf } from '../../core/audit/log.js';
import { toBase64Url } from '../../core/bytes.js';
import { KEYS } from '../../core/constants.js';
import { rotationStatements } from '../../core/keys/history.js';
import { webRandom } from '../../core/ports.js';
import type { KeyStatus } from '../../core/services-keys.js';
import { fingerprintOf, keyIdOf } from '../../core/signing.js';
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';
import { nodeEd25519Signer } from '../ed25519.js';
import { loadConfig, loadKeys, resolveIn } from '../home.js';
import { discardKeyFile, readKeyFile, writeKeyFile } from '../keyfile.js';
import { servingPid } from '../lock.js';
import { destroyKeyFile, finishInterruptedRotation, nextKeyPath, previousKeyPath } from '../signing-keys.js';
import { cmdKeysOprf, KEYS_OPRF_HELP } from './keys-oprf.js';

export const KEYS_HELP: CommandHelp[] = [
  { command: 'keys show', about: ["fingerprints and public keys; the audit log's verifier key (C2SP vkey)"] },
  { command: 'keys status', about: ["each key's age, a running overlap, and when keys.rotateEveryDays makes it due"] },
  {
    command: 'keys rotate signing',
    synopsis: `[--overlap-days N] [--compromised]`,
    about: [
      'new Ed25519 signing key (mode 0600); for N days (default 14) the descriptor',
      'lists both keys signed by both, so peers re-pin on their own. --compromised:',
      'no cross-signature; every peer must check the new fingerprint by hand',
    ],
  },
  ...KEYS_OPRF_HELP,
];

type Subcommand = (argv: string[], io: Out) => Promise<number>;

/** `keys show`. */
async function keysShow(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, { json: { type: 'boolean' } });
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
  io.out('Rotate the signing key with `cairn keys rotate signing`: peers follow through a cross-signed descriptor. `cairn keys status` says when a rotation is due.');
  return 0;
}

const day = (iso: string) => iso.slice(0, 10);
const ageText = (s: number) => (s >= 86_400 ? `${Math.floor(s / 86_400)} days` : s >= 3600 ? `${Math.floor(s / 3600)} h` : `${Math.floor(s / 60)} min`);

/** One key's lines of `keys status`. */
export function statusLines(k: KeyStatus): string[] {
  const name = k.key === 'signing' ? 'signing key (Ed25519)' : 'VOPRF key';
  const lines = [
    `${name}  ${k.fingerprint}`,
    `  age ${ageText(k.ageSeconds)} (created ${day(k.createdAt)}); rotate every ${k.rotateEveryDays} days: ${k.due ? `DUE since ${day(k.dueAt)}` : `due ${day(k.dueAt)}`}`,
  ];
  for (const r of k.retiring ?? []) lines.push(`  overlap: the previous key ${r.fingerprint} cross-signs the descriptor until ${r.overlapUntil}`);
  if (k.key === 'signing' && !k.retiring?.length) lines.push('  overlap: none running');
  return lines;
}

/** `keys status`. */
async function keysStatus(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, { json: { type: 'boolean' } });
  positionals(pos, []);
  const ctx = await openNodeContext(homeOf(values));
  try {
    const status = await (await nodeServices(ctx)).keys.status();
    if (values.json) io.out(JSON.stringify(status, null, 2));
    else for (const k of status) for (const l of statusLines(k)) io.out(l);
    return 0;
  } finally {
    await ctx.close();
  }
}

/** `keys rotate signing [--overlap-days N] [--compromised]`. */
async function rotateSigning(argv: string[], io: Out): Promise<number> {
  const { values, positionals: pos } = args(argv, { 'overlap-days': { type: 'string' }, compromised: { type: 'boolean' }, json: { type: 'boolean' } });
  positionals(pos, []);
  if (values.compromised && values['overlap-days'] !== undefined) throw new UsageError('--compromised publishes no cross-signature: it takes no --overlap-days');
  const days = values['overlap-days'] === undefined ? KEYS.defaultOverlapDays : Number(values['overlap-days']);
  if (!Number.isInteger(days) || days < 1 || days > KEYS.maxOverlapDays) {
    throw new UsageError(`--overlap-days: expected a whole number of days from 1 to ${KEYS.maxOverlapDays}, not ${JSON.stringify(values['overlap-days'])}`);
  }
  const home = homeOf(values);
  const ctx = await openNodeContext(home);
  try {
    const currentPath = resolveIn(home, ctx.config.keys.signing);
    const nextPath = nextKeyPath(currentPath);
    const previousPath = previousKeyPath(currentPath);
    // A rotation that stopped half-way: recorded, it is finished (and that is this command's work); not, its unused key goes.
    const interrupted = await finishInterruptedRotation(ctx.db, currentPath, ctx.clock.now());
    if (interrupted.state === 'finished') {
      io.out(`finished an interrupted rotation: the node's signing key is ${interrupted.keyId} (retired ${interrupted.previousKeyId}); run \`cairn keys rotate signing\` again only if you want yet another key`);
      return 0;
    }
    if (interrupted.state === 'discarded') io.err(`cairn: destroyed ${nextPath}: a key left by a rotation that was never recorded (the node never used it)`);
    const currentSeed = readKeyFile(currentPath, 'signing');
    const previous = nodeEd25519Signer(currentSeed);
    const seed = webRandom.bytes(32);
    const next = nodeEd25519Signer(seed);
    const now = ctx.clock.now();
    const overlapUntil = values.compromised ? null : new Date(now.getTime() + days * 86_400_000);
    // Order matters to a serving process that looks at the files meanwhile
    // (signing-keys.ts): the new key file, then the record of the overlap,
    // then the previous key beside the current one, then the swap.
    writeKeyFile(nextPath, seed, 'signing');
    try {
      await ctx.atomic.run(rotationStatements(ctx.db, { previous: previous.publicKey, next, origin: originOf(ctx.config.node.url), at: now, overlapUntil, actor: cliActor() }));
    } catch (e) {
      // The unit rolled back (a full disk, a busy database): nothing was
      // rotated, so the new key, never used, goes too and the rotation can
      // simply run again.
      try {
        discardKeyFile(nextPath);
      } catch (d) {
        io.err(`cairn: could not remove ${nextPath} (${d instanceof Error ? d.message : String(d)}); the node does not use it: delete it before rotating again`);
      }
      throw e;
    }
    destroyKeyFile(previousPath);
    if (overlapUntil) writeKeyFile(previousPath, currentSeed, 'signing previous');
    renameSync(nextPath, currentPath);
    currentSeed.fill(0);
    seed.fill(0);
    const serving = servingPid(home);
    const result = {
      keyId: next.keyId,
      fingerprint: fingerprintOf(next.publicKey),
      previousKeyId: previous.keyId,
      previousFingerprint: fingerprintOf(previous.publicKey),
      overlapUntil: overlapUntil?.toISOString() ?? null,
      compromised: values.compromised === true,
      servedBy: serving ?? null,
    };
    if (values.json) {
      io.out(JSON.stringify(result, null, 2));
      return 0;
    }
    io.out(`new signing key ${result.fingerprint} (${ctx.config.keys.signing}, mode 0600)`);
    io.out(`retired         ${result.previousFingerprint} (kept in the key history: its checkpoints and receipts still verify)`);
    if (overlapUntil) {
      io.out(`until ${result.overlapUntil} the descriptor lists both keys, signed by both; peers re-pin on their own at their next request or check`);
    } else {
      io.out('compromised: no cross-signature. Every peer now shows this node as repin_required; give each operator the new fingerprint');
      io.out(`out of band, to pin with \`cairn peers update ${ctx.config.node.country} --fingerprint ${result.fingerprint}\``);
    }
    io.out(serving ? `the serving process ${serving} takes the new key within ${KEYS.reloadIntervalMs / 1000} s` : 'the node signs with the new key from its next start');
    return 0;
  } finally {
    await ctx.close();
  }
}

/** `keys rotate KEY`: one entry per key (the VOPRF key's epochs add theirs). */
export const ROTATE_TARGETS: Record<string, Subcommand> = {
  signing: rotateSigning,
  oprf: (argv, io) => cmdKeysOprf(['rotate', 'oprf', ...argv], io),
};

/** `keys SUBCOMMAND`. */
export const KEYS_SUBCOMMANDS: Record<string, Subcommand> = {
  show: keysShow,
  status: keysStatus,
  epochs: (argv, io) => cmdKeysOprf(['epochs', ...argv], io),
  activate: (argv, io) => cmdKeysOprf(['activate', ...argv], io),
  async rotate(argv, io) {
    const [target, ...rest] = argv;
    const run = target !== undefined && Object.hasOwn(ROTATE_TARGETS, target) ? ROTATE_TARGETS[target] : undefined;
    if (!run) throw new UsageError(`keys rotate: expected ${Object.keys(ROTATE_TARGETS).join(' or ')}${target ? `, not ${JSON.stringify(target)}` : ''}`);
    return run(rest, io);
  },
};

export async function cmdKeys(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub !== undefined && Object.hasOwn(KEYS_SUBCOMMANDS, sub) ? KEYS_SUBCOMMANDS[sub] : undefined;
  if (!run) throw new UsageError(`keys: expected ${Object.keys(KEYS_SUBCOMMANDS).join(', ')}${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  return run(rest, io);
}
