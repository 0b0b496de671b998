-- Up Migration
-- Erasure leaves nothing (issue 10): a kept idempotent response names the resource it created
-- (its `id`), so erasing that resource's content (a message's payload) also deletes the kept
-- response, which may contain it.
ALTER TABLE idempotency_records ADD COLUMN resource_id text;
CREATE INDEX idempotency_records_resource_idx ON idempotency_records (tenant_id, resource_id) WHERE resource_id IS NOT NULL;

-- Down Migration
DROP INDEX idempotency_records_resource_idx;
ALTER TABLE idempotency_records DROP COLUMN resource_id;
