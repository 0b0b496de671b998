import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, Ctx, RequireAccess, ZodPipe, type RequestContext } from '@herald/api-core';
import type { ListResponse } from '@herald/core';
import { auditEntryOutSchema, auditVerifyOutSchema, type AuditEntryOut, type AuditVerifyOut } from './audit-log.schemas';
import { AuditLogService } from './audit-log.service';
import { listOutSchema, listQuerySchema, type ListQuery } from './list.schemas';

@Controller('api/v1/audit-log')
export class AuditLogController {
  constructor(private readonly auditLog: AuditLogService) {}

  @Get()
  @RequireAccess('read')
  @ApiOperation({ summary: 'List audit entries, newest first', response: listOutSchema(auditEntryOutSchema) })
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(listQuerySchema, 'query')) query: ListQuery): Promise<ListResponse<AuditEntryOut>> {
    return this.auditLog.list(ctx, query);
  }

  @Get('verify')
  @RequireAccess('read')
  @ApiOperation({ summary: 'Verify the hash chain; names the first entry that does not fit', response: auditVerifyOutSchema })
  verify(@Ctx() ctx: RequestContext): Promise<AuditVerifyOut> {
    return this.auditLog.verify(ctx);
  }
}
