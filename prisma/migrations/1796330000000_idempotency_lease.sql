-- Up Migration
-- Idempotency as Svix (issue 10, docs/decisions/0005-idempotency.md): a request holds its key
-- with a short lease that it renews while it runs, so the key of a request whose process died
-- is free again within seconds instead of after a fixed 5 minutes. NULL once the response is kept.
ALTER TABLE idempotency_records ADD COLUMN lease_expires_at timestamptz(3);
-- Reservations taken before this migration keep the old 5-minute rule.
UPDATE idempotency_records SET lease_expires_at = created_at + interval '5 minutes' WHERE response_status IS NULL;

-- Down Migration
ALTER TABLE idempotency_records DROP COLUMN lease_expires_at;
