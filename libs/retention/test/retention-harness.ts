import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { AuditService, TenancyModule, TenantKeysService, TenantProvisioningService, type TenantScope } from '@herald/tenancy';
import { DbModule, newId, PrismaService } from '@herald/db';
import { DataRetentionModule, KeyRewrapService, RetentionService } from '../src';
import { createTestDatabase, dropTestDatabase, testConfig, type Services } from '@herald/testing';
import { afterAll, beforeAll } from 'vitest';

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionContext {
  app: INestApplicationContext;
  config: HeraldConfig;
  prisma: PrismaService;
  keys: TenantKeysService;
  audit: AuditService;
  retention: RetentionService;
  rewrap: KeyRewrapService;
  services: Services;
  close(): Promise<void>;
}

/**
 * For a spec file: a database of its own (a retention run walks every tenant of its database,
 * so specs do not share one) and a retention context on it with `env`, handed to `opened`
 * before the tests run; both are closed and dropped after them.
 */
export function useOwnRetentionDatabase(env: Record<string, string>, opened: (ctx: RetentionContext) => void): void {
  let db: { url: string; name: string } | undefined;
  let ctx: RetentionContext | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    ctx = await openRetentionContext(testConfig({ DATABASE_URL: db.url, ...env }));
    opened(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
    if (db) await dropTestDatabase(db.name);
  });
}

/** Retention's services wired as in the worker and the CLI (no queue), on `config`'s database. */
export async function openRetentionContext(config: HeraldConfig): Promise<RetentionContext> {
  @Module({ imports: [ConfigModule.forRoot(config), DbModule, TenancyModule, DataRetentionModule] })
  class RetentionTestModule {}

  const app = await NestFactory.createApplicationContext(RetentionTestModule, { logger: ['error'] });
  await app.init();
  const prisma = app.get(PrismaService);
  const keys = app.get(TenantKeysService);
  return {
    app,
    config,
    prisma,
    keys,
    audit: app.get(AuditService),
    retention: app.get(RetentionService),
    rewrap: app.get(KeyRewrapService),
    services: { prisma, keys, provisioning: app.get(TenantProvisioningService) },
    close: () => app.close(),
  };
}

const ago = (days: number): Date => new Date(Date.now() - days * DAY_MS);

/**
 * Inserts a message as ingest does (payload sealed with the tenant's key, one delivery per
 * endpoint), created `ageDays` ago, its payload expiring `expiresAfterDays` after creation.
 */
export async function insertMessage(
  ctx: RetentionContext,
  scope: TenantScope,
  appId: string,
  options: { ageDays: number; expiresAfterDays: number; endpointIds?: string[]; payload?: string },
): Promise<{ id: string; deliveryIds: string[] }> {
  const id = newId('msg');
  const createdAt = ago(options.ageDays);
  const expiresAt = new Date(createdAt.getTime() + options.expiresAfterDays * DAY_MS);
  const payload = options.payload ?? '{"hello":"world"}';
  const sealed = new Uint8Array(await ctx.keys.encrypt(scope, payload));
  const deliveryIds = (options.endpointIds ?? []).map(() => newId('dlv'));
  await ctx.prisma.$transaction([
    ctx.prisma.$executeRaw`
      INSERT INTO messages (id, tenant_id, app_id, event_type, payload_enc, payload_size, payload_expires_at, created_at)
      VALUES (${id}, ${scope.tenantId}, ${appId}, 'test.event', ${sealed}, ${payload.length}, ${expiresAt}, ${createdAt})`,
    ...(options.endpointIds ?? []).map(
      (endpointId, i) => ctx.prisma.$executeRaw`
        INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, created_at, updated_at)
        VALUES (${deliveryIds[i]}, ${scope.tenantId}, ${appId}, ${id}, ${endpointId}, 'success', ${createdAt}, ${createdAt})`,
    ),
  ]);
  return { id, deliveryIds };
}

/** Inserts an attempt created `ageDays` ago with a sealed response body. */
export async function insertAttempt(
  ctx: RetentionContext,
  scope: TenantScope,
  ids: { appId: string; messageId: string; endpointId: string; deliveryId?: string },
  options: { ageDays: number; body?: string },
): Promise<string> {
  const id = newId('atmpt');
  const sealed = new Uint8Array(await ctx.keys.encrypt(scope, options.body ?? 'ok'));
  await ctx.prisma.$executeRaw`
    INSERT INTO attempts (id, tenant_id, app_id, message_id, endpoint_id, delivery_id, url, status, response_status,
                          response_enc, duration_ms, trigger_type, created_at)
    VALUES (${id}, ${scope.tenantId}, ${ids.appId}, ${ids.messageId}, ${ids.endpointId}, ${ids.deliveryId ?? newId('dlv')},
            'https://receiver.example/hook', 0, 200, ${sealed}, 12, 0, ${ago(options.ageDays)})`;
  return id;
}

export async function setPolicy(ctx: RetentionContext, scope: TenantScope, days: { payload: number; attempt: number; metadata: number }): Promise<void> {
  await ctx.prisma.tenantSettings.update({
    where: { tenantId: scope.tenantId },
    data: { payloadRetentionDays: days.payload, attemptRetentionDays: days.attempt, metadataRetentionDays: days.metadata },
  });
}

/** What the operator API does on DELETE /admin/tenants/{id}: drop the key, mark deleted. */
export async function shredTenant(ctx: RetentionContext, scope: TenantScope): Promise<void> {
  await ctx.prisma.tenant.update({ where: { id: scope.tenantId }, data: { dataKeyWrapped: null, retiredDataKeysWrapped: [], deletedAt: new Date() } });
  ctx.keys.evict(scope.tenantId);
}

export async function auditEntries(ctx: RetentionContext, scope: TenantScope, action: string): Promise<{ details: Record<string, unknown> }[]> {
  const rows = await ctx.prisma.auditLogEntry.findMany({ where: { tenantId: scope.tenantId, action }, orderBy: { seq: 'asc' } });
  return rows.map((r) => ({ details: (r.details ?? {}) as Record<string, unknown> }));
}
