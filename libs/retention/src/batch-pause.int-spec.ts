import { describe, expect, it } from 'vitest';
import { createApplication, createEndpoint, createTenant } from '@herald/testing';
import { insertMessage, useOwnRetentionDatabase, type RetentionContext } from '../test/retention-harness';

// HERALD_RETENTION_BATCH_PAUSE_MS: the worker sleeps between full batches so a large purge
// leaves the machine to live traffic in between. Own database: retention sees every tenant.
describe('retention batch pause', () => {
  let ctx: RetentionContext;
  useOwnRetentionDatabase({ HERALD_RETENTION_BATCH_SIZE: '2', HERALD_RETENTION_BATCH_PAUSE_MS: '400' }, (opened) => (ctx = opened));

  it('pauses after every full batch and still purges everything', async () => {
    const { scope } = await createTenant(ctx.services);
    const app = await createApplication(ctx.services, scope);
    const endpoint = await createEndpoint(ctx.services, scope, app.id, { url: 'https://receiver.example/a' });
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await insertMessage(ctx, scope, app.id, { ageDays: 400, expiresAfterDays: 30, endpointIds: [endpoint.id] })).id);

    const started = performance.now();
    await ctx.retention.run({ tenantId: scope.tenantId });
    const elapsed = performance.now() - started;

    expect(await ctx.prisma.message.count({ where: { id: { in: ids } } })).toBe(0);
    // 5 rows in batches of 2 → two full batches → at least two pauses of 400 ms (the same
    // run without the pause takes tens of milliseconds).
    expect(elapsed).toBeGreaterThanOrEqual(800);
  });
});
