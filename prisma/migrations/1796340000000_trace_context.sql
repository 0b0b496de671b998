-- Up Migration
-- The W3C `traceparent` of the request that ingested the message (NULL when tracing is off; an
-- unsampled trace keeps its flag, so attempts follow the same decision). Deliveries are claimed from PostgreSQL, not carried by a queue
-- message, so the trace context travels with the row: every delivery attempt's span continues
-- the ingest's trace (docs/decisions/0015-opentelemetry.md). 55 bytes, unindexed.
ALTER TABLE messages ADD COLUMN trace_parent text;

-- Down Migration
ALTER TABLE messages DROP COLUMN trace_parent;
