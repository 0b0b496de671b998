import { z } from 'zod';

export const auditEntryOutSchema = z.object({
  id: z.string(),
  action: z.string(),
  actor: z.object({ type: z.enum(['api_key', 'operator', 'app_portal', 'system']), id: z.string().nullable() }),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.iso.datetime(),
  prevHash: z.string(),
  hash: z.string(),
});
export type AuditEntryOut = z.output<typeof auditEntryOutSchema>;

export const auditVerifyOutSchema = z.union([
  z.object({ ok: z.literal(true), checked: z.number().int() }),
  z.object({ ok: z.literal(false), checked: z.number().int(), brokenAt: z.string() }),
]);
export type AuditVerifyOut = z.output<typeof auditVerifyOutSchema>;
