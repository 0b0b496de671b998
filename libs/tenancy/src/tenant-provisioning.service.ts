import { Inject, Injectable } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { newId } from '@herald/db';
import { generateApiKey } from './api-key-material';
import type { AuditContext } from './audit.service';
import { OperatorDb } from './operator-db';
import { TenantKeysService } from './tenant-keys.service';
import { TenantProvisioningRepository } from './tenant-provisioning.repository';

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
    private readonly operator: OperatorDb,
    private readonly tenants: TenantProvisioningRepository,
    private readonly keys: TenantKeysService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async create(name: string, ctx: AuditContext): Promise<ProvisionedTenant> {
    const tenantId = newId('tnt');
    const { wrapped } = this.keys.keyRing.newDataKey(tenantId);
    const material = generateApiKey();
    return this.operator.transaction(async (db) => {
      // The operator creates the tenant: its new id is the scope everything below is written for.
      const tx = this.operator.forTenant(db, this.operator.scopeFor(tenantId));
      const { tenant, apiKey } = await this.tenants.insert(tx, {
        name,
        dataKeyWrapped: new Uint8Array(wrapped),
        payloadRetentionDays: this.config.retention.defaultPayloadRetentionDays,
        apiKey: { hash: new Uint8Array(material.hash), prefix: material.prefix },
      });
      await tx.audit(ctx, { action: 'tenant.created', target: { type: 'tenant', id: tenantId }, details: { name } });
      await tx.audit(ctx, { action: 'api_key.created', target: { type: 'api_key', id: apiKey.id }, details: { scopes: ['all'] } });
      return {
        tenant: { id: tenant.id, name: tenant.name, createdAt: tenant.createdAt, updatedAt: tenant.updatedAt },
        apiKey: { id: apiKey.id, key: material.key, name: apiKey.name, scopes: apiKey.scopes, createdAt: apiKey.createdAt },
      };
    });
  }
}
