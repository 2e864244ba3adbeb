/**
 * Migration 0014 drops cairn/1's bucket leftovers (tokens.bucket,
 * tokens.digest, their covering index, peers.bucket_bits) from a database
 * that holds data, and keeps every row and every other column: nothing a
 * cairn/2 node still uses is lost.
 */
import { Migrator, sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest, migrations } from '../src/core/db/migrations.js';
import { openSqlite } from '../src/node/sqlite.js';

const columns = async (db: Kysely<any>, table: string) =>
  (await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)).rows.map((r) => r.name);

describe('migration 0014_drop_cairn1_buckets', () => {
  it('drops the bucket and digest columns and the peers bucket bits, keeping every row', async () => {
    const sqlite = openSqlite(':memory:');
    const db = sqlite.db as Kysely<any>;
    const before = Object.keys(migrations).filter((m) => m < '0014').sort().at(-1)!;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo(before)).error).toBeUndefined();
    expect(await columns(db, 'tokens')).toEqual(expect.arrayContaining(['bucket', 'digest']));

    await sql`insert into records (ref, category, owning_unit, contact_point, record_date, retention_until, fingerprint, updated_at)
      values ('R-1', 'missing_child', 'U', 'c@x.example', '2026-01-01', '2036-01-01', x'00', '2026-01-01T00:00:00Z')`.execute(db);
    await sql`insert into tokens (record_id, key_type, bucket, category, digest, confirm, fingerprint)
      values (1, 'email', 41328, 'missing_child', ${new Uint8Array(16).fill(1)}, ${new Uint8Array(8).fill(2)}, ${new Uint8Array(8).fill(3)})`.execute(db);
    await sql`insert into peers (id, country, name, base_url, signing_key_id, signing_public_key, oprf_public_key, bucket_bits, match_key_types, descriptor, policy, status, added_at, updated_at)
      values ('node-a', 'XA', 'A', 'https://a.example', ${'ab'.repeat(32)}, ${new Uint8Array(32)}, ${new Uint8Array(32)}, 16, '["email"]', '{}', '{"purposes":{}}', 'active', 't', 't')`.execute(db);

    expect(await migrateToLatest(db)).toContain('0014_drop_cairn1_buckets');
    expect(await columns(db, 'tokens')).not.toEqual(expect.arrayContaining(['bucket']));
    expect(await columns(db, 'tokens')).not.toContain('digest');
    expect(await columns(db, 'peers')).not.toContain('bucket_bits');
    const indexes = (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'tokens'`.execute(db)).rows.map((r) => r.name);
    expect(indexes).not.toContain('tokens_bucket');
    expect(indexes).toContain('tokens_index');
    const token = (await sql<{ key_type: string; category: string; confirm: Uint8Array; fingerprint: Uint8Array }>`select * from tokens`.execute(db)).rows;
    expect(token).toHaveLength(1);
    expect(token[0]).toMatchObject({ key_type: 'email', category: 'missing_child' });
    expect(new Uint8Array(token[0]!.confirm)).toEqual(new Uint8Array(8).fill(2));
    expect(new Uint8Array(token[0]!.fingerprint)).toEqual(new Uint8Array(8).fill(3));
    expect((await sql<{ id: string; match_key_types: string }>`select * from peers`.execute(db)).rows).toMatchObject([{ id: 'node-a', match_key_types: '["email"]' }]);
    // Deleting a record still cascades to its tokens.
    await sql`pragma foreign_keys = on`.execute(db);
    await sql`delete from records where ref = 'R-1'`.execute(db);
    expect((await sql`select * from tokens`.execute(db)).rows).toHaveLength(0);
    sqlite.close();
  });
});
