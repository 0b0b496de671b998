import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import { endpointHeadersInSchema, endpointHeadersPatchInSchema, type EndpointHeadersIn, type EndpointHeadersPatchIn } from './endpoint.schemas';
import { endpointHeadersOutSchema, endpointSecretOutSchema, listEnvelopeSchema, type EndpointHeadersOut, type EndpointSecretOut } from './management.responses';
import {
  operationalEndpointInSchema,
  operationalEndpointListQuerySchema,
  operationalEndpointOutSchema,
  operationalEndpointPathSchema,
  operationalEndpointSecretInSchema,
  operationalEndpointUpdateSchema,
  type OperationalEndpointIn,
  type OperationalEndpointListQuery,
  type OperationalEndpointOut,
  type OperationalEndpointPath,
  type OperationalEndpointSecretIn,
  type OperationalEndpointUpdate,
} from './operational-endpoint.schemas';
import { OperationalEndpointService } from './operational-endpoint.service';

/**
 * The svix client's operational-webhook endpoints: where the tenant's own operational events
 * (`endpoint.disabled`, `message.attempt.exhausted`, …) go. Tenant API keys only.
 */
@Controller('api/v1/operational-webhook/endpoint')
export class OperationalEndpointController {
  constructor(private readonly endpoints: OperationalEndpointService) {}

  @Get()
  @ApiOperation({ summary: 'List operational-webhook endpoints', tag: 'Webhook Endpoint', response: listEnvelopeSchema(operationalEndpointOutSchema) })
  @RequireAccess('read')
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(operationalEndpointListQuerySchema, 'query')) query: OperationalEndpointListQuery): Promise<ListResponse<OperationalEndpointOut>> {
    return this.endpoints.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an operational-webhook endpoint', tag: 'Webhook Endpoint', response: operationalEndpointOutSchema })
  @RequireAccess('write')
  create(@Ctx() ctx: RequestContext, @Body(new ZodPipe(operationalEndpointInSchema, 'body')) body: OperationalEndpointIn): Promise<OperationalEndpointOut> {
    return this.endpoints.create(ctx, body);
  }

  @Get(':endpoint_id')
  @ApiOperation({ summary: 'Get an operational-webhook endpoint', tag: 'Webhook Endpoint', response: operationalEndpointOutSchema })
  @RequireAccess('read')
  get(@Ctx() ctx: RequestContext, @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath): Promise<OperationalEndpointOut> {
    return this.endpoints.get(ctx, path.endpoint_id);
  }

  @Put(':endpoint_id')
  @ApiOperation({ summary: 'Replace an operational-webhook endpoint', tag: 'Webhook Endpoint', response: operationalEndpointOutSchema })
  @RequireAccess('write')
  update(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath,
    @Body(new ZodPipe(operationalEndpointUpdateSchema, 'body')) body: OperationalEndpointUpdate,
  ): Promise<OperationalEndpointOut> {
    return this.endpoints.update(ctx, path.endpoint_id, body);
  }

  @Delete(':endpoint_id')
  @ApiOperation({ summary: 'Delete an operational-webhook endpoint', tag: 'Webhook Endpoint' })
  @HttpCode(204)
  @RequireAccess('write')
  async delete(@Ctx() ctx: RequestContext, @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath): Promise<void> {
    await this.endpoints.delete(ctx, path.endpoint_id);
  }

  @Get(':endpoint_id/secret')
  @ApiOperation({ summary: "Reveal an operational-webhook endpoint's signing secret (audited)", tag: 'Webhook Endpoint', response: endpointSecretOutSchema })
  @RequireAccess('secret')
  getSecret(@Ctx() ctx: RequestContext, @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath): Promise<EndpointSecretOut> {
    return this.endpoints.getSecret(ctx, path.endpoint_id);
  }

  @Post(':endpoint_id/secret/rotate')
  @ApiOperation({ summary: "Rotate an operational-webhook endpoint's signing secret", tag: 'Webhook Endpoint' })
  @HttpCode(204)
  @RequireAccess('write')
  async rotateSecret(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath,
    @Body(new ZodPipe(operationalEndpointSecretInSchema, 'body')) body: OperationalEndpointSecretIn,
  ): Promise<void> {
    await this.endpoints.rotateSecret(ctx, path.endpoint_id, body);
  }

  @Get(':endpoint_id/headers')
  @ApiOperation({ summary: "An operational-webhook endpoint's custom headers", tag: 'Webhook Endpoint', response: endpointHeadersOutSchema })
  @RequireAccess('read')
  getHeaders(@Ctx() ctx: RequestContext, @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath): Promise<EndpointHeadersOut> {
    return this.endpoints.getHeaders(ctx, path.endpoint_id);
  }

  @Put(':endpoint_id/headers')
  @ApiOperation({ summary: "Replace an operational-webhook endpoint's custom headers", tag: 'Webhook Endpoint' })
  @HttpCode(204)
  @RequireAccess('write')
  async replaceHeaders(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath,
    @Body(new ZodPipe(endpointHeadersInSchema, 'body')) body: EndpointHeadersIn,
  ): Promise<void> {
    await this.endpoints.replaceHeaders(ctx, path.endpoint_id, body);
  }

  @Patch(':endpoint_id/headers')
  @ApiOperation({ summary: "Change some of an operational-webhook endpoint's custom headers", tag: 'Webhook Endpoint' })
  @HttpCode(204)
  @RequireAccess('write')
  async patchHeaders(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(operationalEndpointPathSchema, 'path')) path: OperationalEndpointPath,
    @Body(new ZodPipe(endpointHeadersPatchInSchema, 'body')) body: EndpointHeadersPatchIn,
  ): Promise<void> {
    await this.endpoints.patchHeaders(ctx, path.endpoint_id, body);
  }
}
