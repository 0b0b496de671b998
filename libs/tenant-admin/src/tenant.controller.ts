import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, listResponseSchema, OperatorCtx, RequireAccess, ZodPipe, type ListResponse } from '@herald/api-core';
import type { AuditContext } from '@herald/tenancy';
import { idPathSchema, tenantListQuerySchema, type HeraldListQuery, type IdPath } from './platform.schemas';
import {
  provisionedTenantOutSchema,
  tenantInSchema,
  tenantOutSchema,
  tenantPatchSchema,
  type ProvisionedTenantOut,
  type TenantIn,
  type TenantOut,
  type TenantPatch,
} from './tenant.schemas';
import { TenantService } from './tenant.service';

/** Operator API: tenants (HERALD_ADMIN_TOKEN only). */
@Controller('api/v1/admin/tenants')
@RequireAccess('operator')
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant and its first API key', tag: 'admin', response: provisionedTenantOutSchema })
  create(@OperatorCtx() ctx: AuditContext, @Body(new ZodPipe(tenantInSchema, 'body')) body: TenantIn): Promise<ProvisionedTenantOut> {
    return this.tenants.create(body, ctx);
  }

  @Get()
  @ApiOperation({ summary: 'List tenants', tag: 'admin', response: listResponseSchema(tenantOutSchema) })
  list(@Query(new ZodPipe(tenantListQuerySchema, 'query')) query: HeraldListQuery): Promise<ListResponse<TenantOut>> {
    return this.tenants.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a tenant', tag: 'admin', response: tenantOutSchema })
  get(@Param(new ZodPipe(idPathSchema, 'path')) path: IdPath): Promise<TenantOut> {
    return this.tenants.get(path.id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a tenant', tag: 'admin', response: tenantOutSchema })
  update(
    @OperatorCtx() ctx: AuditContext,
    @Param(new ZodPipe(idPathSchema, 'path')) path: IdPath,
    @Body(new ZodPipe(tenantPatchSchema, 'body')) body: TenantPatch,
  ): Promise<TenantOut> {
    return this.tenants.update(path.id, body, ctx);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a tenant (crypto-shredding: its data key is destroyed at once)', tag: 'admin' })
  async delete(@OperatorCtx() ctx: AuditContext, @Param(new ZodPipe(idPathSchema, 'path')) path: IdPath): Promise<void> {
    await this.tenants.delete(path.id, ctx);
  }
}
