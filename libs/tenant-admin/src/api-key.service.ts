import { Injectable } from '@nestjs/common';
import { planPage, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { generateApiKey, NotFoundError, TenantUnitOfWork, ValidationError } from '@herald/tenancy';
import { ApiKeyRepository } from './api-key.repository';
import type { ApiKeyCreatedOut, ApiKeyIn, ApiKeyOut } from './api-key.schemas';
import type { HeraldListQuery } from './platform.schemas';
import { apiKeyCreatedOut, apiKeyOut } from './tenant.mappers';

@Injectable()
export class ApiKeyService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly keys: ApiKeyRepository,
  ) {}

  async create(ctx: RequestContext, body: ApiKeyIn): Promise<ApiKeyCreatedOut> {
    if (body.expiresAt && body.expiresAt.getTime() <= Date.now()) {
      throw ValidationError.single(['body', 'expiresAt'], 'must be in the future');
    }
    const material = generateApiKey();
    const row = await this.uow.run(ctx.scope, async (tx) => {
      const created = await this.keys.create(tx, {
        name: body.name,
        keyHash: material.hash,
        keyPrefix: material.prefix,
        scopes: body.scopes,
        expiresAt: body.expiresAt,
        allowedCidrs: body.allowedCidrs,
      });
      await tx.audit(ctx.audit, {
        action: 'api_key.created',
        target: { type: 'api_key', id: created.id },
        details: { name: created.name, scopes: created.scopes, expiresAt: created.expiresAt?.toISOString() ?? null, allowedCidrs: created.allowedCidrs },
      });
      return created;
    });
    return apiKeyCreatedOut(row, material.key);
  }

  /** Newest first. */
  async list(ctx: RequestContext, query: HeraldListQuery): Promise<ListResponse<ApiKeyOut>> {
    const plan = planPage(query, 'descending');
    return toListResponse(await this.keys.list(ctx.scope, plan), plan, (r) => r.id, apiKeyOut);
  }

  async revoke(ctx: RequestContext, id: string): Promise<void> {
    await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.keys.revoke(tx, id, new Date()))) throw new NotFoundError('API key');
      await tx.audit(ctx.audit, { action: 'api_key.revoked', target: { type: 'api_key', id } });
    });
  }
}
