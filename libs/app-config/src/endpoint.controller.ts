import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import type { FastifyReply } from 'fastify';
import {
  endpointHeadersInSchema,
  endpointHeadersPatchInSchema,
  endpointInSchema,
  endpointListQuerySchema,
  endpointPatchSchema,
  endpointSecretRotateInSchema,
  endpointStatsQuerySchema,
  endpointUpdateSchema,
  type EndpointHeadersIn,
  type EndpointHeadersPatchIn,
  type EndpointIn,
  type EndpointListQuery,
  type EndpointPatch,
  type EndpointSecretRotateIn,
  type EndpointStatsQuery,
  type EndpointUpdate,
} from './endpoint.schemas';
import { EndpointService } from './endpoint.service';
import {
  endpointHeadersOutSchema,
  endpointOutSchema,
  endpointSecretOutSchema,
  endpointStatsOutSchema,
  listEnvelopeSchema,
  type EndpointHeadersOut,
  type EndpointOut,
  type EndpointSecretOut,
  type EndpointStatsOut,
} from './management.responses';
import { appPathSchema, endpointPathSchema, type AppPath, type EndpointPath } from './management.schemas';

/** Svix endpoint API: endpoints, their secrets, custom headers and delivery stats. */
@Controller('api/v1/app/:app_id/endpoint')
export class EndpointController {
  constructor(private readonly endpoints: EndpointService) {}

  @Get()
  @ApiOperation({ summary: 'List endpoints', tag: 'Endpoint', response: listEnvelopeSchema(endpointOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  list(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Query(new ZodPipe(endpointListQuerySchema, 'query')) query: EndpointListQuery,
  ): Promise<ListResponse<EndpointOut>> {
    return this.endpoints.list(ctx, path.app_id, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an endpoint', tag: 'Endpoint', response: endpointOutSchema })
  @RequireAccess('write', { portal: 'ManageEndpoint' })
  create(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Body(new ZodPipe(endpointInSchema, 'body')) body: EndpointIn,
  ): Promise<EndpointOut> {
    return this.endpoints.create(ctx, path.app_id, body);
  }

  @Get(':endpoint_id')
  @ApiOperation({ summary: 'Get an endpoint', tag: 'Endpoint', response: endpointOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  get(@Ctx() ctx: RequestContext, @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath): Promise<EndpointOut> {
    return this.endpoints.get(ctx, path.app_id, path.endpoint_id);
  }

  @Put(':endpoint_id')
  @ApiOperation({ summary: 'Create or replace an endpoint', tag: 'Endpoint', response: endpointOutSchema })
  @RequireAccess('write', { portal: 'ManageEndpoint' })
  async update(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(endpointUpdateSchema, 'body')) body: EndpointUpdate,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EndpointOut> {
    const outcome = await this.endpoints.upsert(ctx, path.app_id, path.endpoint_id, body);
    void reply.status(outcome.status);
    return outcome.body;
  }

  @Patch(':endpoint_id')
  @ApiOperation({ summary: 'Change an endpoint', tag: 'Endpoint', response: endpointOutSchema })
  @RequireAccess('write', { portal: 'ManageEndpoint' })
  patch(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(endpointPatchSchema, 'body')) body: EndpointPatch,
  ): Promise<EndpointOut> {
    return this.endpoints.patch(ctx, path.app_id, path.endpoint_id, body);
  }

  @Delete(':endpoint_id')
  @ApiOperation({ summary: 'Delete an endpoint', tag: 'Endpoint' })
  @HttpCode(204)
  @RequireAccess('write', { portal: 'ManageEndpoint' })
  async delete(@Ctx() ctx: RequestContext, @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath): Promise<void> {
    await this.endpoints.delete(ctx, path.app_id, path.endpoint_id);
  }

  @Get(':endpoint_id/secret')
  @ApiOperation({ summary: "Reveal an endpoint's signing secret (audited)", tag: 'Endpoint', response: endpointSecretOutSchema })
  @RequireAccess('secret', { portal: 'ViewEndpointSecret' })
  getSecret(@Ctx() ctx: RequestContext, @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath): Promise<EndpointSecretOut> {
    return this.endpoints.getSecret(ctx, path.app_id, path.endpoint_id);
  }

  @Post(':endpoint_id/secret/rotate')
  @ApiOperation({ summary: "Rotate an endpoint's signing secret", tag: 'Endpoint' })
  @HttpCode(204)
  @RequireAccess('write', { portal: 'ManageEndpointSecret' })
  async rotateSecret(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(endpointSecretRotateInSchema, 'body')) body: EndpointSecretRotateIn,
  ): Promise<void> {
    await this.endpoints.rotateSecret(ctx, path.app_id, path.endpoint_id, body);
  }

  @Get(':endpoint_id/headers')
  @ApiOperation({ summary: "An endpoint's custom headers", tag: 'Endpoint', response: endpointHeadersOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  getHeaders(@Ctx() ctx: RequestContext, @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath): Promise<EndpointHeadersOut> {
    return this.endpoints.getHeaders(ctx, path.app_id, path.endpoint_id);
  }

  @Put(':endpoint_id/headers')
  @ApiOperation({ summary: "Replace an endpoint's custom headers", tag: 'Endpoint' })
  @HttpCode(204)
  @RequireAccess('write', { portal: 'ManageEndpoint' })
  async replaceHeaders(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(endpointHeadersInSchema, 'body')) body: EndpointHeadersIn,
  ): Promise<void> {
    await this.endpoints.replaceHeaders(ctx, path.app_id, path.endpoint_id, body);
  }

  @Patch(':endpoint_id/headers')
  @ApiOperation({ summary: "Change some of an endpoint's custom headers", tag: 'Endpoint' })
  @HttpCode(204)
  @RequireAccess('write', { portal: 'ManageEndpoint' })
  async patchHeaders(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(endpointHeadersPatchInSchema, 'body')) body: EndpointHeadersPatchIn,
  ): Promise<void> {
    await this.endpoints.patchHeaders(ctx, path.app_id, path.endpoint_id, body);
  }

  @Get(':endpoint_id/stats')
  @ApiOperation({ summary: "An endpoint's delivery counts by status (optionally between since and until)", tag: 'Endpoint', response: endpointStatsOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  stats(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Query(new ZodPipe(endpointStatsQuerySchema, 'query')) query: EndpointStatsQuery,
  ): Promise<EndpointStatsOut> {
    return this.endpoints.stats(ctx, path.app_id, path.endpoint_id, query);
  }
}
