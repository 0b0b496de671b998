import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { TenancyModule, TenantProvisioningService, type AuditContext } from '@herald/tenancy';
import { DbModule } from '@herald/db';
import { provisionedTenantOut, type ProvisionedTenantOut } from '@herald/tenant-admin';

/** The CLI acts as the operator (no network address, no request id). */
const CLI_AUDIT_CONTEXT: AuditContext = { actor: { type: 'operator', id: null }, ip: null, requestId: null };

@Module({})
class TenantCliModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return { module: TenantCliModule, imports: [ConfigModule.forRoot(config), DbModule, TenancyModule] };
  }
}

/** `herald tenant create --name <name>`: the same tenant and first API key as POST /api/v1/admin/tenants. */
export async function createTenant(config: HeraldConfig, name: string): Promise<ProvisionedTenantOut> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 256) throw new CliUsageError('--name must be 1 to 256 characters');
  const app = await NestFactory.createApplicationContext(TenantCliModule.forRoot(config), { logger: false });
  try {
    return provisionedTenantOut(await app.get(TenantProvisioningService).create(trimmed, CLI_AUDIT_CONTEXT));
  } finally {
    await app.close();
  }
}

export class CliUsageError extends Error {}
