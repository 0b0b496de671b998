import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { AuditService, type ListResponse } from '@herald/core';
import type { AuditEntryOut, AuditVerifyOut } from './audit-log.schemas';
import type { ListQuery } from './list.schemas';
import { envelope } from './paging';

/** The tenant's hash-chained audit log, newest first, and its verification. */
@Injectable()
export class AuditLogService {
  constructor(private readonly audit: AuditService) {}

  async list(ctx: RequestContext, query: ListQuery): Promise<ListResponse<AuditEntryOut>> {
    const { rows, hasMore } = await this.audit.list(ctx.scope, query.limit, query.iterator);
    return envelope(rows, hasMore, query.iterator, (r) => ({
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
