/**
 * `cairn search …`: the analyst's federated search from the command line,
 * run in-process with the node's own keys (same code path as POST /v1/searches).
 */
import { readFileSync } from 'node:fs';
import { purposeSchema } from '../../../schemas/federation.js';
import { FEDERATION } from '../../core/constants.js';
import { parseJsonText } from '../../core/decode/json-body.js';
import { readCountryCode } from '../../core/identity/countries.js';
import type { SearchService } from '../../core/services-federation.js';
import type { User } from '../../core/users/users.js';
import type { getSearch } from '../../core/federation/search.js';
import type { CommandHelp } from '../cli-help.js';
import { EXIT, args, osUser, homeOf, positionals, required, UsageError, type Out } from '../cli-args.js';
import { nodeServices, openNodeContext } from '../context.js';
import { terminalJson, terminalOut } from '../terminal-text.js';

export const SEARCH_HELP: CommandHelp[] = [
  {
    command: 'search',
    synopsis: `--purpose P --legal-basis TEXT --case REF [identifiers] [--peer CC …] [--json]
       identifiers: --given G --family F [--patronymic P] [--dob YYYY-MM-DD|YYYY-MM|YYYY] [--sex S]
                    [--document TYPE:CC:NUMBER] [--phone +E164] [--email E] [--handle PLATFORM:HANDLE]
                    [--file-sha256 HEX] or --identifiers FILE.json (- for stdin)`,
    about: [
      "search every active peer (or the --peer ones); prints each peer's answer. Exit 0: every",
      'peer answered; 3: some did not (error, timeout); 4: none did, or no peer to ask.',
      'CC in --document: a country code in any case, two letters (PL) or three (POL)',
    ],
  },
  { command: 'search confirm', synopsis: 'SEARCH_ID --peer CC --justification TEXT', about: ['ask a peer for the reference behind a possible hit'] },
];

function cliUser(): User {
  return { id: `cli:${osUser()}`, name: 'command line', role: 'analyst', createdAt: '', revokedAt: null };
}

/**
 * Print a search. Its peers' names, receipts and error details came from
 * peers: every line goes out through terminalSafe, so no control or bidi
 * character a peer chose reaches the terminal raw.
 */
function print(io: Out, s: Awaited<ReturnType<SearchService['get']>>, json: boolean | undefined): void {
  if (json) return io.out(terminalJson(s, 2));
  const say = terminalOut(io).out;
  say(`search ${s.id} (${s.purpose}, case ${s.caseReference}) with key types ${s.keyTypes.join(', ')}`);
  for (const r of s.results) {
    const head = `  ${r.peer.country} ${r.peer.name}: ${r.status.toUpperCase()}`;
    if (r.status === 'hit') {
      say(`${head} (${r.strength}; ${r.keyTypes?.join(', ')}) — ${r.confirmation}`);
      for (const env of (r.receipts ?? []) as { payload: string }[]) say(`    ${receiptLine(env)}`);
      if (r.undisclosed) say(`    ${r.undisclosed} more record${r.undisclosed === 1 ? '' : 's'} under the same key not disclosed (a confirmation discloses at most ${FEDERATION.maxReceipts}): ask the contact point`);
      if (r.confirmation === 'failed' && r.error) say(`    confirmation failed: ${r.error.code}: ${r.error.detail}`);
      if (r.confirmation === 'awaiting_analyst') say(`    possible hit: cairn search confirm ${s.id} --peer ${r.peer.country} --justification "…"`);
    } else if (r.status === 'index_syncing') say(`  ${r.peer.country} ${r.peer.name}: INDEX SYNCING, not a no-hit: ${r.error?.detail ?? 'search again when our copy of its index is ready'}`);
    else if (r.error) say(`${head}: ${r.error.code}: ${r.error.detail}`);
    else say(head);
  }
}

/** One stored receipt as a line, decoded for display (the search result holds it as the peer sent it). */
function receiptLine(env: { payload: string }): string {
  try {
    const p = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8'));
    return `receipt ${p.receiptId}: record ${p.record.ref} (${p.record.category}), contact ${p.record.contactPoint}, ${p.record.owningUnit}`;
  } catch {
    return 'receipt (unreadable)';
  }
}

/** 0 when every peer answered, 3 when some did not, 4 when none did (or there was no peer to ask). */
export function exitOf(s: Pick<Awaited<ReturnType<typeof getSearch>>, 'results'>, io: Out): number {
  const answered = s.results.filter((r) => r.status === 'hit' || r.status === 'no_hit').length;
  if (answered === s.results.length && answered > 0) return EXIT.ok;
  if (answered === 0) {
    io.err(s.results.length === 0 ? 'cairn: no peer was searched (no active peer matches)' : `cairn: no peer answered (${s.results.length} asked)`);
    return EXIT.noAnswer;
  }
  io.err(`cairn: ${s.results.length - answered} of ${s.results.length} peers did not answer`);
  return EXIT.partial;
}

export async function cmdSearch(argv: string[], io: Out): Promise<number> {
  const confirming = argv[0] === 'confirm';
  const { values, positionals: pos } = args(confirming ? argv.slice(1) : argv, {
    purpose: { type: 'string' },
    'legal-basis': { type: 'string' },
    case: { type: 'string' },
    given: { type: 'string' },
    family: { type: 'string' },
    patronymic: { type: 'string' },
    dob: { type: 'string' },
    sex: { type: 'string' },
    document: { type: 'string', multiple: true },
    phone: { type: 'string', multiple: true },
    email: { type: 'string', multiple: true },
    handle: { type: 'string', multiple: true },
    'file-sha256': { type: 'string', multiple: true },
    identifiers: { type: 'string' },
    peer: { type: 'string', multiple: true },
    justification: { type: 'string' },
    json: { type: 'boolean' },
  });
  const ctx = await openNodeContext(homeOf(values));
  // Work the search leaves running (a replica sync that outlasted its wait)
  // finishes before the database closes, rather than fail half-way.
  const pending: Promise<void>[] = [];
  try {
    const { searches } = await nodeServices(ctx, { searches: true, defer: (task) => void pending.push(task) });
    if (confirming) {
      const [id] = positionals(pos, ['SEARCH_ID']);
      const peer = required(values.peer?.[0], 'peer');
      print(io, await searches.confirm(cliUser(), id!, peer, required(values.justification, 'justification')), values.json);
      return 0;
    }
    positionals(pos, []);
    const purpose = purposeSchema.safeParse(required(values.purpose, 'purpose'));
    if (!purpose.success) throw new UsageError(`--purpose: ${purpose.error.issues[0]?.message}`);
    let identifiers: unknown;
    if (values.identifiers !== undefined) {
      identifiers = parseJsonText(readFileSync(values.identifiers === '-' ? 0 : values.identifiers, 'utf8'));
    } else {
      const ids: Record<string, unknown> = {};
      const name: Record<string, string> = {};
      if (values.given) name.given = values.given;
      if (values.family) name.family = values.family;
      if (values.patronymic) name.patronymic = values.patronymic;
      if (Object.keys(name).length) ids.names = [name];
      if (values.sex) ids.sex = values.sex;
      if (values.dob) {
        const d = values.dob;
        ids.dateOfBirth = /^\d{4}$/.test(d) ? { precision: 'year', date: d } : /^\d{4}-\d{2}$/.test(d) ? { precision: 'month', date: d } : { precision: 'day', date: d };
      }
      if (values.document?.length) ids.documents = values.document.map((x) => { const [type, issuingCountry, ...n] = x.split(':'); return { type: type?.toLowerCase(), issuingCountry: issuingCountry === undefined ? undefined : readCountryCode(issuingCountry), number: n.join(':') }; });
      if (values.phone?.length) ids.phones = values.phone.map((number) => ({ number }));
      if (values.email?.length) ids.emails = values.email;
      if (values.handle?.length) ids.handles = values.handle.map((x) => { const [platform, ...h] = x.split(':'); return { platform, handle: h.join(':') }; });
      if (values['file-sha256']?.length) ids.fileSha256 = values['file-sha256'];
      identifiers = ids;
    }
    const r = await searches.run(cliUser(), {
      identifiers,
      purpose: purpose.data,
      legalBasis: required(values['legal-basis'], 'legal-basis'),
      caseReference: required(values.case, 'case'),
      peers: values.peer,
    });
    const s = await searches.get(r.id);
    print(io, s, values.json);
    return exitOf(s, io);
  } finally {
    await Promise.allSettled(pending);
    await ctx.close();
  }
}
