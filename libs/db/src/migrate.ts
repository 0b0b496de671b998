import { existsSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';

/** Where the reviewed SQL migrations live: found upwards from here (source or dist/). */
export const MIGRATIONS_DIR = findMigrationsDir(__dirname);

function findMigrationsDir(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`prisma/migrations not found above ${start}`);
  }
}

/**
 * Creates the database named in `url` if it does not exist (first run on a fresh machine).
 * Its collation is "C": ids are base62 and sort by creation time only in byte order (a
 * linguistic collation such as en_US orders 'a' before 'B' and would scramble every list).
 */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`Refusing to create database with unusual name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${name}" TEMPLATE template0 LC_COLLATE 'C'`);
  } catch (err) {
    // Two processes racing to create it is fine; anything else is not.
    if (!(err instanceof Error && 'code' in err && err.code === '42P04')) throw err;
  } finally {
    await client.end();
  }
}

/** Applies every pending migration with node-pg-migrate, the same way in dev, test and production. */
export async function runMigrations(url: string, options: { log?: (msg: string) => void } = {}): Promise<void> {
  // node-pg-migrate 8 is ESM-only; Node ≥ 20.19 loads it from CommonJS.
  const { runner } = await import('node-pg-migrate');
  await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    singleTransaction: true,
    checkOrder: true,
    log: options.log ?? (() => undefined),
    verbose: false,
  });
}
