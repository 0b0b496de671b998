import { z } from 'zod';

/**
 * Response shapes of the message and attempt routes (Svix field names). The mappers build
 * exactly these types, and the OpenAPI document is generated from the same schemas.
 */

const statusText = z.enum(['success', 'pending', 'fail', 'sending', 'canceled']);
/** Svix MessageStatus: 0 success, 1 pending, 2 fail, 3 sending, 4 canceled (expanded statuses). */
const messageStatus = z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]);

export const messageOutSchema = z.object({
  id: z.string(),
  eventId: z.string().nullable(),
  eventType: z.string(),
  payload: z.unknown().describe('The payload; `{}` without content, `{"expired": true}` once erased'),
  channels: z.array(z.string()).nullable(),
  tags: z.array(z.string()).optional(),
  timestamp: z.string(),
  deliverAt: z.string().optional(),
});
export type MessageOut = z.output<typeof messageOutSchema>;

export const messageAttemptOutSchema = z.object({
  id: z.string(),
  url: z.string(),
  msgId: z.string(),
  endpointId: z.string(),
  response: z.string().describe('The response body; "EXPUNGED" once erased'),
  responseStatusCode: z.number().int(),
  responseDurationMs: z.number().int(),
  status: z.number().int(),
  statusText,
  triggerType: z.number().int().describe('0 scheduled, 1 manual'),
  timestamp: z.string(),
  msg: messageOutSchema.optional(),
});
export type MessageAttemptOut = z.output<typeof messageAttemptOutSchema>;

export const endpointMessageOutSchema = messageOutSchema.extend({
  status: messageStatus,
  statusText,
  nextAttempt: z.string().nullable(),
});
export type EndpointMessageOut = z.output<typeof endpointMessageOutSchema>;

export const messageEndpointOutSchema = z.object({
  id: z.string(),
  uid: z.string().nullable(),
  url: z.string(),
  description: z.string(),
  disabled: z.boolean(),
  throttleRate: z.number().int().nullable(),
  rateLimit: z.number().int().nullable(),
  version: z.number().int(),
  channels: z.array(z.string()).nullable(),
  eventTypes: z.array(z.string()).nullable().describe('The endpoint’s event filter (the svix client reads `filterTypes`)'),
  filterTypes: z.array(z.string()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: messageStatus,
  statusText,
  nextAttempt: z.string().nullable(),
});
export type MessageEndpointOut = z.output<typeof messageEndpointOutSchema>;

/** Svix BackgroundTaskStatus and BackgroundTaskType (every type the svix client knows; Herald runs four). */
export const backgroundTaskStatusSchema = z.enum(['running', 'finished', 'failed']);
export const backgroundTaskTypeSchema = z.enum([
  'endpoint.replay',
  'endpoint.recover',
  'application.stats',
  'message.broadcast',
  'sdk.generate',
  'event-type.aggregate',
  'application.purge_content',
  'endpoint.bulk-replay',
]);

/** What recover, replay-missing, bulk-replay and expunge-all-contents answer: the task they started. */
export const taskStartedOutSchema = z.object({
  id: z.string(),
  status: backgroundTaskStatusSchema,
  task: backgroundTaskTypeSchema,
  updatedAt: z.string(),
});
export type TaskStartedOut = z.output<typeof taskStartedOutSchema>;

/** A background task with its progress, then its result, in `data` (e.g. `{messagesSent: 2}`). */
export const backgroundTaskOutSchema = taskStartedOutSchema.extend({
  data: z.record(z.string(), z.union([z.number(), z.string()])),
});
export type BackgroundTaskOut = z.output<typeof backgroundTaskOutSchema>;

export const emptyResponseSchema = z.object({}).strict();
