/**
 * `cairn peers add|list|policy|revoke|remove`.
 */
import { createInterface } from 'node:readline/promises';
import { PURPOSES } from '../../../schemas/federation.js';
import { RECORD_CATEGORIES } from '../../../schemas/records.js';
import { fromBase64Url } from '../../core/bytes.js';
import { describePeer } from '../../core/federation/peers.js';
import { fingerprintOf } from '../../core/signing.js';
import { args, homeOf, positionals, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';
import type { IndexService } from '../../core/federation/index/service.js';
import type { SyncProgress } from '../../core/federation/index/sync.js';
import { INDEX } from '../../core/constants.js';
import { isCairnError } from '../../core/errors.js';

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

export const PEERS_USAGE = `  peers add URL [--fingerprint FP] [--no-sync]
                       fetch a peer's signed descriptor, show its key fingerprints and, once you
                       confirm them (or they equal --fingerprint), pin them; the peer may search
                       for nothing until you set its policy
  peers list           peers, fingerprints and policy
  peers policy PEER --allow PURPOSE=CATEGORY[,CATEGORY…] […] [--rate N] [--budget N]
                       replace a peer's policy: which purposes it may search for and which of our
                       record categories each may match; requests/minute; elements/day
  peers sync [PEER]    replicate the token indexes each peer (or PEER) lets us fetch, with progress
                       (a serving node also does this in the background)
  peers revoke PEER [--reason TEXT]
  peers remove PEER`;

export async function cmdPeers(argv: string[], io: Out): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals: pos } = args(rest, {
    fingerprint: { type: 'string' },
    allow: { type: 'string', multiple: true },
    rate: { type: 'string' },
    budget: { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean' },
    'no-sync': { type: 'boolean' },
  });
  if (!['add', 'list', 'policy', 'sync', 'revoke', 'remove'].includes(sub ?? '')) {
    throw new UsageError(`peers: expected add, list, policy, sync, revoke or remove${sub ? `, not ${JSON.stringify(sub)}` : ''}`);
  }
  const ctx = await openNodeContext(homeOf(values));
  try {
    const { peers, index } = await nodeServices(ctx);
    switch (sub) {
      case 'add': {
        const [url] = positionals(pos, ['URL']);
        const fetched = await peers.fetchDescriptor(url!);
        const { descriptor } = fetched;
        const fp = fingerprintOf(fromBase64Url(descriptor.signingKey.publicKey));
        io.out(`node ${descriptor.nodeId}: ${descriptor.country} "${descriptor.name}" at ${descriptor.baseUrl}`);
        io.out(`  signing key fingerprint: ${fp}`);
        io.out(`  VOPRF key fingerprint:   ${fingerprintOf(fromBase64Url(descriptor.oprfKey.publicKey))}`);
        if (values.fingerprint === undefined) {
          if (!process.stdin.isTTY) throw new UsageError('compare the fingerprint with the peer out of band, then run again with --fingerprint FP (no terminal to ask on)');
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question('Does this fingerprint match the one the peer gave you out of band? Type "yes" to pin it: ');
          rl.close();
          if (answer.trim().toLowerCase() !== 'yes') {
            io.err('not added');
            return 1;
          }
        }
        const peer = await peers.add(fetched, 'cli', values.fingerprint);
        io.out(`added peer ${peer.country} (${peer.id}); policy: deny all — set it with \`cairn peers policy ${peer.country} --allow …\``);
        if (!values['no-sync']) {
          io.out(`replicating the indexes ${peer.country} lets us fetch:`);
          await syncWithProgress(index, peer.id, peer.country, io);
        }
        return 0;
      }
      case 'list': {
        positionals(pos, []);
        const all = (await peers.list()).map(describePeer);
        const replicas = await index.states();
        if (values.json) io.out(JSON.stringify(all.map((p) => ({ ...p, replicas: replicas.filter((r) => r.peer === p.id) })), null, 2));
        else if (all.length === 0) io.out('no peers yet: cairn peers add URL');
        else
          for (const p of all) {
            io.out(`${p.country}  ${p.status.padEnd(7)}  ${p.name}  ${p.baseUrl}  (${p.id})`);
            io.out(`    signing ${p.signingKeyFingerprint}`);
            const allowed = Object.entries(p.policy.purposes).map(([k, v]) => `${k}=${(v ?? []).join(',')}`);
            io.out(`    policy: ${allowed.length ? allowed.join('; ') : 'deny all'}; ${p.policy.ratePerMinute}/min; ${p.policy.dailyElementBudget} elements/day`);
            const mine = replicas.filter((r) => r.peer === p.id);
            if (mine.length === 0) io.out('    replicas: none yet (cairn peers sync)');
            for (const r of mine) {
              const progress = r.status === 'syncing' ? ` ${Math.floor((r.shardsDone * 100) / INDEX.shardCount)}%` : '';
              io.out(`    replica ${r.category}: ${r.status}${progress}, version ${r.version}, ${r.count} fingerprints${r.error ? ` (${r.error})` : ''}`);
            }
          }
        return 0;
      }
      case 'policy': {
        const [sel] = positionals(pos, ['PEER']);
        const current = await peers.find(sel!);
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
        const p = await peers.setPolicy(
          current.id,
          { purposes, ratePerMinute: num(values.rate, current.policy.ratePerMinute, 'rate'), dailyElementBudget: num(values.budget, current.policy.dailyElementBudget, 'budget') },
          'cli',
        );
        io.out(`policy of ${p.country} (${p.id}) set: ${JSON.stringify(p.policy)}`);
        return 0;
      }
      case 'sync': {
        if (pos.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(pos[1])}`);
        const targets = pos.length === 1 ? [await peers.find(pos[0]!)] : (await peers.list()).filter((p) => p.status === 'active');
        if (targets.length === 0) io.out('no active peers to sync');
        let ok = true;
        for (const p of targets) {
          io.out(`${p.country} (${p.id}):`);
          if (!(await syncWithProgress(index, p.id, p.country, io))) ok = false;
        }
        return ok ? 0 : 1;
      }
      case 'revoke': {
        const [sel] = positionals(pos, ['PEER']);
        const p = await peers.revoke(sel!, 'cli', values.reason);
        await index.forget(p.id);
        io.out(`revoked peer ${p.country} (${p.id})`);
        return 0;
      }
      default: {
        const [sel] = positionals(pos, ['PEER']);
        const p = await peers.remove(sel!, 'cli');
        await index.forget(p.id);
        io.out(`removed peer ${p.country} (${p.id})`);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
