import { listQueryFields, orderQuery } from '@herald/api-core';
import { z } from 'zod';
import { backgroundTaskStatusSchema, backgroundTaskTypeSchema } from './message.responses';

/** `GET /background-task`: the svix client's filters (status, task) and paging (limit, iterator, order). */
export const backgroundTaskListQuerySchema = z.object({
  ...listQueryFields('qtask'),
  order: orderQuery,
  status: backgroundTaskStatusSchema.optional(),
  task: backgroundTaskTypeSchema.optional(),
});
export type BackgroundTaskListQuery = z.output<typeof backgroundTaskListQuerySchema>;

export const backgroundTaskPathSchema = z.object({ task_id: z.string().min(1).max(256) });
export type BackgroundTaskPath = z.output<typeof backgroundTaskPathSchema>;
