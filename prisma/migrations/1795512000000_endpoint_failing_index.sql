-- Up Migration
-- Endpoint health: the sweep looks for enabled endpoints failing since before a cutoff.
-- Partial, so it holds only the (few) endpoints currently failing.
CREATE INDEX endpoints_failing_since_idx ON endpoints (failing_since) WHERE failing_since IS NOT NULL AND disabled = false;

-- Down Migration
DROP INDEX endpoints_failing_since_idx;
