import { Injectable } from '@nestjs/common';
import { planPage, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { AuditService } from '@herald/tenancy';
import type { AuditEntryOut, AuditVerifyOut } from './audit-log.schemas';
import type { HeraldListQuery } from './platform.schemas';

/** The tenant's hash-chained audit log, newest first, and its verification. */
@Injectable()
export class AuditLogService {
  constructor(private readonly audit: AuditService) {}

  async list(ctx: RequestContext, query: HeraldListQuery): Promise<ListResponse<AuditEntryOut>> {
    const plan = planPage(query, 'descending');
    const rows = await this.audit.list(ctx.scope, { limit: plan.limit, sort: plan.sort, newerThan: plan.gt, olderThan: plan.lt });
    return toListResponse(rows, plan, (r) => r.id, (r) => ({
      id: r.id,
      action: r.action,
      actor: r.actor,
      target: r.target,
      ip: r.ip,
      requestId: r.requestId,
      details: r.details,
      createdAt: r.createdAt,
      prevHash: r.prevHash,
      hash: r.hash,
    }));
  }

  verify(ctx: RequestContext): Promise<AuditVerifyOut> {
    return this.audit.verify(ctx.scope);
  }
}
