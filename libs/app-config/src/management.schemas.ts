import { z } from 'zod';

/**
 * Building blocks shared by the management schemas (Svix API 1.1.1 plus what the
 * `svix@1.99.1` client sends). Objects are not `.strict()`: the client sends fields the spec
 * does not list, and unknown keys are dropped rather than refused.
 */

export const NAME_PATTERN = /^[a-zA-Z0-9\-_.]+$/;
/** Svix's throttle rates are uint16. */
export const MAX_THROTTLE_RATE = 65_535;

/** A uid, event type name, channel, feature flag: Svix's identifier pattern. */
export const svixName = (max: number): z.ZodString =>
  z.string().min(1).max(max).regex(NAME_PATTERN, `must match ${NAME_PATTERN.source}`);

/** An id or a uid in a path. */
export const idOrUid = svixName(256);

export const metadataSchema = z.record(z.string(), z.string());

/** Both spellings of an object's rate limit: `throttleRate` (API 1.1.1) and `rateLimit` (newer clients). */
export function rateLimitFields(min: number) {
  const rate = z.number().int().min(min).max(MAX_THROTTLE_RATE).nullish();
  return { throttleRate: rate, rateLimit: rate };
}

/** Refuses a body that gives both spellings with different values. */
export function sameRateLimit(body: { throttleRate?: number | null; rateLimit?: number | null }, ctx: z.RefinementCtx): void {
  if (body.throttleRate !== undefined && body.rateLimit !== undefined && body.throttleRate !== body.rateLimit) {
    ctx.addIssue({ code: 'custom', path: ['rateLimit'], message: 'rateLimit and throttleRate are the same setting; give one, or the same value' });
  }
}

/** The rate limit a body asks for: undefined = not given, null = none. */
export function requestedRateLimit(body: { throttleRate?: number | null; rateLimit?: number | null }): number | null | undefined {
  const value = body.rateLimit !== undefined ? body.rateLimit : body.throttleRate;
  // PATCH bodies may carry 0 (uint16 minimum in the spec): no limit.
  return value === 0 ? null : value;
}

export const appPathSchema = z.object({ app_id: idOrUid });
export type AppPath = z.output<typeof appPathSchema>;

export const endpointPathSchema = z.object({ app_id: idOrUid, endpoint_id: idOrUid });
export type EndpointPath = z.output<typeof endpointPathSchema>;

export const eventTypePathSchema = z.object({ event_type_name: svixName(256) });
export type EventTypePath = z.output<typeof eventTypePathSchema>;
