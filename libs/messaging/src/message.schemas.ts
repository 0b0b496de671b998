import { findInJson, listQueryFields, normalizeQuery, queryBool, rfc3339DateTime, timeRangeQueryFields } from '@herald/api-core';
import { z } from 'zod';
import { applicationInSchema } from '@herald/app-config';

/**
 * Request schemas of the message and message-attempt routes (Svix API 1.1.1, plus what the
 * `svix@1.99.1` client sends: `tags`, `deliverAt`, `payloadRetentionHours`, `tag`,
 * `with_msg`, `expanded_statuses`, comma-joined `event_types`).
 */

const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
/** Svix 1.1.1: 1–5 channels per message. */
export const MAX_MESSAGE_CHANNELS = 5;
export const MAX_MESSAGE_TAGS = 10;

const name = (max: number): z.ZodString => z.string().min(1).max(max).regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`);

/** An id or a uid in a path (`app_id`, `msg_id` — which may be an `eventId`, `endpoint_id`). */
export const idOrUid = name(256);

const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  'must be a JSON object',
);

/**
 * Where a JSON value holds a number beyond ±(2^53 − 1): JSON.parse has already rounded it, so
 * delivering it would silently change it (an id of 9007199254740993 would arrive as …992).
 * Herald refuses such payloads; producers send big integers as strings.
 */
export function unsafeNumberPath(value: unknown): (string | number)[] | null {
  return findInJson(value, { value: (v) => typeof v === 'number' && Math.abs(v) > Number.MAX_SAFE_INTEGER }, 1)[0] ?? null;
}

const payload = jsonObject.superRefine((value, ctx) => {
  const path = unsafeNumberPath(value);
  if (path) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `numbers beyond ±${Number.MAX_SAFE_INTEGER} (2^53 − 1) cannot be kept exactly; send them as strings`,
    });
  }
});

/** A set of names: minItems..maxItems given, duplicates dropped. */
const uniqueNames = (max: number, minItems: number, maxItems: number) =>
  z
    .array(name(max))
    .min(minItems)
    .max(maxItems)
    .transform((items) => [...new Set(items)]);

/** A media type as a Content-Type header carries it (`type/subtype`, optional parameters); no CR/LF. */
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=("[^"\r\n\\]*"|[A-Za-z0-9!#$&^_.+-]+))*$/;

/**
 * What the svix client's `messageInRaw()` sends beside `payload: {}`: the body to send as is
 * (not re-serialised) and, optionally, its Content-Type. Herald has no transformations, so
 * nothing else is accepted here.
 */
const transformationsParams = z
  .object({
    rawPayload: z.string().optional(),
    headers: z.record(z.string(), z.string()).nullish(),
  })
  .superRefine((params, ctx) => {
    for (const [name, value] of Object.entries(params.headers ?? {})) {
      if (name.toLowerCase() !== 'content-type') {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'only content-type can be set (with rawPayload)' });
      } else if (params.rawPayload === undefined) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'content-type applies to rawPayload only' });
      } else if (value.length > 256 || !MEDIA_TYPE.test(value)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: 'must be a media type such as text/plain; charset=utf-8' });
      }
    }
  });

export const messageInSchema = z
  .object({
    eventType: name(256),
    payload,
    eventId: name(256).nullish(),
    channels: uniqueNames(128, 1, MAX_MESSAGE_CHANNELS).nullish(),
    tags: uniqueNames(128, 0, MAX_MESSAGE_TAGS).nullish(),
    payloadRetentionPeriod: z.number().int().min(5).max(90).nullish(),
    payloadRetentionHours: z.number().int().min(1).max(90 * 24).nullish(),
    deliverAt: rfc3339DateTime.nullish(),
    application: applicationInSchema.nullish(),
    transformationsParams: transformationsParams.nullish(),
  })
  .refine((m) => m.payloadRetentionPeriod == null || m.payloadRetentionHours == null, {
    message: 'payloadRetentionPeriod and payloadRetentionHours are mutually exclusive',
    path: ['payloadRetentionHours'],
  })
  .refine((m) => m.transformationsParams?.rawPayload === undefined || Object.keys(m.payload).length === 0, {
    message: 'payload must be {} when transformationsParams.rawPayload is given',
    path: ['payload'],
  });
export type MessageIn = z.output<typeof messageInSchema>;

/** A raw payload: the text sent byte for byte and its Content-Type (Svix's default: application/json). */
export interface RawPayload {
  text: string;
  contentType: string;
}

export function rawPayloadOf(input: Pick<MessageIn, 'transformationsParams'>): RawPayload | null {
  const params = input.transformationsParams;
  if (params?.rawPayload === undefined) return null;
  const contentType = Object.entries(params.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  return { text: params.rawPayload, contentType: contentType ?? 'application/json' };
}

export const recoverInSchema = z.object({
  since: rfc3339DateTime,
  until: rfc3339DateTime.nullish(),
});
export type RecoverIn = z.output<typeof recoverInSchema>;

/** replay-missing: the messages created in [since, until] (until: now) that the endpoint never got. */
export const replayInSchema = recoverInSchema;
export type ReplayIn = RecoverIn;

/** bulk-replay: the endpoint's messages created in [since, until], narrowed by the svix client's filters. */
export const bulkReplayInSchema = z.object({
  since: rfc3339DateTime,
  until: rfc3339DateTime.nullish(),
  /** Svix MessageStatus of the delivery (0 success, 1 pending, 2 fail, 3 sending, 4 canceled). */
  status: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).nullish(),
  /** Svix StatusCodeClass of the last attempt (0 = no response). */
  statusCodeClass: z.union([z.literal(0), z.literal(100), z.literal(200), z.literal(300), z.literal(400), z.literal(500)]).nullish(),
  channel: name(128).nullish(),
  tag: name(128).nullish(),
  eventTypes: z.array(name(256)).max(100).nullish(),
});
export type BulkReplayIn = z.output<typeof bulkReplayInSchema>;

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

/** `event_types` may be given as `k=a&k=b`, `k[]=a` or (the svix client) `k=a,b`. */
const normalize = (raw: unknown): unknown => normalizeQuery(raw, ['event_types']);

export const messageListQuerySchema = z.preprocess(
  normalize,
  z.object({
    ...listQueryFields('msg'),
    ...timeRangeQueryFields,
    channel: name(128).optional(),
    tag: name(128).optional(),
    event_types: eventTypes,
    with_content: queryBool(true),
  }),
);
export type MessageListQuery = z.output<typeof messageListQuerySchema>;

export const withContentQuerySchema = z.preprocess(normalize, z.object({ with_content: queryBool(true) }));
export type WithContentQuery = z.output<typeof withContentQuerySchema>;

export const expandedStatusesQuerySchema = z.preprocess(normalize, z.object({ expanded_statuses: queryBool(false) }));
export type ExpandedStatusesQuery = z.output<typeof expandedStatusesQuerySchema>;

export const attemptListQuerySchema = z.preprocess(
  normalize,
  z.object({
    ...listQueryFields('atmpt'),
    ...timeRangeQueryFields,
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
  normalize,
  z.object({
    ...listQueryFields('msg'),
    ...timeRangeQueryFields,
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
  normalize,
  z.object({ ...listQueryFields('ep'), expanded_statuses: queryBool(false) }),
);
export type MessageEndpointListQuery = z.output<typeof messageEndpointListQuerySchema>;
