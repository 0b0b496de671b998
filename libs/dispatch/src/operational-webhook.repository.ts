import { Injectable } from '@nestjs/common';
import type { TenantScope } from '@herald/core';
import { PrismaService } from '@herald/db';

@Injectable()
export class OperationalWebhookRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Where a tenant wants its operational webhooks, if anywhere. */
  async target(scope: TenantScope): Promise<{ url: string; secretEnc: Uint8Array | null } | null> {
    const settings = await this.prisma.tenantSettings.findUnique({
      where: { tenantId: scope.tenantId },
      select: { operationalWebhookUrl: true, operationalWebhookSecret: true },
    });
    return settings?.operationalWebhookUrl ? { url: settings.operationalWebhookUrl, secretEnc: settings.operationalWebhookSecret } : null;
  }
}
