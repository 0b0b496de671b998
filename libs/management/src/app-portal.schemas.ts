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
    capabilities: z.array(z.enum(['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'ManageTransformations', 'CreateAttempts', 'ManageEndpoint'])).nullish(),
    sessionId: z.string().max(256).nullish(),
  }),
);
export type AppPortalAccessIn = z.output<typeof appPortalAccessInSchema>;
