/**
 * `cairn peers add|list|update|policy|sync|revoke|remove`.
 */
import { createInterface } from 'node:readline/promises';
import { PURPOSES, type PeerPolicy } from '../../../schemas/federation.js';
import { RECORD_CATEGORIES } from '../../../schemas/records.js';
import { fromBase64Url } from '../../core/bytes.js';
import { isCairnError } from '../../core/errors.js';
import { describePeer, pinnedBaseUrl } from '../../core/federation/peers.js';
import { applyPolicyEdit, describePolicyChange, parseGrant, type PolicyEdit } from '../../core/federation/policy-edit.js';
import { isCountryCode } from '../../core/identity/countries.js';
import { fingerprintOf } from '../../core/signing.js';
import type { CommandHelp } from '../cli-help.js';
import { args, cliActor, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';
import { terminalJson, terminalOut } from '../terminal-text.js';
import type { IndexService } from '../../core/federation/index/service.js';
import type { SyncProgress } from '../../core/federation/index/sync.js';
import { INDEX } from '../../core/constants.js';

/** Sync one peer's replicas in the foreground, printing progress; false when any replica failed. */
async function syncWithProgress(index: IndexService, peerId: string, label: string, io: Out): Promise<boolean> {
  let lastPct = -1;
  const onProgress = (p: SyncProgress) => {
    if (p.phase === 'snapshot') {
      const pct = Math.floor((p.shardsDone * 100) / INDEX.shardCount);
      if (pct !== lastPct && (pct % 25 === 0 || pct === 100)) io.out(`  ${label} ${p.category}: snapshot ${pct}% (${p.shardsDone}/${INDEX.shardCount} shards)`);
      lastPct = pct;
    } else if (p.phase === 'done') lastPct = -1;
  };
  try {
    const result = await index.sync(peerId, onProgress);
    const states = await index.states(peerId);
    if (states.length === 0) io.out(`  ${label}: the peer lets us fetch no index yet (its policy for us allows no category)`);
    for (const st of states) io.out(`  ${label} ${st.category}: ${st.status}, version ${st.version}, ${st.count} fingerprints${st.error ? ` (${st.error})` : ''}`);
    return Object.values(result).every((x) => x === 'ready');
  } catch (e) {
    io.err(`  ${label}: sync failed: ${isCairnError(e) ? e.message : String(e)}`);
    return false;
  }
}

export const PEERS_HELP: CommandHelp[] = [
  {
    command: 'peers add',
    synopsis: 'URL [--fingerprint FP] [--use-descriptor-url] [--no-sync]',
    about: [
      "fetch a peer's signed descriptor, show its key fingerprints and, once you",
      'confirm them (or they equal --fingerprint), pin them; the peer may search',
      'for nothing until you set its policy. A descriptor naming another base URL',
      'than URL is refused unless --use-descriptor-url. Then replicate the indexes',
      'it lets us fetch, unless --no-sync',
    ],
  },
  { command: 'peers list', about: ['peers, fingerprints and policy'] },
  {
    command: 'peers update',
    synopsis: 'PEER [--url URL] [--use-descriptor-url] [--fingerprint FP]',
    about: [
      "re-fetch a peer's descriptor (from URL when it moved); its pinned keys must",
      'not change; its policy and history stay. With --fingerprint (checked with the',
      "peer out of band): pin the peer's new signing key by hand, e.g. after a",
      'rotation without cross-signature (status repin_required)',
    ],
  },
  {
    command: 'peers policy',
    synopsis: 'PEER [--allow PURPOSE=CATEGORY[,CATEGORY…]]… [--deny PURPOSE[=CATEGORY…]]… [--replace] [--rate N] [--budget N]',
    about: [
      "edit a peer's policy: --allow adds categories a purpose may match, --deny",
      'removes some or the whole purpose, --replace starts from deny-all; requests per',
      'minute; elements per day. Prints the policy; with no option, changes nothing',
      `purposes: ${PURPOSES.join(', ')}`,
      `categories: ${RECORD_CATEGORIES.join(', ')}`,
    ],
  },
  {
    command: 'peers sync',
    synopsis: '[PEER]',
    about: ['replicate the token indexes each peer (or PEER) lets us fetch, with progress', '(a serving node also does this in the background)'],
  },
  { command: 'peers revoke', synopsis: 'PEER [--reason TEXT]', about: ['stop searching and answering a peer; it stays listed'] },
  { command: 'peers remove', synopsis: 'PEER', about: ['forget a peer (its past searches stay in the audit log)'] },
];

const SUBCOMMANDS = ['add', 'list', 'update', 'policy', 'sync', 'revoke', 'remove'];

/** ISO 3166-1 user-assigned codes (AA, QM–QZ, XA–XZ, ZZ): test and demo nodes use them. */
const USER_ASSIGNED = /^(AA|Q[M-Z]|X[A-Z]|ZZ)$/;

/**
 * A peer named on the command line: a node id, or a country code in upper
 * case. A lower-case code is taken in upper case, and says so.
 */
export function peerSelector(sel: string, io: Out): string {
  if (/^[a-z]{2}$/.test(sel)) {
    io.err(`cairn: country codes are upper case: taking ${JSON.stringify(sel)} as ${sel.toUpperCase()}`);
    sel = sel.toUpperCase();
  }
  if (/^[A-Z]{2}$/.test(sel) && !isCountryCode(sel) && !USER_ASSIGNED.test(sel)) {
    throw new UsageError(`PEER ${JSON.stringify(sel)} is not an ISO 3166-1 alpha-2 country code (e.g. DE, FR, GB); name a peer by country or node id (cairn peers list)`);
  }
  return sel;
}

/** One line per policy: its grants, rate and budget. */
export function policyLine(p: PeerPolicy): string {
  const allowed = Object.entries(p.purposes).map(([k, v]) => `${k}=${(v ?? []).join(',')}`);
  return `${allowed.length ? allowed.join('; ') : 'deny all'}; ${p.ratePerMinute}/min; ${p.dailyElementBudget} elements/day`;
}

function policyEditOf(values: { allow?: string[] | undefined; deny?: string[] | undefined; replace?: boolean | undefined }): PolicyEdit {
  try {
    return {
      allow: (values.allow ?? []).map((a) => parseGrant(a, 'allow')),
      deny: (values.deny ?? []).map((d) => parseGrant(d, 'deny')),
      replace: values.replace === true,
    };
  } catch (e) {
    throw isCairnError(e) ? new UsageError(e.message) : e;
  }
}

export async function cmdPeers(argv: string[], io: Out): Promise<number> {
  // Peer names, URLs and errors came from peers or the database: printed through terminalSafe, JSON through terminalJson.
  const tty = terminalOut(io);
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, {
    fingerprint: { type: 'string' },
    'use-descriptor-url': { type: 'boolean' },
    url: { type: 'string' },
    allow: { type: 'string', multiple: true },
    deny: { type: 'string', multiple: true },
    replace: { type: 'boolean' },
    rate: { type: 'string' },
    budget: { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean' },
    'no-sync': { type: 'boolean' },
  });
  if (!SUBCOMMANDS.includes(sub ?? '')) {
    throw new UsageError(`peers: expected ${SUBCOMMANDS.join(', ')}${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  }
  // Check the command line before opening anything.
  const edit = sub === 'policy' ? policyEditOf(values) : undefined;
  const ctx = await openNodeContext(homeOf(values));
  try {
    const { peers, index } = await nodeServices(ctx);
    switch (sub) {
      case 'add': {
        const [url] = positionals(pos, ['URL']);
        const fetched = await peers.fetchDescriptor(url!);
        const { descriptor } = fetched;
        pinnedBaseUrl(url!, descriptor, values['use-descriptor-url']);
        const fp = fingerprintOf(fromBase64Url(descriptor.signingKey.publicKey));
        tty.out(`node ${descriptor.nodeId}: ${descriptor.country} "${descriptor.name}" at ${descriptor.baseUrl}`);
        tty.out(`  signing key fingerprint: ${fp}`);
        tty.out(`  VOPRF key fingerprint:   ${fingerprintOf(fromBase64Url(descriptor.oprfKey.publicKey))}`);
        if (values.fingerprint === undefined) {
          if (!process.stdin.isTTY) throw new UsageError('compare the fingerprint with the peer out of band, then run again with --fingerprint FP (no terminal to ask on)');
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question('Does this fingerprint match the one the peer gave you out of band? Type "yes" to pin it: ');
          rl.close();
          if (answer.trim().toLowerCase() !== 'yes') {
            tty.err('not added');
            return 1;
          }
        }
        const peer = await peers.add(fetched, cliActor(), values.fingerprint);
        tty.out(`added peer ${peer.country} (${peer.id}); policy: deny all — set it with \`cairn peers policy ${peer.country} --allow …\``);
        if (!values['no-sync']) {
          tty.out(`replicating the indexes ${peer.country} lets us fetch:`);
          await syncWithProgress(index, peer.id, peer.country, tty);
        }
        return 0;
      }
      case 'update': {
        const [sel] = positionals(pos, ['PEER']);
        const current = await peers.find(peerSelector(sel!, tty));
        const url = values.url ?? current.baseUrl;
        const fetched = await peers.fetchDescriptor(url);
        pinnedBaseUrl(url, fetched.descriptor, values['use-descriptor-url']);
        const p = await peers.update(current.id, fetched, cliActor(), values.fingerprint);
        const repinned = p.signingKeyId !== current.signingKeyId;
        tty.out(
          `updated peer ${p.country} (${p.id}): ${current.baseUrl === p.baseUrl ? `descriptor refreshed from ${p.baseUrl}` : `${current.baseUrl} -> ${p.baseUrl}`}; ${repinned ? `signing key re-pinned to ${fingerprintOf(p.signingPublicKey)}` : 'keys unchanged'}${current.status !== p.status ? `; status ${p.status}` : ''}`,
        );
        tty.out(`    policy: ${policyLine(p.policy)}`);
        return 0;
      }
      case 'list': {
        positionals(pos, []);
        const all = (await peers.list()).map(describePeer);
        const replicas = await index.states();
        if (values.json) io.out(terminalJson(all.map((p) => ({ ...p, replicas: replicas.filter((r) => r.peer === p.id) })), 2));
        else if (all.length === 0) tty.out('no peers yet: cairn peers add URL');
        else
          for (const p of all) {
            tty.out(`${p.country}  ${p.status.padEnd(7)}  ${p.name}  ${p.baseUrl}  (${p.id})`);
            tty.out(`    signing ${p.signingKeyFingerprint}`);
            if (p.status === 'repin_required') {
              tty.out(`    its signing key changed without a cross-signature: not searched, not answered. Check its new fingerprint with its operator, then: cairn peers update ${p.country} --fingerprint FP`);
            }
            tty.out(`    policy: ${policyLine(p.policy)}`);
            const mine = replicas.filter((r) => r.peer === p.id);
            if (mine.length === 0) tty.out('    replicas: none yet (cairn peers sync)');
            for (const r of mine) {
              const progress = r.status === 'syncing' ? ` ${Math.floor((r.shardsDone * 100) / INDEX.shardCount)}%` : '';
              tty.out(`    replica ${r.category}: ${r.status}${progress}, version ${r.version}, ${r.count} fingerprints${r.error ? ` (${r.error})` : ''}`);
            }
          }
        return 0;
      }
      case 'policy': {
        const [sel] = positionals(pos, ['PEER']);
        const current = await peers.find(peerSelector(sel!, tty));
        const num = (v: string | undefined, d: number, flag: string) => {
          if (v === undefined) return d;
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag}: expected a non-negative integer, not ${JSON.stringify(v)}`);
          return n;
        };
        const next = {
          purposes: applyPolicyEdit(current.policy.purposes, edit!),
          ratePerMinute: num(values.rate, current.policy.ratePerMinute, 'rate'),
          dailyElementBudget: num(values.budget, current.policy.dailyElementBudget, 'budget'),
        };
        const changes = describePolicyChange(current.policy.purposes, next.purposes);
        const same = changes.length === 0 && next.ratePerMinute === current.policy.ratePerMinute && next.dailyElementBudget === current.policy.dailyElementBudget;
        const p = same ? current : await peers.setPolicy(current.id, next, cliActor());
        if (values.json) io.out(terminalJson(p.policy));
        else {
          tty.out(`policy of ${p.country} (${p.id})${same ? ' unchanged' : ''}: ${policyLine(p.policy)}`);
          for (const c of changes) tty.out(`    ${c}`);
        }
        return 0;
      }
      case 'sync': {
        if (pos.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(pos[1])}`);
        const targets = pos.length === 1 ? [await peers.find(pos[0]!)] : (await peers.list()).filter((p) => p.status === 'active');
        if (targets.length === 0) tty.out('no active peers to sync');
        let ok = true;
        for (const p of targets) {
          tty.out(`${p.country} (${p.id}):`);
          if (!(await syncWithProgress(index, p.id, p.country, tty))) ok = false;
        }
        return ok ? 0 : 1;
      }
      case 'revoke': {
        const [sel] = positionals(pos, ['PEER']);
        const p = await peers.revoke(peerSelector(sel!, tty), cliActor(), values.reason);
        await index.forget(p.id);
        tty.out(`revoked peer ${p.country} (${p.id})`);
        return 0;
      }
      default: {
        const [sel] = positionals(pos, ['PEER']);
        const p = await peers.remove(peerSelector(sel!, tty), cliActor());
        await index.forget(p.id);
        tty.out(`removed peer ${p.country} (${p.id})`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
