import { Injectable } from '@nestjs/common';
import { PrismaService } from '@herald/db';
import type { TenantScope, TenantTx } from '@herald/tenancy';

export interface TenantSettingsRow {
  payloadRetentionDays: number;
  attemptRetentionDays: number;
  metadataRetentionDays: number;
  throttleRate: number | null;
  sendSvixHeaders: boolean;
}

export type TenantSettingsChange = Partial<TenantSettingsRow>;

const SETTINGS_SELECT = {
  payloadRetentionDays: true,
  attemptRetentionDays: true,
  metadataRetentionDays: true,
  throttleRate: true,
  sendSvixHeaders: true,
} as const;

@Injectable()
export class TenantSettingsRepository {
  constructor(private readonly prisma: PrismaService) {}

  find(scope: TenantScope): Promise<TenantSettingsRow | null> {
    return this.prisma.tenantSettings.findUnique({ where: { tenantId: scope.tenantId }, select: SETTINGS_SELECT });
  }

  /** Reads and locks the row until the transaction ends (one writer generates the secret). */
  async findForUpdate({ db, scope }: TenantTx): Promise<TenantSettingsRow | null> {
    const locked = await db.$queryRaw<{ tenant_id: string }[]>`SELECT tenant_id FROM tenant_settings WHERE tenant_id = ${scope.tenantId} FOR UPDATE`;
    if (locked.length === 0) return null;
    return db.tenantSettings.findUnique({ where: { tenantId: scope.tenantId }, select: SETTINGS_SELECT });
  }

  async update({ db, scope }: TenantTx, change: TenantSettingsChange): Promise<void> {
    await db.tenantSettings.update({ where: { tenantId: scope.tenantId }, data: { ...change, updatedAt: new Date() } });
  }
}
