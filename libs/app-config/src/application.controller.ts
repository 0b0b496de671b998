import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import type { FastifyReply } from 'fastify';
import {
  applicationCreateQuerySchema,
  applicationInSchema,
  applicationListQuerySchema,
  applicationPatchSchema,
  type ApplicationCreateQuery,
  type ApplicationIn,
  type ApplicationListQuery,
  type ApplicationPatch,
} from './application.schemas';
import { ApplicationService } from './application.service';
import { applicationOutSchema, listEnvelopeSchema, type ApplicationOut } from './management.responses';
import { appPathSchema, type AppPath } from './management.schemas';

/** Svix application API. `{app_id}` is an id or a uid. */
@Controller('api/v1/app')
export class ApplicationController {
  constructor(private readonly apps: ApplicationService) {}

  @Get()
  @ApiOperation({ summary: 'List applications', tag: 'Application', response: listEnvelopeSchema(applicationOutSchema) })
  @RequireAccess('read')
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(applicationListQuerySchema, 'query')) query: ApplicationListQuery): Promise<ListResponse<ApplicationOut>> {
    return this.apps.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an application', tag: 'Application', response: applicationOutSchema })
  @RequireAccess('write')
  async create(
    @Ctx() ctx: RequestContext,
    @Query(new ZodPipe(applicationCreateQuerySchema, 'query')) query: ApplicationCreateQuery,
    @Body(new ZodPipe(applicationInSchema, 'body')) body: ApplicationIn,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationOut> {
    const outcome = await this.apps.create(ctx, body, query.get_if_exists);
    void reply.status(outcome.status);
    return outcome.body;
  }

  @Get(':app_id')
  @ApiOperation({ summary: 'Get an application', tag: 'Application', response: applicationOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  get(@Ctx() ctx: RequestContext, @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath): Promise<ApplicationOut> {
    return this.apps.get(ctx, path.app_id);
  }

  @Put(':app_id')
  @ApiOperation({ summary: 'Create or replace an application', tag: 'Application', response: applicationOutSchema })
  @RequireAccess('write')
  async update(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Body(new ZodPipe(applicationInSchema, 'body')) body: ApplicationIn,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ApplicationOut> {
    const outcome = await this.apps.upsert(ctx, path.app_id, body);
    void reply.status(outcome.status);
    return outcome.body;
  }

  @Patch(':app_id')
  @ApiOperation({ summary: 'Change an application', tag: 'Application', response: applicationOutSchema })
  @RequireAccess('write')
  patch(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Body(new ZodPipe(applicationPatchSchema, 'body')) body: ApplicationPatch,
  ): Promise<ApplicationOut> {
    return this.apps.patch(ctx, path.app_id, body);
  }

  @Delete(':app_id')
  @ApiOperation({ summary: 'Delete an application', tag: 'Application' })
  @HttpCode(204)
  @RequireAccess('write')
  async delete(@Ctx() ctx: RequestContext, @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath): Promise<void> {
    await this.apps.delete(ctx, path.app_id);
  }
}
