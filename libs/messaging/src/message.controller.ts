import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, listResponseSchema, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import { BackgroundTaskService } from './background-task.service';
import { messageOutSchema, taskStartedOutSchema, type MessageOut, type TaskStartedOut } from './message.responses';
import {
  appPathSchema,
  messageInSchema,
  messageListQuerySchema,
  messagePathSchema,
  withContentQuerySchema,
  type AppPath,
  type MessageIn,
  type MessageListQuery,
  type MessagePath,
  type WithContentQuery,
} from './message.schemas';
import { MessageService } from './message.service';

/** Svix message API: create (fan-out to deliveries), list, get, expunge content (one, or all as a task). */
@Controller('api/v1/app/:app_id/msg')
export class MessageController {
  constructor(
    private readonly messages: MessageService,
    private readonly tasks: BackgroundTaskService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create a message',
    description: 'Stores the message (payload encrypted) with one delivery per matching endpoint, then enqueues the deliveries. `{app_id}` is an id or uid.',
    tag: 'Message',
    response: messageOutSchema,
  })
  @HttpCode(202)
  @RequireAccess('send')
  create(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Query(new ZodPipe(withContentQuerySchema, 'query')) query: WithContentQuery,
    @Body(new ZodPipe(messageInSchema, 'body')) body: MessageIn,
  ): Promise<MessageOut> {
    return this.messages.create(ctx, path.app_id, body, query.with_content);
  }

  @Get()
  @ApiOperation({ summary: "List the application's messages, newest first", tag: 'Message', response: listResponseSchema(messageOutSchema) })
  @RequireAccess('read', { portal: 'ViewBase' })
  list(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath,
    @Query(new ZodPipe(messageListQuerySchema, 'query')) query: MessageListQuery,
  ): Promise<ListResponse<MessageOut>> {
    return this.messages.list(ctx, path.app_id, query);
  }

  @Post('expunge-all-contents')
  @ApiOperation({
    summary: "Erase the payload of every message of the application",
    description: 'Runs as a background task (`application.purge_content`, result `data.messagesPurged`); audited when requested and when done.',
    tag: 'Message',
    response: taskStartedOutSchema,
  })
  @HttpCode(202)
  @RequireAccess('write')
  expungeAllContents(@Ctx() ctx: RequestContext, @Param(new ZodPipe(appPathSchema, 'path')) path: AppPath): Promise<TaskStartedOut> {
    return this.tasks.expungeAllContents(ctx, path.app_id);
  }

  @Get(':msg_id')
  @ApiOperation({ summary: 'Get a message by id or eventId', tag: 'Message', response: messageOutSchema })
  @RequireAccess('read', { portal: 'ViewBase' })
  get(
    @Ctx() ctx: RequestContext,
    @Param(new ZodPipe(messagePathSchema, 'path')) path: MessagePath,
    @Query(new ZodPipe(withContentQuerySchema, 'query')) query: WithContentQuery,
  ): Promise<MessageOut> {
    return this.messages.get(ctx, path.app_id, path.msg_id, query.with_content);
  }

  @Delete(':msg_id/content')
  @ApiOperation({ summary: "Erase a message's payload now", tag: 'Message' })
  @HttpCode(204)
  @RequireAccess('write')
  async expungeContent(@Ctx() ctx: RequestContext, @Param(new ZodPipe(messagePathSchema, 'path')) path: MessagePath): Promise<void> {
    await this.messages.expungeContent(ctx, path.app_id, path.msg_id);
  }
}
