import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { newId, PrismaService } from '@herald/db';
import { generateApiKey } from './api-key-material';
import { AuditService, type AuditContext } from './audit.service';
import { TenantKeysService } from './tenant-keys.service';
import { tenantScope } from './tenancy';

export interface ProvisionedTenant {
  tenant: { id: string; name: string; createdAt: Date; updatedAt: Date };
  apiKey: { id: string; key: string; name: string; scopes: string[]; createdAt: Date };
}

/**
 * Creates a tenant with everything it needs to work: its wrapped data key, default settings
 * and a first API key (scope `all`). Used by the operator API, the CLI and test factories.
 */
@Injectable()
export class TenantProvisioningService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly keys: TenantKeysService,
    private readonly audit: AuditService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async create(name: string, ctx: AuditContext): Promise<ProvisionedTenant> {
    const tenantId = newId('tnt');
    const { wrapped } = this.keys.keyRing.newDataKey(tenantId);
    const material = generateApiKey();
    const retention = this.config.retention.defaultPayloadRetentionDays;
    return this.prisma.$transaction(async (tx) => {
      const tenant = await tx.tenant.create({
        data: { id: tenantId, name, dataKeyWrapped: new Uint8Array(wrapped) },
      });
      await tx.tenantSettings.create({
        data: {
          tenantId,
          payloadRetentionDays: retention,
          attemptRetentionDays: retention,
          // Metadata (who got what, when) outlives payloads by default, as Svix keeps it.
          metadataRetentionDays: Math.max(retention, 90),
        },
      });
      const apiKey = await tx.apiKey.create({
        data: {
          id: newId('key'),
          tenantId,
          name: 'default',
          keyHash: new Uint8Array(material.hash),
          keyPrefix: material.prefix,
          scopes: ['all'],
          allowedCidrs: [],
        },
      });
      const scope = tenantScope(tenantId);
      await this.audit.record(tx, scope, ctx, { action: 'tenant.created', target: { type: 'tenant', id: tenantId }, details: { name } });
      await this.audit.record(tx, scope, ctx, { action: 'api_key.created', target: { type: 'api_key', id: apiKey.id }, details: { scopes: ['all'] } });
      return {
        tenant: { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt, updatedAt: tenant.updatedAt },
        apiKey: { id: apiKey.id, key: material.key, name: apiKey.name, scopes: apiKey.scopes, createdAt: apiKey.createdAt },
      };
    });
  }
}
