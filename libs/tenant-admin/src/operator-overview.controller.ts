import { Controller, Get } from '@nestjs/common';
import { ApiOperation, RequireAccess } from '@herald/api-core';
import { operatorOverviewOutSchema, type OperatorOverviewOut } from './operator-overview.schemas';
import { OperatorOverviewService } from './operator-overview.service';

/** Operator API: the state of the whole installation (HERALD_ADMIN_TOKEN only). */
@Controller('api/v1/admin/overview')
@RequireAccess('operator')
export class OperatorOverviewController {
  constructor(private readonly overview: OperatorOverviewService) {}

  @Get()
  @ApiOperation({ summary: 'Queue depth and failing endpoints across tenants', tag: 'admin', response: operatorOverviewOutSchema })
  get(): Promise<OperatorOverviewOut> {
    return this.overview.get();
  }
}
