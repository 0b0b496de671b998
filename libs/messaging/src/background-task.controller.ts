import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOperation, Ctx, type ListResponse, listResponseSchema, type RequestContext, RequireAccess, ZodPipe } from '@herald/api-core';
import { backgroundTaskListQuerySchema, backgroundTaskPathSchema, type BackgroundTaskListQuery, type BackgroundTaskPath } from './background-task.schemas';
import { BackgroundTaskService } from './background-task.service';
import { backgroundTaskOutSchema, type BackgroundTaskOut } from './message.responses';

/** Svix background-task API: the tenant's tasks (recover, replays, expunge-all) and their progress. */
@Controller('api/v1/background-task')
export class BackgroundTaskController {
  constructor(private readonly tasks: BackgroundTaskService) {}

  @Get()
  @ApiOperation({ summary: 'List background tasks, newest first', tag: 'Background Task', response: listResponseSchema(backgroundTaskOutSchema) })
  @RequireAccess('read')
  list(@Ctx() ctx: RequestContext, @Query(new ZodPipe(backgroundTaskListQuerySchema, 'query')) query: BackgroundTaskListQuery): Promise<ListResponse<BackgroundTaskOut>> {
    return this.tasks.list(ctx, query);
  }

  @Get(':task_id')
  @ApiOperation({ summary: 'Get a background task: its status and its progress or result', tag: 'Background Task', response: backgroundTaskOutSchema })
  @RequireAccess('read')
  get(@Ctx() ctx: RequestContext, @Param(new ZodPipe(backgroundTaskPathSchema, 'path')) path: BackgroundTaskPath): Promise<BackgroundTaskOut> {
    return this.tasks.get(ctx, path.task_id);
  }
}
