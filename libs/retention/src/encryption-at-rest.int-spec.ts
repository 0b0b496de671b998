import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createApplication, createEndpoint, createOperationalEndpoint, createTenant } from '@herald/testing';
import { insertAttempt, insertMessage, useOwnRetentionDatabase, type RetentionContext } from '../test/retention-harness';

interface ColumnRef {
  table: string;
  column: string;
  type: string;
}

// "The database alone never reveals a payload or a secret": write every kind of confidential
// value the way the services do, then search every textual and binary column of every table.
describe('encryption at rest', () => {
  let ctx: RetentionContext;
  useOwnRetentionDatabase({}, (opened) => (ctx = opened));

  async function columns(): Promise<ColumnRef[]> {
    return ctx.prisma.$queryRaw<ColumnRef[]>`
      SELECT table_name AS "table", column_name AS "column", data_type AS "type"
      FROM information_schema.columns
      WHERE table_schema = 'public' AND (data_type IN ('text', 'character varying', 'character', 'bytea', 'json', 'jsonb') OR (data_type = 'ARRAY' AND udt_name IN ('_text', '_varchar')))
      ORDER BY table_name, column_name`;
  }

  /** Every column holding `needle`, as text or as raw bytes. */
  async function find(needle: string): Promise<string[]> {
    const hits: string[] = [];
    for (const c of await columns()) {
      const col = `"${c.column.replace(/"/g, '""')}"`;
      const table = `"${c.table.replace(/"/g, '""')}"`;
      const where = c.type === 'bytea' ? `position(convert_to($1, 'UTF8') in ${col}) > 0` : `strpos(${col}::text, $1) > 0`;
      const rows = await ctx.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, needle);
      if ((rows[0]?.n ?? 0) > 0) hits.push(`${c.table}.${c.column}`);
    }
    return hits;
  }

  it('stores payloads, endpoint secrets, header values, response bodies and the operational webhook secret only encrypted', async () => {
    const marker = `marker-${randomBytes(8).toString('hex')}`;
    const { scope } = await createTenant(ctx.services, { name: 'visible tenant name' });
    const app = await createApplication(ctx.services, scope);
    const endpoint = await createEndpoint(ctx.services, scope, app.id, {
      url: 'https://receiver.example/hook',
      secret: `whsec_${Buffer.from(`${marker}-endpoint-secret-bytes`).toString('base64')}-${marker}`,
    });
    await ctx.prisma.endpointHeader.create({
      data: { endpointId: endpoint.id, tenantId: scope.tenantId, name: 'authorization', sensitive: true, valueEnc: new Uint8Array(await ctx.keys.encrypt(scope, `Bearer ${marker}`)) },
    });
    // The operational-webhook secret is an endpoint secret of the tenant's operational application.
    await createOperationalEndpoint(ctx.services, scope, { url: 'https://ops.receiver.example/ops', secret: `whsec_${marker}` });
    const message = await insertMessage(ctx, scope, app.id, {
      ageDays: 0,
      expiresAfterDays: 30,
      endpointIds: [endpoint.id],
      payload: JSON.stringify({ card: `4242 ${marker}`, nested: { note: marker } }),
    });
    await insertAttempt(ctx, scope, { appId: app.id, messageId: message.id, endpointId: endpoint.id, deliveryId: message.deliveryIds[0] }, { ageDays: 0, body: `{"echo":"${marker}"}` });

    // The search works: values stored in the clear are found, as text, JSON and bytes.
    expect(await find('receiver.example')).toEqual(expect.arrayContaining(['endpoints.url', 'attempts.url']));
    expect(await find('visible tenant name')).toEqual(expect.arrayContaining(['tenants.name', 'audit_log.details']));
    expect(await find(ctx.keys.keyRing.activeKid)).toEqual(expect.arrayContaining(['tenants.data_key_wrapped'])); // the key id in the envelope header

    // The confidential values are nowhere, in any table.
    expect(await find(marker)).toEqual([]);
    expect(await find(Buffer.from(marker).toString('base64').slice(0, 16))).toEqual([]);
    // And they are really there, behind the tenant's key.
    const stored = await ctx.prisma.message.findUniqueOrThrow({ where: { id: message.id }, select: { payloadEnc: true } });
    expect(await ctx.keys.decryptString(scope, stored.payloadEnc!)).toContain(marker);
  });
});
