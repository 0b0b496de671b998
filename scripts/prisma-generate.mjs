// Runs `prisma generate` offline. Prisma's CLI insists on its schema-engine binary being
// present (it downloads it otherwise) although generate never executes it; this project
// applies migrations with node-pg-migrate, so any existing file satisfies the check
// (DESIGN.md decision 2, docs/decisions/0002-migrations-with-node-pg-migrate.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
const prismaCli = fileURLToPath(new URL('../node_modules/prisma/build/index.js', import.meta.url));
const result = spawnSync(process.execPath, [prismaCli, 'generate', ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
