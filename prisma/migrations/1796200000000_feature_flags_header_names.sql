-- Up Migration
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

-- Down Migration
DROP INDEX endpoint_headers_name_ci_key;
ALTER TABLE api_keys DROP COLUMN feature_flags;
ALTER TABLE event_types ADD COLUMN feature_flag text;
UPDATE event_types SET feature_flag = feature_flags[1];
ALTER TABLE event_types DROP COLUMN feature_flags;
