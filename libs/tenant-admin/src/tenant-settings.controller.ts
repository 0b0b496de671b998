import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOperation, Ctx, RequireAccess, ZodPipe, type RequestContext } from '@herald/api-core';
import { tenantSettingsOutSchema, tenantSettingsPatchSchema, type TenantSettingsOut, type TenantSettingsPatch } from './tenant-settings.schemas';
import { TenantSettingsService } from './tenant-settings.service';

@Controller('api/v1/tenant/settings')
export class TenantSettingsController {
  constructor(private readonly settings: TenantSettingsService) {}

  @Get()
  @RequireAccess('read')
  @ApiOperation({
    summary: "Get the tenant's settings",
    description: 'operationalWebhookSecret is returned to keys with scope `all` only (each time audited); other keys get null.',
    tag: 'tenant',
    response: tenantSettingsOutSchema,
  })
  get(@Ctx() ctx: RequestContext): Promise<TenantSettingsOut> {
    return this.settings.get(ctx);
  }

  @Patch()
  @RequireAccess('write')
  @ApiOperation({
    summary: "Change the tenant's settings",
    description:
      'payloadRetentionDays may not exceed the operator maximum (HERALD_DEFAULT_PAYLOAD_RETENTION_DAYS). Setting operationalWebhookUrl for the first time generates operationalWebhookSecret (read-only).',
    tag: 'tenant',
    response: tenantSettingsOutSchema,
  })
  update(@Ctx() ctx: RequestContext, @Body(new ZodPipe(tenantSettingsPatchSchema, 'body')) body: TenantSettingsPatch): Promise<TenantSettingsOut> {
    return this.settings.update(ctx, body);
  }
}
