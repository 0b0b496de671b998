import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ksuid } from './ids';

describe('the database ensureDatabase creates', () => {
  const client = new Client({ connectionString: inject('databaseUrl') });
  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('uses the C collation, so text ids sort in byte order (creation time)', async () => {
    const { rows } = await client.query<{ datcollate: string }>('SELECT datcollate FROM pg_database WHERE datname = current_database()');
    expect(rows[0]?.datcollate).toBe('C');
    // Ids of consecutive milliseconds whose base62 differs in case: ORDER BY must keep time order.
    const base = Date.parse('2025-01-01T00:00:00Z');
    const ids = Array.from({ length: 300 }, (_, i) => ksuid(new Date(base + i * 997)));
    const sorted = await client.query<{ id: string }>('SELECT id FROM unnest($1::text[]) AS id ORDER BY id', [[...ids].reverse()]);
    expect(sorted.rows.map((r) => r.id)).toEqual(ids);
  });
});
