import { Injectable } from '@nestjs/common';
import { planPage, toListResponse, type ListResponse } from '@herald/api-core';
import { NotFoundError, OperatorDb, TenantKeysService, TenantProvisioningService, TenantUnitOfWork, type AuditContext } from '@herald/tenancy';
import type { HeraldListQuery } from './platform.schemas';
import { provisionedTenantOut, tenantOut } from './tenant.mappers';
import { TenantRepository } from './tenant.repository';
import type { ProvisionedTenantOut, TenantIn, TenantOut, TenantPatch } from './tenant.schemas';

/** The operator's view of tenants: provision, list, rename, delete (crypto-shred). */
@Injectable()
export class TenantService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly tenants: TenantRepository,
    private readonly provisioning: TenantProvisioningService,
    private readonly operator: OperatorDb,
    private readonly keys: TenantKeysService,
  ) {}

  async create(body: TenantIn, ctx: AuditContext): Promise<ProvisionedTenantOut> {
    return provisionedTenantOut(await this.provisioning.create(body.name, ctx));
  }

  /** Newest first. */
  async list(query: HeraldListQuery): Promise<ListResponse<TenantOut>> {
    const plan = planPage(query, 'descending');
    return toListResponse(await this.tenants.list(plan), plan, (r) => r.id, tenantOut);
  }

  async get(id: string): Promise<TenantOut> {
    const row = await this.tenants.find(this.operator.scopeFor(id));
    if (!row) throw new NotFoundError('Tenant');
    return tenantOut(row);
  }

  async update(id: string, patch: TenantPatch, ctx: AuditContext): Promise<TenantOut> {
    const scope = this.operator.scopeFor(id);
    if (patch.name === undefined) return this.get(id);
    const name = patch.name;
    const row = await this.uow.run(scope, async (tx) => {
      const renamed = await this.tenants.rename(tx, name);
      if (!renamed) throw new NotFoundError('Tenant');
      await tx.audit(ctx, { action: 'tenant.updated', target: { type: 'tenant', id }, details: { fields: ['name'], name } });
      return renamed;
    });
    return tenantOut(row);
  }

  /**
   * Deletes a tenant by destroying its data key: in one transaction the deletion is audited
   * (first, while the tenant still exists), the wrapped key is dropped, the tenant marked
   * deleted and its API keys revoked. Rows are purged later by the retention worker.
   */
  async delete(id: string, ctx: AuditContext): Promise<void> {
    const scope = this.operator.scopeFor(id);
    await this.uow.run(scope, async (tx) => {
      if (!(await this.tenants.lockLive(tx))) throw new NotFoundError('Tenant');
      await tx.audit(ctx, { action: 'tenant.deleted', target: { type: 'tenant', id }, details: { cryptoShredded: true } });
      await this.tenants.shred(tx, new Date());
    });
    // This process forgets the key now; others within their short cache lifetime, and the
    // tenant's keys are refused from the commit on.
    this.keys.evict(id);
  }
}
