import { PORTAL_CAPABILITIES } from '@herald/api-core';
import { z } from 'zod';
import { applicationInSchema } from './application.schemas';
import { svixName } from './management.schemas';

const HOUR = 3_600;
const WEEK = 7 * 24 * HOUR;
export const DEFAULT_PORTAL_TOKEN_SECONDS = WEEK;

/** AppPortalAccessIn (1.1.1: application, featureFlags; the svix client adds the rest). The body is optional. */
export const appPortalAccessInSchema = z.preprocess(
  (v) => v ?? {},
  z.object({
    application: applicationInSchema.nullish(),
    featureFlags: z.array(svixName(256)).max(100).nullish(),
    // Seconds; Svix accepts 1 hour to 7 days, default 7 days.
    expiry: z.number().int().min(HOUR).max(WEEK).nullish(),
    readOnly: z.boolean().nullish(),
    capabilities: z.array(z.enum(PORTAL_CAPABILITIES)).max(PORTAL_CAPABILITIES.length).nullish(),
    sessionId: z.string().min(1).max(256).nullish(),
  }),
);
export type AppPortalAccessIn = z.output<typeof appPortalAccessInSchema>;

/**
 * ApplicationTokenExpireIn (svix client): `expiry` = seconds until the app's portal tokens stop
 * working (a grace period; 0 or absent = now), `sessionIds` = only the tokens issued for these
 * sessions. The body is optional.
 */
export const applicationTokenExpireInSchema = z.preprocess(
  (v) => v ?? {},
  z.object({
    expiry: z.number().int().min(0).max(WEEK).nullish(),
    sessionIds: z.array(z.string().min(1).max(256)).max(1000).nullish(),
  }),
);
export type ApplicationTokenExpireIn = z.output<typeof applicationTokenExpireInSchema>;
