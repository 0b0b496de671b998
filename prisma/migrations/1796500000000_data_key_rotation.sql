-- Up Migration
-- Tenant data keys rotate before AES-GCM's per-key limit (issue 10; docs/security.md): with
-- random 96-bit nonces a key may seal at most 2^32 messages. Each API and dispatcher process
-- reserves encryptions from data_key_encryptions in blocks; past the threshold the key is
-- retired (kept, wrapped, for decryption: version i+1 at index i of retired_data_keys_wrapped)
-- and a new one with the next version becomes active. Ciphertexts name their version (dk<n>).
ALTER TABLE tenants ADD COLUMN data_key_version integer NOT NULL DEFAULT 1;
-- Encryptions reserved under the active key. Keys in use before this migration start at 0.
ALTER TABLE tenants ADD COLUMN data_key_encryptions bigint NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN retired_data_keys_wrapped bytea[] NOT NULL DEFAULT '{}';
-- Crypto-shredding must destroy every key of the tenant, retired ones included.
ALTER TABLE tenants ADD CONSTRAINT tenants_shredded_keys_check
  CHECK (data_key_wrapped IS NOT NULL OR cardinality(retired_data_keys_wrapped) = 0);

-- Down Migration
ALTER TABLE tenants DROP CONSTRAINT tenants_shredded_keys_check;
ALTER TABLE tenants DROP COLUMN retired_data_keys_wrapped;
ALTER TABLE tenants DROP COLUMN data_key_encryptions;
ALTER TABLE tenants DROP COLUMN data_key_version;
