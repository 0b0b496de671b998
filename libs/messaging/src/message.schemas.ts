import { MAX_LIST_LIMIT } from '@herald/core';
import { z } from 'zod';

/**
 * Request schemas of the message and message-attempt routes (Svix API 1.1.1, plus what the
 * `svix@1.99.1` client sends: `tags`, `deliverAt`, `payloadRetentionHours`, `tag`,
 * `with_msg`, `expanded_statuses`, comma-joined `event_types`).
 */

const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
const DEFAULT_LIST_LIMIT = 50;
/** Svix 1.1.1 allows 5 channels per message, later versions 10: accept the larger. */
export const MAX_MESSAGE_CHANNELS = 10;
export const MAX_MESSAGE_TAGS = 10;

const name = (max: number): z.ZodString => z.string().min(1).max(max).regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`);

/** An id or a uid in a path (`app_id`, `msg_id` — which may be an `eventId`, `endpoint_id`). */
export const idOrUid = name(256);

const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object',
);

const dateTime = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an RFC 3339 date-time')
  .transform((value) => new Date(value));

const uniqueNames = (max: number, maxItems: number) =>
  z
    .array(name(max))
    .max(maxItems)
    .transform((items) => [...new Set(items)]);

export const applicationInSchema = z.object({
  name: z.string().min(1).max(256),
  uid: name(256).nullish(),
  throttleRate: z.number().int().min(1).max(65_535).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

export const messageInSchema = z
  .object({
    eventType: name(256),
    payload: jsonObject,
    eventId: name(256).nullish(),
    channels: uniqueNames(128, MAX_MESSAGE_CHANNELS).nullish(),
    tags: uniqueNames(128, MAX_MESSAGE_TAGS).nullish(),
    payloadRetentionPeriod: z.number().int().min(5).max(90).nullish(),
    payloadRetentionHours: z.number().int().min(1).max(90 * 24).nullish(),
    deliverAt: dateTime.nullish(),
    application: applicationInSchema.nullish(),
  })
  .refine((m) => m.payloadRetentionPeriod == null || m.payloadRetentionHours == null, {
    message: 'payloadRetentionPeriod and payloadRetentionHours are mutually exclusive',
    path: ['payloadRetentionHours'],
  });
export type MessageIn = z.output<typeof messageInSchema>;

export const recoverInSchema = z.object({
  since: dateTime,
  until: dateTime.nullish(),
});
export type RecoverIn = z.output<typeof recoverInSchema>;

export const eventExampleInSchema = z.object({
  eventType: name(256),
  exampleIndex: z.number().int().min(0).max(1000).nullish(),
});
export type EventExampleIn = z.output<typeof eventExampleInSchema>;

// ---------------------------------------------------------------------------------------------
// Path parameters

export const appPathSchema = z.object({ app_id: idOrUid });
export const messagePathSchema = z.object({ app_id: idOrUid, msg_id: idOrUid });
export const endpointPathSchema = z.object({ app_id: idOrUid, endpoint_id: idOrUid });
export const messageEndpointPathSchema = z.object({ app_id: idOrUid, msg_id: idOrUid, endpoint_id: idOrUid });
export const attemptPathSchema = z.object({ app_id: idOrUid, msg_id: idOrUid, attempt_id: idOrUid });
export type AppPath = z.output<typeof appPathSchema>;
export type MessagePath = z.output<typeof messagePathSchema>;
export type EndpointPath = z.output<typeof endpointPathSchema>;
export type MessageEndpointPath = z.output<typeof messageEndpointPathSchema>;
export type AttemptPath = z.output<typeof attemptPathSchema>;

// ---------------------------------------------------------------------------------------------
// Query strings

const queryBool = (defaultValue: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? defaultValue : v === 'true' || v === '1'));

const limit = z
  .string()
  .regex(/^\d{1,9}$/, 'must be a non-negative integer')
  .optional()
  // Svix caps list pages at 250; a larger limit is clamped, not refused.
  .transform((v) => (v === undefined ? DEFAULT_LIST_LIMIT : Math.min(Math.max(Number(v), 1), MAX_LIST_LIMIT)));

const iterator = z
  .string()
  .regex(/^-?[A-Za-z0-9_]{1,64}$/, 'invalid iterator')
  .optional();

/** Svix `MessageStatus` (4 = canceled, with `expanded_statuses`). */
const messageStatus = z
  .enum(['0', '1', '2', '3', '4'])
  .optional()
  .transform((v) => (v === undefined ? undefined : (Number(v) as ApiMessageStatus)));

const statusCodeClass = z
  .enum(['0', '100', '200', '300', '400', '500'])
  .optional()
  .transform((v) => (v === undefined ? undefined : Number(v)));

const eventTypes = z.array(name(256)).max(100).optional();

export type ApiMessageStatus = 0 | 1 | 2 | 3 | 4;

/**
 * Fastify gives a repeated key as an array; clients spell a list `k=a&k=b`, `k[]=a` or (the
 * svix client) `k=a,b`. Normalise `event_types` to one array and keep the last value of any
 * other repeated key.
 */
function normalizeQuery(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const out: Record<string, unknown> = {};
  const types: string[] = [];
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
    if (key === 'event_types' || key === 'event_types[]') {
      for (const v of values) types.push(...v.split(',').filter((s) => s.length > 0));
    } else {
      out[key] = values[values.length - 1];
    }
  }
  if (types.length > 0) out['event_types'] = [...new Set(types)];
  return out;
}

const listBase = {
  limit,
  iterator,
  before: dateTime.optional(),
  after: dateTime.optional(),
};

export const messageListQuerySchema = z.preprocess(
  normalizeQuery,
  z.object({
    ...listBase,
    channel: name(128).optional(),
    tag: name(128).optional(),
    event_types: eventTypes,
    with_content: queryBool(true),
  }),
);
export type MessageListQuery = z.output<typeof messageListQuerySchema>;

export const withContentQuerySchema = z.preprocess(normalizeQuery, z.object({ with_content: queryBool(true) }));
export type WithContentQuery = z.output<typeof withContentQuerySchema>;

export const expandedStatusesQuerySchema = z.preprocess(normalizeQuery, z.object({ expanded_statuses: queryBool(false) }));
export type ExpandedStatusesQuery = z.output<typeof expandedStatusesQuerySchema>;

export const attemptListQuerySchema = z.preprocess(
  normalizeQuery,
  z.object({
    ...listBase,
    status: messageStatus,
    status_code_class: statusCodeClass,
    channel: name(128).optional(),
    tag: name(128).optional(),
    event_types: eventTypes,
    endpoint_id: idOrUid.optional(),
    with_content: queryBool(true),
    with_msg: queryBool(false),
    expanded_statuses: queryBool(false),
  }),
);
export type AttemptListQuery = z.output<typeof attemptListQuerySchema>;

export const endpointMessageListQuerySchema = z.preprocess(
  normalizeQuery,
  z.object({
    ...listBase,
    status: messageStatus,
    channel: name(128).optional(),
    tag: name(128).optional(),
    event_types: eventTypes,
    with_content: queryBool(true),
    expanded_statuses: queryBool(false),
  }),
);
export type EndpointMessageListQuery = z.output<typeof endpointMessageListQuerySchema>;

export const messageEndpointListQuerySchema = z.preprocess(
  normalizeQuery,
  z.object({ limit, iterator, expanded_statuses: queryBool(false) }),
);
export type MessageEndpointListQuery = z.output<typeof messageEndpointListQuerySchema>;
