-- Up Migration
-- Exact at every edge (issue 10): feature flags, header names as given, list indexes by id.
-- Event types carry Svix's list of feature flags (the 1.1.1 spec's single `featureFlag` reads
-- as its first). A flagged event type is visible to an app-portal token only when the token
-- carries one of its flags.
ALTER TABLE event_types ADD COLUMN feature_flags text[] NOT NULL DEFAULT '{}';
UPDATE event_types SET feature_flags = ARRAY[feature_flag] WHERE feature_flag IS NOT NULL;
ALTER TABLE event_types DROP COLUMN feature_flag;

-- App-portal tokens carry the feature flags they were issued with (app-portal-access `featureFlags`).
ALTER TABLE api_keys ADD COLUMN feature_flags text[] NOT NULL DEFAULT '{}';

-- Endpoint header names keep the capitalization they were given (names stored before were
-- lower-cased); they stay unique per endpoint whatever their case.
CREATE UNIQUE INDEX endpoint_headers_name_ci_key ON endpoint_headers (endpoint_id, lower(name));

-- Lists page by id (ids sort by creation time): their indexes lead with the list's scope and
-- end in id, so a page reads `limit + 1` index entries from the cursor. These replace the
-- created_at twins that only the lists used (retention reads the tenant-wide ones).
DROP INDEX applications_tenant_created_idx;
CREATE INDEX applications_tenant_id_idx ON applications (tenant_id, id);
DROP INDEX messages_tenant_app_created_idx;
CREATE INDEX messages_tenant_app_id_idx ON messages (tenant_id, app_id, id);
DROP INDEX attempts_tenant_message_created_idx;
CREATE INDEX attempts_tenant_message_id_idx ON attempts (tenant_id, message_id, id);
DROP INDEX attempts_tenant_endpoint_created_idx;
CREATE INDEX attempts_tenant_endpoint_id_idx ON attempts (tenant_id, endpoint_id, id);

-- Down Migration
DROP INDEX attempts_tenant_endpoint_id_idx;
CREATE INDEX attempts_tenant_endpoint_created_idx ON attempts (tenant_id, endpoint_id, created_at);
DROP INDEX attempts_tenant_message_id_idx;
CREATE INDEX attempts_tenant_message_created_idx ON attempts (tenant_id, message_id, created_at);
DROP INDEX messages_tenant_app_id_idx;
CREATE INDEX messages_tenant_app_created_idx ON messages (tenant_id, app_id, created_at);
DROP INDEX applications_tenant_id_idx;
CREATE INDEX applications_tenant_created_idx ON applications (tenant_id, created_at);
DROP INDEX endpoint_headers_name_ci_key;
ALTER TABLE api_keys DROP COLUMN feature_flags;
ALTER TABLE event_types ADD COLUMN feature_flag text;
UPDATE event_types SET feature_flag = feature_flags[1];
ALTER TABLE event_types DROP COLUMN feature_flags;
