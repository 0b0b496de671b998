import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigModule, type HeraldConfig } from '@herald/config';
import { TenancyModule, type AuditContext } from '@herald/tenancy';
import { DbModule } from '@herald/db';
import { DataRetentionModule, KeyRewrapService, RetentionService, type RetentionRunResult, type RewrapResult } from '@herald/retention';

/** The CLI acts as the operator (no network address, no request id). */
const CLI_AUDIT_CONTEXT: AuditContext = { actor: { type: 'operator', id: null }, ip: null, requestId: null };

@Module({})
class DataProtectionCliModule {
  static forRoot(config: HeraldConfig): DynamicModule {
    return { module: DataProtectionCliModule, imports: [ConfigModule.forRoot(config), DbModule, TenancyModule, DataRetentionModule] };
  }
}

async function withContext<T>(config: HeraldConfig, run: (get: <S>(type: new (...args: never[]) => S) => S) => Promise<T>): Promise<T> {
  const app = await NestFactory.createApplicationContext(DataProtectionCliModule.forRoot(config), { logger: ['error', 'warn'] });
  try {
    return await run((type) => app.get(type));
  } finally {
    await app.close();
  }
}

/** `herald retention run [--tenant <id>]`: one retention run now, in this process (no queue needed). */
export function runRetention(config: HeraldConfig, tenantId: string | undefined): Promise<RetentionRunResult> {
  return withContext(config, (get) => get(RetentionService).run({ tenantId }));
}

/** `herald keys rewrap`: re-wraps every tenant's data key with the active (first) master key. */
export function rewrapKeys(config: HeraldConfig): Promise<RewrapResult> {
  return withContext(config, (get) => get(KeyRewrapService).rewrap(CLI_AUDIT_CONTEXT));
}
