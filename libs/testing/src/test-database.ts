import { Client } from 'pg';
import { ensureDatabase, runMigrations } from '@herald/db';

/** The server the tests use; the machine's PostgreSQL unless TEST_DATABASE_SERVER says otherwise. */
// eslint-disable-next-line no-restricted-properties -- test harness, not application config
const SERVER = process.env['TEST_DATABASE_SERVER'] ?? 'postgresql://postgres@127.0.0.1:5432';

export async function createTestDatabase(): Promise<{ url: string; name: string }> {
  const name = `herald_test_${Date.now().toString(36)}_${process.pid}`;
  const url = `${SERVER}/${name}`;
  await ensureDatabase(url);
  await runMigrations(url);
  return { url, name };
}

export async function dropTestDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
