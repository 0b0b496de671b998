-- Up Migration
-- App-portal tokens carry Svix's capabilities (what the customer may do in its one application)
-- and the session id they were issued for (expire-all can target sessions).
ALTER TABLE api_keys ADD COLUMN capabilities text[] NOT NULL DEFAULT '{}';
ALTER TABLE api_keys ADD COLUMN session_id text;
-- Tokens issued before: read-only ones could only read; the others managed endpoints.
UPDATE api_keys SET capabilities = CASE
    WHEN 'all' = ANY (scopes) THEN ARRAY['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'CreateAttempts', 'ManageEndpoint']
    ELSE ARRAY['ViewBase']
  END
  WHERE app_id IS NOT NULL;
CREATE INDEX api_keys_tenant_app_idx ON api_keys (tenant_id, app_id);

-- Down Migration
DROP INDEX api_keys_tenant_app_idx;
ALTER TABLE api_keys DROP COLUMN session_id;
ALTER TABLE api_keys DROP COLUMN capabilities;
