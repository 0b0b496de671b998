import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Res } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import type { FastifyReply } from 'fastify';
import {
  eventTypeDeleteQuerySchema,
  eventTypeImportOpenApiInSchema,
  eventTypeInSchema,
  eventTypeListQuerySchema,
  eventTypePatchSchema,
  eventTypeUpdateSchema,
  type EventTypeDeleteQuery,
  type EventTypeImportOpenApiIn,
  type EventTypeIn,
  type EventTypeListQuery,
  type EventTypePatch,
  type EventTypeUpdate,
} from './event-type.schemas';
import { EventTypeService } from './event-type.service';
import { eventTypeImportOpenApiOutSchema, eventTypeOutSchema, listEnvelopeSchema, type EventTypeImportOpenApiOut, type EventTypeOut } from './management.responses';
import { eventTypePathSchema, type EventTypePath } from './management.schemas';

/** Svix event type API, addressed by name. */
@Controller('api/v1/event-type')
export class EventTypeController {
  constructor(private readonly eventTypes: EventTypeService) {}

  @Get()
  @ApiOperation({ summary: 'List event types', tag: 'Event Type', response: listEnvelopeSchema(eventTypeOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(eventTypeListQuerySchema, 'query')) query: EventTypeListQuery): Promise<ListResponse<EventTypeOut>> {
    return this.eventTypes.list(ctx, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create an event type', tag: 'Event Type', response: eventTypeOutSchema })
  @RequireAccess('write')
  create(@Ctx() ctx: RequestContext, @Body(new ZodPipe(eventTypeInSchema, 'body')) body: EventTypeIn): Promise<EventTypeOut> {
    return this.eventTypes.create(ctx, body);
  }

  @Post('import/openapi')
  @ApiOperation({ summary: "Create or update event types from an OpenAPI document's webhooks", tag: 'Event Type', response: eventTypeImportOpenApiOutSchema })
  @HttpCode(200)
  @RequireAccess('write')
  importOpenApi(@Ctx() ctx: RequestContext, @Body(new ZodPipe(eventTypeImportOpenApiInSchema, 'body')) body: EventTypeImportOpenApiIn): Promise<EventTypeImportOpenApiOut> {
    return this.eventTypes.importOpenApi(ctx, body);
  }

  @Get(':event_type_name')
  @ApiOperation({ summary: 'Get an event type', tag: 'Event Type', response: eventTypeOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  get(@Ctx() ctx: RequestContext, @Param(new ZodPipe(eventTypePathSchema, 'path')) path: EventTypePath): Promise<EventTypeOut> {
    return this.eventTypes.get(ctx, path.event_type_name);
  }

  @Put(':event_type_name')
  @ApiOperation({ summary: 'Create or replace an event type', tag: 'Event Type', response: eventTypeOutSchema })
  @RequireAccess('write')
  async update(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(eventTypePathSchema, 'path')) path: EventTypePath,
    @Body(new ZodPipe(eventTypeUpdateSchema, 'body')) body: EventTypeUpdate,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<EventTypeOut> {
    const outcome = await this.eventTypes.upsert(ctx, path.event_type_name, body);
    void reply.status(outcome.status);
    return outcome.body;
  }

  @Patch(':event_type_name')
  @ApiOperation({ summary: 'Change an event type', tag: 'Event Type', response: eventTypeOutSchema })
  @RequireAccess('write')
  patch(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(eventTypePathSchema, 'path')) path: EventTypePath,
    @Body(new ZodPipe(eventTypePatchSchema, 'body')) body: EventTypePatch,
  ): Promise<EventTypeOut> {
    return this.eventTypes.patch(ctx, path.event_type_name, body);
  }

  @Delete(':event_type_name')
  @ApiOperation({ summary: 'Archive (or with expunge, delete) an event type', tag: 'Event Type' })
  @HttpCode(204)
  @RequireAccess('write')
  async delete(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(eventTypePathSchema, 'path')) path: EventTypePath,
    @Query(new ZodPipe(eventTypeDeleteQuerySchema, 'query')) query: EventTypeDeleteQuery,
  ): Promise<void> {
    await this.eventTypes.delete(ctx, path.event_type_name, query.expunge);
  }
}
