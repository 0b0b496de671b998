import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, listResponseSchema, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import { AttemptService } from './attempt.service';
import { BackgroundTaskService } from './background-task.service';
import { DeliveryService } from './delivery.service';
import {
  emptyResponseSchema,
  endpointMessageOutSchema,
  messageAttemptOutSchema,
  messageEndpointOutSchema,
  messageOutSchema,
  taskStartedOutSchema,
  type EndpointMessageOut,
  type MessageAttemptOut,
  type MessageEndpointOut,
  type MessageOut,
  type TaskStartedOut,
} from './message.responses';
import {
  attemptListQuerySchema,
  attemptPathSchema,
  endpointMessageListQuerySchema,
  endpointPathSchema,
  eventExampleInSchema,
  messageEndpointListQuerySchema,
  messageEndpointPathSchema,
  messagePathSchema,
  bulkReplayInSchema,
  recoverInSchema,
  replayInSchema,
  type AttemptListQuery,
  type AttemptPath,
  type EndpointMessageListQuery,
  type EndpointPath,
  type EventExampleIn,
  type MessageEndpointListQuery,
  type MessageEndpointPath,
  type MessagePath,
  type BulkReplayIn,
  type RecoverIn,
  type ReplayIn,
} from './message.schemas';
import { MessageService } from './message.service';

/**
 * Svix message-attempt API (attempts, attempted messages and destinations, resend) and the
 * endpoint operations that create deliveries (recover, replay-missing, bulk-replay, send-example).
 */
@Controller('api/v1/app/:app_id')
export class AttemptController {
  constructor(
    private readonly attempts: AttemptService,
    private readonly deliveries: DeliveryService,
    private readonly messages: MessageService,
    private readonly tasks: BackgroundTaskService,
  ) {}

  @Get('attempt/msg/:msg_id')
  @ApiOperation({ summary: 'List the attempts of a message', tag: 'Message Attempt', response: listResponseSchema(messageAttemptOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  listByMessage(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(messagePathSchema, 'path')) path: MessagePath,
    @Query(new ZodPipe(attemptListQuerySchema, 'query')) query: AttemptListQuery,
  ): Promise<ListResponse<MessageAttemptOut>> {
    return this.attempts.listByMessage(ctx, path.app_id, path.msg_id, query);
  }

  @Get('attempt/endpoint/:endpoint_id')
  @ApiOperation({ summary: 'List the attempts made to an endpoint', tag: 'Message Attempt', response: listResponseSchema(messageAttemptOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  listByEndpoint(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Query(new ZodPipe(attemptListQuerySchema, 'query')) query: AttemptListQuery,
  ): Promise<ListResponse<MessageAttemptOut>> {
    return this.attempts.listByEndpoint(ctx, path.app_id, path.endpoint_id, query);
  }

  @Get('msg/:msg_id/attempt/:attempt_id')
  @ApiOperation({ summary: 'Get an attempt', tag: 'Message Attempt', response: messageAttemptOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  get(@Ctx() ctx: RequestContext, @Param(new ZodPipe(attemptPathSchema, 'path')) path: AttemptPath): Promise<MessageAttemptOut> {
    return this.attempts.get(ctx, path.app_id, path.msg_id, path.attempt_id);
  }

  @Delete('msg/:msg_id/attempt/:attempt_id/content')
  @ApiOperation({ summary: "Erase an attempt's stored response body", tag: 'Message Attempt' })
  @HttpCode(204)
  @RequireAccess('write')
  async expungeContent(@Ctx() ctx: RequestContext, @Param(new ZodPipe(attemptPathSchema, 'path')) path: AttemptPath): Promise<void> {
    await this.attempts.expungeContent(ctx, path.app_id, path.msg_id, path.attempt_id);
  }

  @Get('endpoint/:endpoint_id/msg')
  @ApiOperation({ summary: 'List the messages routed to an endpoint, with their delivery state', tag: 'Message Attempt', response: listResponseSchema(endpointMessageOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  listEndpointMessages(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Query(new ZodPipe(endpointMessageListQuerySchema, 'query')) query: EndpointMessageListQuery,
  ): Promise<ListResponse<EndpointMessageOut>> {
    return this.attempts.listEndpointMessages(ctx, path.app_id, path.endpoint_id, query);
  }

  @Get('msg/:msg_id/endpoint')
  @ApiOperation({ summary: 'List the endpoints a message was routed to, with their delivery state', tag: 'Message Attempt', response: listResponseSchema(messageEndpointOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  listMessageEndpoints(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(messagePathSchema, 'path')) path: MessagePath,
    @Query(new ZodPipe(messageEndpointListQuerySchema, 'query')) query: MessageEndpointListQuery,
  ): Promise<ListResponse<MessageEndpointOut>> {
    return this.attempts.listMessageEndpoints(ctx, path.app_id, path.msg_id, query);
  }

  @Post('msg/:msg_id/endpoint/:endpoint_id/resend')
  @ApiOperation({ summary: 'Send a message to an endpoint again, now', tag: 'Message Attempt', response: emptyResponseSchema })
  @HttpCode(202)
  @RequireAccess('write', { portal: 'CreateAttempts' })
  async resend(@Ctx() ctx: RequestContext, @Param(new ZodPipe(messageEndpointPathSchema, 'path')) path: MessageEndpointPath): Promise<Record<string, never>> {
    await this.deliveries.resend(ctx, path.app_id, path.msg_id, path.endpoint_id);
    // Svix answers an empty JSON object, which its clients parse.
    return {};
  }

  @Post('endpoint/:endpoint_id/recover')
  @ApiOperation({
    summary: "Re-queue an endpoint's failed deliveries since a time (at most 14 days back)",
    description: 'Runs as a background task: poll `GET /api/v1/background-task/{task_id}` for `data.messagesSent`.',
    tag: 'Endpoint',
    response: taskStartedOutSchema,
  })
  @HttpCode(202)
  @RequireAccess('write', { portal: 'CreateAttempts' })
  recover(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(recoverInSchema, 'body')) body: RecoverIn,
  ): Promise<TaskStartedOut> {
    return this.tasks.recover(ctx, path.app_id, path.endpoint_id, body);
  }

  @Post('endpoint/:endpoint_id/replay-missing')
  @ApiOperation({
    summary: 'Send an endpoint the messages since a time that it matches but never received',
    description: 'Messages created before the endpoint existed or while it was disabled. Runs as a background task (`endpoint.replay`).',
    tag: 'Endpoint',
    response: taskStartedOutSchema,
  })
  @HttpCode(202)
  @RequireAccess('write', { portal: 'CreateAttempts' })
  replayMissing(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(replayInSchema, 'body')) body: ReplayIn,
  ): Promise<TaskStartedOut> {
    return this.tasks.replayMissing(ctx, path.app_id, path.endpoint_id, body);
  }

  @Post('endpoint/:endpoint_id/bulk-replay')
  @ApiOperation({
    summary: "Send again an endpoint's messages since a time, delivered or not, narrowed by status, status class, channel, tag, event types",
    description: 'Runs as a background task (`endpoint.bulk-replay`).',
    tag: 'Endpoint',
    response: taskStartedOutSchema,
  })
  @HttpCode(202)
  @RequireAccess('write', { portal: 'CreateAttempts' })
  bulkReplay(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(bulkReplayInSchema, 'body')) body: BulkReplayIn,
  ): Promise<TaskStartedOut> {
    return this.tasks.bulkReplay(ctx, path.app_id, path.endpoint_id, body);
  }

  @Post('endpoint/:endpoint_id/send-example')
  @ApiOperation({ summary: "Send an event type's example payload to one endpoint", tag: 'Endpoint', response: messageOutSchema })
  @HttpCode(200)
  @RequireAccess('write', { portal: 'CreateAttempts' })
  sendExample(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(endpointPathSchema, 'path')) path: EndpointPath,
    @Body(new ZodPipe(eventExampleInSchema, 'body')) body: EventExampleIn,
  ): Promise<MessageOut> {
    return this.messages.sendExample(ctx, path.app_id, path.endpoint_id, body);
  }
}
