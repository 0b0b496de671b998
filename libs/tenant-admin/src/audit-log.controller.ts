import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, Ctx, listResponseSchema, RequireAccess, ZodPipe, type ListResponse, type RequestContext } from '@herald/api-core';
import { auditEntryOutSchema, auditVerifyOutSchema, type AuditEntryOut, type AuditVerifyOut } from './audit-log.schemas';
import { AuditLogService } from './audit-log.service';
import { auditLogListQuerySchema, type HeraldListQuery } from './platform.schemas';

@Controller('api/v1/audit-log')
export class AuditLogController {
  constructor(private readonly auditLog: AuditLogService) {}

  @Get()
  @RequireAccess('read')
  @ApiOperation({ summary: 'List audit entries, newest first', response: listResponseSchema(auditEntryOutSchema) })
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(auditLogListQuerySchema, 'query')) query: HeraldListQuery): Promise<ListResponse<AuditEntryOut>> {
    return this.auditLog.list(ctx, query);
  }

  @Get('verify')
  @RequireAccess('read')
  @ApiOperation({ summary: 'Verify the hash chain; names the first entry that does not fit', response: auditVerifyOutSchema })
  verify(@Ctx() ctx: RequestContext): Promise<AuditVerifyOut> {
    return this.auditLog.verify(ctx);
  }
}
