/**
 * Reading the audit log for DPOs: filters, paging, export. Every read is
 * itself audited by the caller (an `audit.read` entry).
 */
import { sql } from 'kysely';
import { toHex } from '../bytes.js';
import type { Db } from '../db/schema.js';
import type { AuditFilter } from '../../../schemas/audit.js';

export { auditFilterSchema, type AuditFilter } from '../../../schemas/audit.js';

export interface AuditEntryView {
  idx: number;
  at: string;
  type: string;
  actor: string;
  /** The entry's data, or null once pruned by retention. */
  data: Record<string, unknown> | null;
  leafHash: string;
}

/**
 * Entries matching `f`, a page from `cursor`: oldest first (exports, the
 * API), or newest first (the console's log, where the latest acts matter),
 * where the cursor continues with the entries before it.
 */
export async function listEntries(db: Db, f: AuditFilter, order: 'oldest' | 'newest' = 'oldest'): Promise<{ entries: AuditEntryView[]; next: number | null }> {
  let q = db.selectFrom('audit_entries').select(['idx', 'at', 'type', 'actor', 'entry', 'leaf_hash']);
  if (f.from) q = q.where('at', '>=', new Date(f.from).toISOString());
  if (f.to) q = q.where('at', '<', new Date(f.to).toISOString());
  if (f.type) q = q.where('type', '=', f.type);
  if (f.actor) q = q.where('actor', '=', f.actor);
  if (f.user) q = q.where((eb) => eb.or([eb('actor', '=', `user:${f.user}`), eb(sql`json_extract(entry, '$.data.user')`, '=', f.user!)]));
  if (f.peer) {
    const p = f.peer;
    const cc = p.toUpperCase();
    // A peer appears as data.peer/data.country, or in data.peers[] of an outgoing search.
    q = q.where(
      sql<boolean>`(json_extract(entry, '$.data.peer') = ${p} or json_extract(entry, '$.data.country') = ${cc}
        or exists (select 1 from json_each(entry, '$.data.peers') where json_extract(value, '$.peer') = ${p} or json_extract(value, '$.country') = ${cc}))`,
    );
  }
  if (f.purpose) q = q.where(sql`json_extract(entry, '$.data.purpose')`, '=', f.purpose);
  if (f.caseReference) q = q.where(sql`json_extract(entry, '$.data.caseReference')`, '=', f.caseReference);
  if (f.cursor !== undefined) q = q.where('idx', order === 'newest' ? '<' : '>', f.cursor);
  const rows = await q.orderBy('idx', order === 'newest' ? 'desc' : 'asc').limit(f.limit + 1).execute();
  const page = rows.slice(0, f.limit);
  return {
    entries: page.map((r) => ({
      idx: r.idx,
      at: r.at,
      type: r.type,
      actor: r.actor,
      data: r.entry === null ? null : ((JSON.parse(r.entry) as { data: Record<string, unknown> }).data ?? null),
      leafHash: toHex(new Uint8Array(r.leaf_hash)),
    })),
    next: rows.length > f.limit ? page[page.length - 1]!.idx : null,
  };
}

const CSV_COLUMNS = ['idx', 'at', 'type', 'actor', 'peer', 'purpose', 'caseReference', 'data'] as const;

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // A leading = + - @ would be a formula in a spreadsheet: neutralise it.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** CSV export of entries (RFC 4180), one header row. */
export function entriesToCsv(entries: readonly AuditEntryView[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) {
    lines.push(
      [e.idx, e.at, e.type, e.actor, e.data?.peer ?? e.data?.country, e.data?.purpose, e.data?.caseReference, e.data === null ? '(pruned)' : e.data].map(csvCell).join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
