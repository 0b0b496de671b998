import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { createTestDatabase, dropTestDatabase } from './test-database';

/**
 * One fresh database per test run, created and migrated by the production migration runner;
 * dropped afterwards. Test files share it and isolate themselves by creating their own
 * tenants. A Redis key prefix per run keeps queues apart from a running `npm start`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { url, name } = await createTestDatabase();
  const queuePrefix = `herald-test-${name}`;
  project.provide('databaseUrl', url);
  project.provide('queuePrefix', queuePrefix);
  return async () => {
    await dropTestDatabase(name);
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    queuePrefix: string;
  }
}
