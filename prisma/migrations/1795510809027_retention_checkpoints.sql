-- Up Migration
-- Retention progress per tenant: every row of `kind` created before `done_before` has been
-- handled (payload or response body erased), so the next run scans only newer rows instead
-- of re-reading every already-erased row that metadata retention still keeps.
CREATE TABLE retention_checkpoints (
  tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind        text NOT NULL,
  done_before timestamptz(3) NOT NULL,
  updated_at  timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, kind)
);

-- Down Migration
DROP TABLE retention_checkpoints;
