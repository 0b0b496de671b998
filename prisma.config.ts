import { defineConfig } from 'prisma/config';

// Prisma is used for the data model and the client only; migrations are SQL files run
// by node-pg-migrate (docs/decisions/0002-migrations.md).
export default defineConfig({
  schema: 'prisma/schema.prisma',
});
