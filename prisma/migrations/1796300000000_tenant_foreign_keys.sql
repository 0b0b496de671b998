-- Up Migration
-- Tenancy enforced by the database too (issue 13): a child row's tenant must be its parent's
-- tenant. Each single-column foreign key to a parent becomes a composite one that includes
-- tenant_id, so a row cannot point at another tenant's application, endpoint or message even
-- if the code that wrote it forgot the tenant filter. The parents' (tenant_id, id) keys reuse
-- existing indexes where one had the columns (applications, messages), so the ingest path
-- gains no index.

-- Parents: unique keys the composite references need.
DROP INDEX applications_tenant_id_idx;
ALTER TABLE applications ADD CONSTRAINT applications_tenant_id_key UNIQUE (tenant_id, id);
ALTER TABLE endpoints ADD CONSTRAINT endpoints_tenant_id_key UNIQUE (tenant_id, id);
-- Messages are referenced through their application as well: (tenant_id, app_id, id) was
-- already indexed for the lists; it becomes the unique key deliveries reference.
DROP INDEX IF EXISTS messages_tenant_app_id_idx;
ALTER TABLE messages ADD CONSTRAINT messages_tenant_app_id_key UNIQUE (tenant_id, app_id, id);

-- Children.
ALTER TABLE endpoints DROP CONSTRAINT endpoints_app_id_fkey,
  ADD CONSTRAINT endpoints_tenant_app_fkey FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE endpoint_secrets DROP CONSTRAINT endpoint_secrets_endpoint_id_fkey,
  ADD CONSTRAINT endpoint_secrets_tenant_endpoint_fkey FOREIGN KEY (tenant_id, endpoint_id) REFERENCES endpoints (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE endpoint_headers DROP CONSTRAINT endpoint_headers_endpoint_id_fkey,
  ADD CONSTRAINT endpoint_headers_tenant_endpoint_fkey FOREIGN KEY (tenant_id, endpoint_id) REFERENCES endpoints (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE messages DROP CONSTRAINT messages_app_id_fkey,
  ADD CONSTRAINT messages_tenant_app_fkey FOREIGN KEY (tenant_id, app_id) REFERENCES applications (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_message_id_fkey,
  ADD CONSTRAINT deliveries_tenant_app_message_fkey FOREIGN KEY (tenant_id, app_id, message_id) REFERENCES messages (tenant_id, app_id, id) ON DELETE CASCADE;

-- Down Migration
ALTER TABLE deliveries DROP CONSTRAINT deliveries_tenant_app_message_fkey,
  ADD CONSTRAINT deliveries_message_id_fkey FOREIGN KEY (message_id) REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE messages DROP CONSTRAINT messages_tenant_app_fkey,
  ADD CONSTRAINT messages_app_id_fkey FOREIGN KEY (app_id) REFERENCES applications (id) ON DELETE CASCADE;
ALTER TABLE endpoint_headers DROP CONSTRAINT endpoint_headers_tenant_endpoint_fkey,
  ADD CONSTRAINT endpoint_headers_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES endpoints (id) ON DELETE CASCADE;
ALTER TABLE endpoint_secrets DROP CONSTRAINT endpoint_secrets_tenant_endpoint_fkey,
  ADD CONSTRAINT endpoint_secrets_endpoint_id_fkey FOREIGN KEY (endpoint_id) REFERENCES endpoints (id) ON DELETE CASCADE;
ALTER TABLE endpoints DROP CONSTRAINT endpoints_tenant_app_fkey,
  ADD CONSTRAINT endpoints_app_id_fkey FOREIGN KEY (app_id) REFERENCES applications (id) ON DELETE CASCADE;
ALTER TABLE messages DROP CONSTRAINT messages_tenant_app_id_key;
CREATE INDEX messages_tenant_app_id_idx ON messages (tenant_id, app_id, id);
ALTER TABLE endpoints DROP CONSTRAINT endpoints_tenant_id_key;
ALTER TABLE applications DROP CONSTRAINT applications_tenant_id_key;
CREATE INDEX applications_tenant_id_idx ON applications (tenant_id, id);
