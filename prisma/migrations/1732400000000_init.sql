-- Up Migration
-- Herald's initial schema. Mirrors prisma/schema.prisma (a test fails on drift) plus what
-- Prisma cannot express: partial indexes for the outbox sweep and the retention worker.

CREATE TABLE tenants (
  id               text PRIMARY KEY,
  name             text NOT NULL,
  data_key_wrapped bytea,
  created_at       timestamptz(3) NOT NULL DEFAULT now(),
  updated_at       timestamptz(3) NOT NULL DEFAULT now(),
  deleted_at       timestamptz(3)
);

CREATE TABLE tenant_settings (
  tenant_id                  text PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  payload_retention_days     integer NOT NULL,
  attempt_retention_days     integer NOT NULL,
  metadata_retention_days    integer NOT NULL,
  operational_webhook_url    text,
  operational_webhook_secret bytea,
  throttle_rate              integer,
  send_svix_headers          boolean NOT NULL DEFAULT false,
  updated_at                 timestamptz(3) NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name          text NOT NULL,
  key_hash      bytea NOT NULL,
  key_prefix    text NOT NULL,
  scopes        text[] NOT NULL,
  app_id        text,
  expires_at    timestamptz(3),
  allowed_cidrs text[] NOT NULL,
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  revoked_at    timestamptz(3),
  last_used_at  timestamptz(3)
);
CREATE UNIQUE INDEX api_keys_key_hash_key ON api_keys (key_hash);
CREATE INDEX api_keys_tenant_created_idx ON api_keys (tenant_id, created_at);

CREATE TABLE applications (
  id            text PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  uid           text,
  name          text NOT NULL,
  throttle_rate integer,
  metadata      jsonb NOT NULL DEFAULT '{}',
  created_at    timestamptz(3) NOT NULL DEFAULT now(),
  updated_at    timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX applications_tenant_uid_key ON applications (tenant_id, uid);
CREATE INDEX applications_tenant_created_idx ON applications (tenant_id, created_at);

CREATE TABLE event_types (
  id           text PRIMARY KEY,
  tenant_id    text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  name         text NOT NULL,
  description  text NOT NULL DEFAULT '',
  archived     boolean NOT NULL DEFAULT false,
  deprecated   boolean NOT NULL DEFAULT false,
  feature_flag text,
  group_name   text,
  schemas      jsonb,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX event_types_tenant_name_key ON event_types (tenant_id, name);

CREATE TABLE endpoints (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL,
  app_id          text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  uid             text,
  url             text NOT NULL,
  description     text NOT NULL DEFAULT '',
  disabled        boolean NOT NULL DEFAULT false,
  disabled_reason text,
  throttle_rate   integer,
  filter_types    text[] NOT NULL DEFAULT '{}',
  channels        text[] NOT NULL DEFAULT '{}',
  metadata        jsonb NOT NULL DEFAULT '{}',
  version         integer NOT NULL DEFAULT 1,
  failing_since   timestamptz(3),
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX endpoints_app_uid_key ON endpoints (app_id, uid);
CREATE INDEX endpoints_tenant_app_created_idx ON endpoints (tenant_id, app_id, created_at);

CREATE TABLE endpoint_secrets (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL,
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  kind        text NOT NULL,
  secret_enc  bytea NOT NULL,
  public_key  text,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  expires_at  timestamptz(3)
);
CREATE INDEX endpoint_secrets_endpoint_created_idx ON endpoint_secrets (endpoint_id, created_at);

CREATE TABLE endpoint_headers (
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  tenant_id   text NOT NULL,
  name        text NOT NULL,
  value_enc   bytea NOT NULL,
  sensitive   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (endpoint_id, name)
);

CREATE TABLE messages (
  id                 text PRIMARY KEY,
  tenant_id          text NOT NULL,
  app_id             text NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
  event_type         text NOT NULL,
  event_id           text,
  channels           text[] NOT NULL DEFAULT '{}',
  tags               text[] NOT NULL DEFAULT '{}',
  payload_enc        bytea,
  payload_size       integer NOT NULL,
  payload_expires_at timestamptz(3) NOT NULL,
  created_at         timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_app_event_id_key ON messages (app_id, event_id);
CREATE INDEX messages_tenant_app_created_idx ON messages (tenant_id, app_id, created_at);
CREATE INDEX messages_tenant_created_idx ON messages (tenant_id, created_at);
-- Retention: find payloads due for erasure without scanning erased rows.
CREATE INDEX messages_payload_expiry_idx ON messages (payload_expires_at) WHERE payload_enc IS NOT NULL;

CREATE TABLE deliveries (
  id              text PRIMARY KEY,
  tenant_id       text NOT NULL,
  app_id          text NOT NULL,
  message_id      text NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  endpoint_id     text NOT NULL,
  status          text NOT NULL,
  attempt_count   integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz(3),
  last_attempt_at timestamptz(3),
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX deliveries_message_endpoint_key ON deliveries (message_id, endpoint_id);
CREATE INDEX deliveries_endpoint_created_idx ON deliveries (endpoint_id, created_at);
CREATE INDEX deliveries_tenant_created_idx ON deliveries (tenant_id, created_at);
-- Outbox sweep: due deliveries only; stays small because finished rows leave it.
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at) WHERE status IN ('pending', 'sending');

CREATE TABLE attempts (
  id                text PRIMARY KEY,
  tenant_id         text NOT NULL,
  app_id            text NOT NULL,
  message_id        text NOT NULL,
  endpoint_id       text NOT NULL,
  delivery_id       text NOT NULL,
  url               text NOT NULL,
  status            integer NOT NULL,
  response_status   integer NOT NULL,
  response_enc      bytea,
  response_expunged boolean NOT NULL DEFAULT false,
  duration_ms       integer NOT NULL,
  trigger_type      integer NOT NULL,
  error             text,
  created_at        timestamptz(3) NOT NULL DEFAULT now()
);
CREATE INDEX attempts_tenant_message_created_idx ON attempts (tenant_id, message_id, created_at);
CREATE INDEX attempts_tenant_endpoint_created_idx ON attempts (tenant_id, endpoint_id, created_at);
CREATE INDEX attempts_tenant_created_idx ON attempts (tenant_id, created_at);

CREATE TABLE idempotency_records (
  tenant_id       text NOT NULL,
  key             text NOT NULL,
  request_hash    text NOT NULL,
  response_status integer,
  response_body   jsonb,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  expires_at      timestamptz(3) NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_records_expires_idx ON idempotency_records (expires_at);

CREATE TABLE audit_log (
  id          text PRIMARY KEY,
  tenant_id   text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  seq         bigint NOT NULL,
  action      text NOT NULL,
  actor_type  text NOT NULL,
  actor_id    text,
  target_type text NOT NULL,
  target_id   text,
  ip          text,
  request_id  text,
  details     jsonb,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  prev_hash   text NOT NULL,
  hash        text NOT NULL
);
CREATE UNIQUE INDEX audit_log_tenant_seq_key ON audit_log (tenant_id, seq);

-- Down Migration
DROP TABLE audit_log;
DROP TABLE idempotency_records;
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE messages;
DROP TABLE endpoint_headers;
DROP TABLE endpoint_secrets;
DROP TABLE endpoints;
DROP TABLE event_types;
DROP TABLE applications;
DROP TABLE api_keys;
DROP TABLE tenant_settings;
DROP TABLE tenants;
