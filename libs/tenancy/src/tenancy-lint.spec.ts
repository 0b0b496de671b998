import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The lint half of tenancy by construction (tools/eslint/tenancy-rules.mjs), run through
 * ESLint's Node API on snippets placed at real paths of the repository, so a rule that stops
 * firing (a renamed file, a lost override, a selector typo) fails here.
 */
const ROOT = resolve(__dirname, '../../..');
const eslint = new ESLint({
  cwd: ROOT,
  // The repository's own config, minus type information (these rules are syntactic).
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-syntax' || ruleId === '@typescript-eslint/ban-ts-comment',
});

async function violations(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const MAKES_SCOPE = `
import { tenantScope } from '@herald/tenancy';
export function scopeOf(id: string) {
  return tenantScope(id);
}
`;

const INJECTS_PRISMA = `
import { Injectable } from '@nestjs/common';
import { PrismaService } from '@herald/db';
import * as db from '@herald/db';
@Injectable()
export class SomethingService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly qualified: db.PrismaService,
  ) {}
}
`;

describe('tenancy lint rules', () => {
  it('refuses a tenantScope() call in services, repositories and controllers', async () => {
    for (const file of ['libs/messaging/src/message.service.ts', 'libs/messaging/src/message.repository.ts', 'libs/app-config/src/endpoint.controller.ts']) {
      const found = await violations(file, MAKES_SCOPE);
      expect(found, file).toHaveLength(1);
      expect(found[0]).toMatch(/^no-restricted-syntax: Only authentication, OperatorDb and job\/task decoding create a tenant scope/);
    }
  });

  it('allows it in authentication, the operator access path, job/task decoding and tests', async () => {
    for (const file of [
      'libs/api-core/src/principal.ts',
      'libs/tenancy/src/operator-db.ts',
      'libs/dispatch/src/lane-scheduler.ts',
      'libs/dispatch/src/dispatch.service.ts',
      'libs/tasks/src/background-task.runner.ts',
      'apps/api/test/isolation.int-spec.ts',
      'libs/testing/src/factories.ts',
    ]) {
      expect(await violations(file, MAKES_SCOPE), file).toEqual([]);
    }
  });

  it('refuses PrismaService injected into a service (plain or qualified), also where tenantScope() is allowed', async () => {
    for (const file of ['libs/messaging/src/message.service.ts', 'libs/dispatch/src/dispatch.service.ts', 'libs/tenancy/src/audit.service.ts', 'libs/tenancy/src/tenant-keys.service.ts']) {
      const found = await violations(file, INJECTS_PRISMA);
      expect(found, file).toHaveLength(2);
      for (const v of found) expect(v).toMatch(/^no-restricted-syntax: Services do not inject PrismaService/);
    }
  });

  it("refuses a service that builds a query on the tenant transaction's client", async () => {
    const code = `export class SomethingService {\n  run(tx: { db: { application: { count(): Promise<number> } } }) {\n    return tx.db.application.count();\n  }\n}\n`;
    expect(await violations('libs/messaging/src/message.service.ts', code)).toEqual([expect.stringMatching(/^no-restricted-syntax: Services hand the TenantTx to repositories/)]);
    expect(await violations('libs/messaging/src/message.repository.ts', code)).toEqual([]);
  });

  it('allows PrismaService in repositories, the unit of work, OperatorDb and the client itself', async () => {
    for (const file of ['libs/messaging/src/message.repository.ts', 'libs/tenancy/src/unit-of-work.ts', 'libs/tenancy/src/operator-db.ts', 'libs/db/src/prisma.service.ts']) {
      expect(await violations(file, INJECTS_PRISMA), file).toEqual([]);
    }
  });

  it("refuses PrismaService in the workers' repositories, which take OperatorDb", async () => {
    for (const file of ['libs/retention/src/retention.repository.ts', 'libs/dispatch/src/backlog.repository.ts', 'libs/deliveries/src/delivery-lane.repository.ts']) {
      const found = await violations(file, INJECTS_PRISMA.replace('SomethingService', 'SomethingRepository'));
      expect(found, file).toHaveLength(2);
      for (const v of found) expect(v).toMatch(/^no-restricted-syntax: The workers' repositories work across tenants through OperatorDb/);
      const viaOperator = `import { OperatorDb } from '@herald/tenancy';\nexport class SomethingRepository {\n  constructor(private readonly operator: OperatorDb) {}\n}\n`;
      expect(await violations(file, viaOperator), file).toEqual([]);
    }
  });

  it('allows @ts-expect-error (with a reason) only in type-level tests', async () => {
    const code = `// @ts-expect-error a string is not a scope\nexport const x: number = 'a';\n`;
    expect(await violations('libs/app-config/src/tenant-unit-of-work.test-d.ts', code)).toEqual([]);
    expect(await violations('libs/app-config/src/endpoint.service.ts', code)).toEqual([expect.stringMatching(/^@typescript-eslint\/ban-ts-comment/)]);
  });
});
