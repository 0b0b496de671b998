import { Client, DatabaseError } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { newId } from './ids';

/**
 * Tenancy enforced by the database (migration 1796300000000): every child row's foreign key
 * includes tenant_id, so a row naming another tenant's application, endpoint or message is
 * refused whatever the code that wrote it did. Plain SQL, as a buggy repository would write it.
 */
describe('composite tenant foreign keys', () => {
  const client = new Client({ connectionString: inject('databaseUrl') });
  const a = { tenant: newId('tnt'), app: newId('app'), endpoint: newId('ep'), message: newId('msg') };
  const b = { tenant: newId('tnt'), app: newId('app'), endpoint: newId('ep'), message: newId('msg') };

  beforeAll(async () => {
    await client.connect();
    for (const t of [a, b]) {
      await client.query(`INSERT INTO tenants (id, name) VALUES ($1, 'fk test')`, [t.tenant]);
      await client.query(`INSERT INTO applications (id, tenant_id, name) VALUES ($1, $2, 'fk app')`, [t.app, t.tenant]);
      await client.query(`INSERT INTO endpoints (id, tenant_id, app_id, url) VALUES ($1, $2, $3, 'https://example.com/fk')`, [t.endpoint, t.tenant, t.app]);
      await client.query(
        `INSERT INTO messages (id, tenant_id, app_id, event_type, payload_size, payload_expires_at) VALUES ($1, $2, $3, 'fk.test', 0, now() + interval '1 day')`,
        [t.message, t.tenant, t.app],
      );
    }
  });
  afterAll(async () => {
    await client.query('DELETE FROM tenants WHERE id = ANY($1)', [[a.tenant, b.tenant]]);
    await client.end();
  });

  /** The SQLSTATE a statement fails with, or 'ok'. */
  const outcome = async (sql: string, params: unknown[]): Promise<string> => {
    try {
      await client.query('SAVEPOINT fk');
      await client.query(sql, params);
      await client.query('RELEASE SAVEPOINT fk');
      return 'ok';
    } catch (err) {
      await client.query('ROLLBACK TO SAVEPOINT fk');
      return err instanceof DatabaseError ? (err.code ?? 'unknown') : 'not a database error';
    }
  };

  it("refuses children that name another tenant's parent (23503), and accepts the same rows within one tenant", async () => {
    await client.query('BEGIN');
    try {
      const cases: [string, string, (t: typeof a, parent: typeof a) => unknown[]][] = [
        ['endpoint → application', `INSERT INTO endpoints (id, tenant_id, app_id, url) VALUES ($1, $2, $3, 'https://example.com/x')`, (t, p) => [newId('ep'), t.tenant, p.app]],
        ['message → application', `INSERT INTO messages (id, tenant_id, app_id, event_type, payload_size, payload_expires_at) VALUES ($1, $2, $3, 'x', 0, now())`, (t, p) => [newId('msg'), t.tenant, p.app]],
        ['delivery → message', `INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status) VALUES ($1, $2, $3, $4, $5, 'pending')`, (t, p) => [newId('dlv'), t.tenant, t.app, p.message, t.endpoint]],
        ['endpoint secret → endpoint', `INSERT INTO endpoint_secrets (id, tenant_id, endpoint_id, kind, secret_enc) VALUES ($1, $2, $3, 'hmac', '\\x00')`, (t, p) => [newId('sec'), t.tenant, p.endpoint]],
        ['endpoint header → endpoint', `INSERT INTO endpoint_headers (endpoint_id, tenant_id, name, value_enc) VALUES ($1, $2, $3, '\\x00')`, (t, p) => [p.endpoint, t.tenant, `x-${newId('ep')}`]],
      ];
      for (const [what, sql, params] of cases) {
        expect(await outcome(sql, params(a, b)), `${what} across tenants`).toBe('23503');
        expect(await outcome(sql, params(a, a)), `${what} within a tenant`).toBe('ok');
      }
      // Moving a row to another tenant is refused as well.
      expect(await outcome('UPDATE endpoints SET tenant_id = $1 WHERE id = $2', [b.tenant, a.endpoint])).toBe('23503');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it("deletes an application's endpoints, messages and deliveries with it (the cascades survived the change)", async () => {
    const app = newId('app');
    const endpoint = newId('ep');
    const message = newId('msg');
    await client.query(`INSERT INTO applications (id, tenant_id, name) VALUES ($1, $2, 'cascade')`, [app, a.tenant]);
    await client.query(`INSERT INTO endpoints (id, tenant_id, app_id, url) VALUES ($1, $2, $3, 'https://example.com/c')`, [endpoint, a.tenant, app]);
    await client.query(`INSERT INTO endpoint_secrets (id, tenant_id, endpoint_id, kind, secret_enc) VALUES ($1, $2, $3, 'hmac', '\\x00')`, [newId('sec'), a.tenant, endpoint]);
    await client.query(`INSERT INTO messages (id, tenant_id, app_id, event_type, payload_size, payload_expires_at) VALUES ($1, $2, $3, 'c', 0, now())`, [message, a.tenant, app]);
    await client.query(`INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status) VALUES ($1, $2, $3, $4, $5, 'pending')`, [newId('dlv'), a.tenant, app, message, endpoint]);
    await client.query('DELETE FROM applications WHERE id = $1', [app]);
    const left = await client.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM endpoints WHERE app_id = $1) + (SELECT count(*) FROM messages WHERE app_id = $1) + (SELECT count(*) FROM deliveries WHERE app_id = $1) + (SELECT count(*) FROM endpoint_secrets WHERE endpoint_id = $2) AS n`,
      [app, endpoint],
    );
    expect(Number(left.rows[0]?.n)).toBe(0);
  });
});
