-- Up Migration
-- Dispatcher v2 (docs/decisions/0010-dispatcher-v2.md): the dispatcher claims due deliveries
-- from PostgreSQL per endpoint lane, fairly, with a lease; circuit breakers per endpoint;
-- operational webhooks become ordinary messages of a hidden per-tenant application.

-- A claimed delivery: lease_owner is the dispatcher holding it until lease_until (a crashed
-- dispatcher's deliveries are claimable again when their lease ends). Neither column is
-- indexed, so a claim is a HOT update (no index entries written): fillfactor leaves room on
-- each page for it. trigger_type: what the next attempt is (Svix MessageAttemptTriggerType:
-- 0 scheduled, 1 manual).
ALTER TABLE deliveries ADD COLUMN lease_owner text;
ALTER TABLE deliveries ADD COLUMN lease_until timestamptz(3);
ALTER TABLE deliveries ADD COLUMN trigger_type integer NOT NULL DEFAULT 0;
ALTER TABLE deliveries SET (fillfactor = 80);
-- "sending" is no longer a stored state (a delivery waiting for its retry is pending with
-- attempts made; the API shows it as Svix's "sending").
UPDATE deliveries SET status = 'pending' WHERE status = 'sending';
DROP INDEX deliveries_due_idx;
-- Each endpoint is a lane: its due deliveries in order, and lane discovery (one probe per
-- endpoint). Partial: finished deliveries leave it.
CREATE INDEX deliveries_lane_due_idx ON deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';

-- Per-endpoint bound on requests in flight (NULL: the operator default), and its circuit
-- breaker: 'closed' | 'open' (deliveries parked) | 'half-open' (one probe in flight).
ALTER TABLE endpoints ADD COLUMN max_in_flight integer;
ALTER TABLE endpoints ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN circuit_state text NOT NULL DEFAULT 'closed';
ALTER TABLE endpoints ADD COLUMN circuit_opened_at timestamptz(3);
-- Open: when the next probe may go; half-open: when the probe's lease ends.
ALTER TABLE endpoints ADD COLUMN circuit_probe_at timestamptz(3);
-- Failed probes since the circuit opened (the probe interval doubles with each).
ALTER TABLE endpoints ADD COLUMN circuit_failed_probes integer NOT NULL DEFAULT 0;

-- Operational webhooks: each tenant's hidden 'operational' application holds the endpoints
-- that receive them; the events are messages of that application.
ALTER TABLE applications ADD COLUMN kind text NOT NULL DEFAULT 'customer';
CREATE UNIQUE INDEX applications_operational_key ON applications (tenant_id) WHERE kind = 'operational';

-- The settings' operational-webhook URL becomes an endpoint of that application; its secret
-- (sealed with the same tenant data key, tenant id as associated data) moves as it is.
CREATE TEMPORARY TABLE op_migration AS
  SELECT s.tenant_id,
         'app_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 27) AS app_id,
         'ep_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 27) AS endpoint_id,
         'sec_' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 27) AS secret_id,
         s.operational_webhook_url AS url,
         s.operational_webhook_secret AS secret
  FROM tenant_settings s
  WHERE s.operational_webhook_url IS NOT NULL AND s.operational_webhook_secret IS NOT NULL;
INSERT INTO applications (id, tenant_id, name, kind) SELECT app_id, tenant_id, 'Operational webhooks', 'operational' FROM op_migration;
INSERT INTO endpoints (id, tenant_id, app_id, uid, url, description)
  SELECT endpoint_id, tenant_id, app_id, 'tenant-settings', url, 'From the tenant settings (operationalWebhookUrl)' FROM op_migration;
INSERT INTO endpoint_secrets (id, tenant_id, endpoint_id, kind, secret_enc) SELECT secret_id, tenant_id, endpoint_id, 'hmac', secret FROM op_migration;
DROP TABLE op_migration;
ALTER TABLE tenant_settings DROP COLUMN operational_webhook_url;
ALTER TABLE tenant_settings DROP COLUMN operational_webhook_secret;

-- Down Migration
ALTER TABLE tenant_settings ADD COLUMN operational_webhook_url text;
ALTER TABLE tenant_settings ADD COLUMN operational_webhook_secret bytea;
UPDATE tenant_settings s SET operational_webhook_url = e.url, operational_webhook_secret = sec.secret_enc
  FROM applications a JOIN endpoints e ON e.app_id = a.id AND e.uid = 'tenant-settings'
  JOIN endpoint_secrets sec ON sec.endpoint_id = e.id AND sec.expires_at IS NULL
  WHERE a.kind = 'operational' AND a.tenant_id = s.tenant_id;
DELETE FROM applications WHERE kind = 'operational';
DROP INDEX applications_operational_key;
ALTER TABLE applications DROP COLUMN kind;
ALTER TABLE endpoints DROP COLUMN circuit_failed_probes;
ALTER TABLE endpoints DROP COLUMN circuit_probe_at;
ALTER TABLE endpoints DROP COLUMN circuit_opened_at;
ALTER TABLE endpoints DROP COLUMN circuit_state;
ALTER TABLE endpoints DROP COLUMN consecutive_failures;
ALTER TABLE endpoints DROP COLUMN max_in_flight;
DROP INDEX deliveries_lane_due_idx;
ALTER TABLE deliveries RESET (fillfactor);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');
ALTER TABLE deliveries DROP COLUMN trigger_type;
ALTER TABLE deliveries DROP COLUMN lease_until;
ALTER TABLE deliveries DROP COLUMN lease_owner;
