import type { Db } from '@herald/tenancy';

/**
 * An operational event ready to insert: a message of the tenant's operational application
 * (payload already sealed with the tenant's key) and one delivery per subscribed endpoint.
 */
export interface OperationalEventRow {
  tenantId: string;
  appId: string;
  messageId: string;
  eventType: string;
  payloadEnc: Buffer;
  payloadSize: number;
  payloadExpiresAt: Date;
  createdAt: Date;
  /** The cause's traceparent (the API request or the attempt): the notice's attempts continue that trace. */
  traceParent: string | null;
  deliveries: { id: string; endpointId: string }[];
}

/** Inserts operational events (messages + deliveries) in one statement, inside `db`'s transaction if it is one. */
export async function insertOperationalEvents(db: Db, events: OperationalEventRow[]): Promise<void> {
  if (events.length === 0) return;
  const deliveries = events.flatMap((e) => e.deliveries.map((d) => ({ ...d, messageId: e.messageId, tenantId: e.tenantId, appId: e.appId, createdAt: e.createdAt })));
  await db.$executeRaw`
    WITH msg AS (
      INSERT INTO messages (id, tenant_id, app_id, event_type, channels, tags, payload_enc, payload_size, payload_expires_at, created_at, trace_parent)
      SELECT m.id, m.tenant_id, m.app_id, m.event_type, '{}', '{}', decode(m.payload_b64, 'base64'), m.payload_size, m.expires_at, m.created_at, m.trace_parent
      FROM unnest(${events.map((e) => e.messageId)}::text[], ${events.map((e) => e.tenantId)}::text[], ${events.map((e) => e.appId)}::text[],
                  ${events.map((e) => e.eventType)}::text[], ${events.map((e) => e.payloadEnc.toString('base64'))}::text[],
                  ${events.map((e) => e.payloadSize)}::int[], ${events.map((e) => e.payloadExpiresAt.toISOString())}::timestamptz[],
                  ${events.map((e) => e.createdAt.toISOString())}::timestamptz[], ${events.map((e) => e.traceParent)}::text[])
        AS m(id, tenant_id, app_id, event_type, payload_b64, payload_size, expires_at, created_at, trace_parent)
      RETURNING id
    )
    INSERT INTO deliveries (id, tenant_id, app_id, message_id, endpoint_id, status, next_attempt_at, created_at, updated_at)
    SELECT d.id, d.tenant_id, d.app_id, d.message_id, d.endpoint_id, 'pending', d.created_at, d.created_at, d.created_at
    FROM unnest(${deliveries.map((d) => d.id)}::text[], ${deliveries.map((d) => d.tenantId)}::text[], ${deliveries.map((d) => d.appId)}::text[],
                ${deliveries.map((d) => d.messageId)}::text[], ${deliveries.map((d) => d.endpointId)}::text[],
                ${deliveries.map((d) => d.createdAt.toISOString())}::timestamptz[])
      AS d(id, tenant_id, app_id, message_id, endpoint_id, created_at)
    JOIN msg ON msg.id = d.message_id`;
}
