import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, Ctx, listResponseSchema, RequireAccess, ZodPipe, type ListResponse, type RequestContext } from '@herald/api-core';
import { apiKeyCreatedOutSchema, apiKeyInSchema, apiKeyOutSchema, type ApiKeyCreatedOut, type ApiKeyIn, type ApiKeyOut } from './api-key.schemas';
import { ApiKeyService } from './api-key.service';
import { apiKeyListQuerySchema, idPathSchema, type HeraldListQuery, type IdPath } from './platform.schemas';

/** The tenant's API keys. Creating and revoking need scope `all`; the secret is shown once. */
@Controller('api/v1/api-keys')
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @RequireAccess('write')
  @ApiOperation({ summary: 'Create an API key (the key is returned only here)', response: apiKeyCreatedOutSchema })
  create(@Ctx() ctx: RequestContext, @Body(new ZodPipe(apiKeyInSchema, 'body')) body: ApiKeyIn): Promise<ApiKeyCreatedOut> {
    return this.keys.create(ctx, body);
  }

  @Get()
  @RequireAccess('read')
  @ApiOperation({ summary: 'List API keys (without their secrets)', response: listResponseSchema(apiKeyOutSchema) })
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(apiKeyListQuerySchema, 'query')) query: HeraldListQuery): Promise<ListResponse<ApiKeyOut>> {
    return this.keys.list(ctx, query);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireAccess('write')
  @ApiOperation({ summary: 'Revoke an API key (refused from now on)' })
  async revoke(@Ctx() ctx: RequestContext, @Param(new ZodPipe(idPathSchema, 'path')) path: IdPath): Promise<void> {
    await this.keys.revoke(ctx, path.id);
  }
}
