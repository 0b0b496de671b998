import { z } from 'zod';

/** Most failing endpoints one overview lists (oldest failure first). */
export const MAX_FAILING_ENDPOINTS = 50;

export const operatorOverviewOutSchema = z.object({
  deliveries: z.object({
    due: z.number().int().describe('pending deliveries whose next attempt is due now'),
    scheduled: z.number().int().describe('pending deliveries waiting for a later attempt'),
  }),
  failingEndpoints: z
    .array(
      z.object({
        tenantId: z.string(),
        appId: z.string(),
        endpointId: z.string(),
        url: z.string(),
        failingSince: z.iso.datetime(),
      }),
    )
    .describe(`enabled endpoints whose every attempt has failed since failingSince, oldest first, at most ${MAX_FAILING_ENDPOINTS}`),
});
export type OperatorOverviewOut = z.output<typeof operatorOverviewOutSchema>;
