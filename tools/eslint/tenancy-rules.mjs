/**
 * Lint half of "tenancy by construction" (issue 13, docs/architecture.md):
 *
 * - A tenant scope is created only where the tenant is learned: authentication (the API key's
 *   tenant), the operator access path (OperatorDb.scopeFor: a tenant the operator names or a
 *   sweep finds), and the decoding of job data and background tasks. Everywhere else code
 *   receives a scope; it never makes one from a string.
 * - Services do not inject PrismaService: tenant work goes through TenantUnitOfWork, deliberate
 *   cross-tenant work through OperatorDb, and queries live in repositories (nor do services
 *   reach for a TenantTx's client: `tx.db`).
 * - The workers' repositories (dispatcher, retention, the delivery lanes) read and write across
 *   tenants by design: they take OperatorDb's client, so their constructors say so.
 *
 * Both are `no-restricted-syntax` selectors. Flat config replaces a rule's options per matching
 * block, so each block below lists every selector that applies to its files.
 * libs/tenancy/src/tenancy-lint.spec.ts runs ESLint on snippets to prove the rules still fire.
 */

export const TENANT_SCOPE_CALL = {
  selector: "CallExpression[callee.name='tenantScope']",
  message:
    'Only authentication, OperatorDb and job/task decoding create a tenant scope (tools/eslint/tenancy-rules.mjs): take a TenantScope or RequestContext from the caller instead.',
};

/** A constructor parameter typed PrismaService (plain or namespace-qualified). */
const INJECTS_PRISMA_SERVICE =
  "MethodDefinition[kind='constructor'] :matches(TSTypeReference[typeName.name='PrismaService'], TSTypeReference[typeName.right.name='PrismaService'])";

export const PRISMA_IN_SERVICE = {
  selector: INJECTS_PRISMA_SERVICE,
  message:
    'Services do not inject PrismaService: open tenant work with TenantUnitOfWork, cross-tenant work with OperatorDb, and keep queries in repositories.',
};

export const TX_CLIENT_IN_SERVICE = {
  selector: "MemberExpression[object.name='tx'][property.name='db']",
  message: "Services hand the TenantTx to repositories; they do not use its client (queries live in repositories).",
};

export const PRISMA_IN_WORKER = {
  selector: INJECTS_PRISMA_SERVICE,
  message: "The workers' repositories work across tenants through OperatorDb (inject it and use its client), the one operator access path.",
};

/** Code of the worker processes, cross-tenant by design. */
export const WORKER_DB_CODE = ['libs/dispatch/src/**/*.ts', 'libs/retention/src/**/*.ts', 'libs/deliveries/src/delivery-lane.repository.ts'];

/** Where a tenant scope may be created. */
export const TENANT_SCOPE_ALLOWED = [
  // The definition, and the operator access path (OperatorDb.scopeFor).
  'libs/tenancy/src/tenancy.ts',
  'libs/tenancy/src/operator-db.ts',
  // Authentication: the principal's tenant; and the owner stored with an idempotency record,
  // which is the principal that made the request.
  'libs/api-core/src/principal.ts',
  'libs/api-core/src/idempotency-sealer.ts',
  // Job data and task decoding: a delivery, lane or claimed task names its tenant.
  'libs/dispatch/src/dispatch.service.ts',
  'libs/dispatch/src/lane-scheduler.ts',
  'libs/tasks/src/background-task.runner.ts',
];

/** The one service that may hold PrismaService: the client itself. */
export const PRISMA_SERVICE_ALLOWED = ['libs/db/src/prisma.service.ts'];

const TESTS = ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.test-d.ts', '**/test/**/*.ts', 'libs/testing/**/*.ts', 'bench/**/*.ts', 'deploy/**/*.ts', 'scripts/**/*.ts'];
const isService = (file) => file.endsWith('.service.ts');

export const tenancyConfigs = [
  { files: ['**/*.ts', '**/*.tsx'], rules: { 'no-restricted-syntax': ['error', TENANT_SCOPE_CALL] } },
  { files: ['**/*.service.ts'], rules: { 'no-restricted-syntax': ['error', TENANT_SCOPE_CALL, PRISMA_IN_SERVICE, TX_CLIENT_IN_SERVICE] } },
  { files: WORKER_DB_CODE, ignores: ['**/*.service.ts'], rules: { 'no-restricted-syntax': ['error', TENANT_SCOPE_CALL, PRISMA_IN_WORKER] } },
  { files: TENANT_SCOPE_ALLOWED.filter((f) => !isService(f)), rules: { 'no-restricted-syntax': 'off' } },
  { files: TENANT_SCOPE_ALLOWED.filter(isService), rules: { 'no-restricted-syntax': ['error', PRISMA_IN_SERVICE, TX_CLIENT_IN_SERVICE] } },
  { files: PRISMA_SERVICE_ALLOWED, rules: { 'no-restricted-syntax': ['error', TENANT_SCOPE_CALL] } },
  { files: TESTS, rules: { 'no-restricted-syntax': 'off' } },
  // Type-level tests hold deliberate compile errors, each checked by tsc: not debt (STYLE 14).
  { files: ['**/*.test-d.ts'], rules: { '@typescript-eslint/ban-ts-comment': ['error', { 'ts-expect-error': 'allow-with-description' }] } },
];
