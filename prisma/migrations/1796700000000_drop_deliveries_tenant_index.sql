-- Up Migration
-- No statement of Herald's reads deliveries by tenant and creation time: every list, count,
-- step and purge reaches them by endpoint (deliveries_endpoint_created_idx, the lane index) or
-- by message (deliveries_message_endpoint_key), with tenant_id as a filter beside it. The index
-- still cost an entry at every ingest and at every record (a record is never a HOT update: it
-- changes status, which the lane index's predicate names), ~120 B of WAL a delivery each
-- time, and on an empty database it lured the claim's plan (fixed-plans.int-spec.ts).
DROP INDEX IF EXISTS deliveries_tenant_created_idx;

-- Down Migration
CREATE INDEX deliveries_tenant_created_idx ON deliveries (tenant_id, created_at);
