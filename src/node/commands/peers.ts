/**
 * `cairn peers add|list|policy|revoke|remove`.
 */
import { createInterface } from 'node:readline/promises';
import { PURPOSES } from '../../../schemas/federation.js';
import { RECORD_CATEGORIES } from '../../../schemas/records.js';
import { fromBase64Url } from '../../core/bytes.js';
import { CairnError } from '../../core/errors.js';
import { addPeer, describePeer, fetchDescriptor, findPeer, listPeers, removePeer, revokePeer, setPeerPolicy } from '../../core/federation/peers.js';
import { fingerprintOf } from '../../core/signing.js';
import type { CommandHelp } from '../cli-help.js';
import { args, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { openNodeContext } from '../context.js';

export const PEERS_HELP: CommandHelp[] = [
  {
    command: 'peers add',
    synopsis: 'URL [--fingerprint FP]',
    about: [
      "fetch a peer's signed descriptor, show its key fingerprints and, once you",
      'confirm them (or they equal --fingerprint), pin them; the peer may search',
      'for nothing until you set its policy',
    ],
  },
  { command: 'peers list', about: ['peers, fingerprints and policy'] },
  {
    command: 'peers policy',
    synopsis: 'PEER --allow PURPOSE=CATEGORY[,CATEGORY…] […] [--rate N] [--budget N]',
    about: ["replace a peer's policy: which purposes it may search for and which of our", 'record categories each may match; requests/minute; elements/day'],
  },
  { command: 'peers revoke', synopsis: 'PEER [--reason TEXT]', about: ['stop searching and answering a peer; it stays listed'] },
  { command: 'peers remove', synopsis: 'PEER', about: ['forget a peer (its past searches stay in the audit log)'] },
];

export async function cmdPeers(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, {
    fingerprint: { type: 'string' },
    allow: { type: 'string', multiple: true },
    rate: { type: 'string' },
    budget: { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (!['add', 'list', 'policy', 'revoke', 'remove'].includes(sub ?? '')) {
    throw new UsageError(`peers: expected add, list, policy, revoke or remove${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  }
  const ctx = await openNodeContext(homeOf(values));
  try {
    switch (sub) {
      case 'add': {
        const [url] = positionals(pos, ['URL']);
        const { envelope, descriptor } = await fetchDescriptor(fetch, url!);
        const fp = fingerprintOf(fromBase64Url(descriptor.signingKey.publicKey));
        io.out(`node ${descriptor.nodeId}: ${descriptor.country} "${descriptor.name}" at ${descriptor.baseUrl}`);
        io.out(`  signing key fingerprint: ${fp}`);
        io.out(`  VOPRF key fingerprint:   ${fingerprintOf(fromBase64Url(descriptor.oprfKey.publicKey))}`);
        if (values.fingerprint !== undefined) {
          if (values.fingerprint.trim().toLowerCase() !== fp) {
            throw new CairnError('signature_invalid', `fingerprint mismatch: expected ${values.fingerprint.trim()}, the node presents ${fp}; nothing was added`);
          }
        } else {
          if (!process.stdin.isTTY) throw new UsageError('compare the fingerprint with the peer out of band, then run again with --fingerprint FP (no terminal to ask on)');
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question('Does this fingerprint match the one the peer gave you out of band? Type "yes" to pin it: ');
          rl.close();
          if (answer.trim().toLowerCase() !== 'yes') {
            io.err('not added');
            return 1;
          }
        }
        const peer = await addPeer(ctx, envelope, descriptor, 'cli', ctx.config.node.id);
        io.out(`added peer ${peer.country} (${peer.id}); policy: deny all — set it with \`cairn peers policy ${peer.country} --allow …\``);
        return 0;
      }
      case 'list': {
        positionals(pos, []);
        const peers = (await listPeers(ctx.db)).map(describePeer);
        if (values.json) io.out(JSON.stringify(peers, null, 2));
        else if (peers.length === 0) io.out('no peers yet: cairn peers add URL');
        else
          for (const p of peers) {
            io.out(`${p.country}  ${p.status.padEnd(7)}  ${p.name}  ${p.baseUrl}  (${p.id})`);
            io.out(`    signing ${p.signingKeyFingerprint}`);
            const allowed = Object.entries(p.policy.purposes).map(([k, v]) => `${k}=${(v ?? []).join(',')}`);
            io.out(`    policy: ${allowed.length ? allowed.join('; ') : 'deny all'}; ${p.policy.ratePerMinute}/min; ${p.policy.dailyElementBudget} elements/day`);
          }
        return 0;
      }
      case 'policy': {
        const [sel] = positionals(pos, ['PEER']);
        const current = await findPeer(ctx.db, sel!);
        const purposes: Record<string, string[]> = {};
        for (const a of values.allow ?? []) {
          const m = /^([a-z_]+)=([a-z_,]+)$/.exec(a);
          if (!m) throw new UsageError(`--allow ${JSON.stringify(a)}: expected PURPOSE=CATEGORY[,CATEGORY…]; purposes: ${PURPOSES.join(', ')}; categories: ${RECORD_CATEGORIES.join(', ')}`);
          purposes[m[1]!] = m[2]!.split(',');
        }
        const num = (v: string | undefined, d: number, flag: string) => {
          if (v === undefined) return d;
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag}: expected a non-negative integer`);
          return n;
        };
        const p = await setPeerPolicy(
          ctx,
          current.id,
          { purposes, ratePerMinute: num(values.rate, current.policy.ratePerMinute, 'rate'), dailyElementBudget: num(values.budget, current.policy.dailyElementBudget, 'budget') },
          'cli',
        );
        io.out(`policy of ${p.country} (${p.id}) set: ${JSON.stringify(p.policy)}`);
        return 0;
      }
      case 'revoke': {
        const [sel] = positionals(pos, ['PEER']);
        const p = await revokePeer(ctx, sel!, 'cli', values.reason);
        io.out(`revoked peer ${p.country} (${p.id})`);
        return 0;
      }
      default: {
        const [sel] = positionals(pos, ['PEER']);
        const p = await removePeer(ctx, sel!, 'cli');
        io.out(`removed peer ${p.country} (${p.id})`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
