import { randomBytes } from 'node:crypto';
import { generateApiKey, SYSTEM_AUDIT_CONTEXT, TenantKeysService, TenantProvisioningService, tenantScope, type TenantScope } from '@herald/tenancy';
import { newId, PrismaService } from '@herald/db';

/**
 * Small factories for tests: real rows, written the way the services write them (secrets
 * encrypted with the tenant's data key). Pass what matters to the test; defaults fill the rest.
 */
export interface Services {
  prisma: PrismaService;
  keys: TenantKeysService;
  provisioning: TenantProvisioningService;
}

export async function createTenant(s: Services, overrides: { name?: string } = {}): Promise<{ scope: TenantScope; tenantId: string; apiKey: string }> {
  const created = await s.provisioning.create(overrides.name ?? 'factory tenant', SYSTEM_AUDIT_CONTEXT);
  return { scope: tenantScope(created.tenant.id), tenantId: created.tenant.id, apiKey: created.apiKey.key };
}

export async function createApplication(s: Services, scope: TenantScope, overrides: { name?: string; uid?: string; throttleRate?: number } = {}): Promise<{ id: string }> {
  return s.prisma.application.create({
    data: { id: newId('app'), tenantId: scope.tenantId, name: overrides.name ?? 'factory app', uid: overrides.uid ?? null, throttleRate: overrides.throttleRate ?? null },
    select: { id: true },
  });
}

export async function createEndpoint(
  s: Services,
  scope: TenantScope,
  appId: string,
  overrides: { url: string; secret?: string; filterTypes?: string[]; channels?: string[]; disabled?: boolean; throttleRate?: number; uid?: string; maxInFlight?: number },
): Promise<{ id: string; secret: string }> {
  const secret = overrides.secret ?? `whsec_${randomBytes(24).toString('base64')}`;
  const id = newId('ep');
  await s.prisma.endpoint.create({
    data: {
      id,
      tenantId: scope.tenantId,
      appId,
      uid: overrides.uid ?? null,
      url: overrides.url,
      filterTypes: overrides.filterTypes ?? [],
      channels: overrides.channels ?? [],
      disabled: overrides.disabled ?? false,
      throttleRate: overrides.throttleRate ?? null,
      maxInFlight: overrides.maxInFlight ?? null,
      secrets: {
        create: { id: newId('sec'), kind: 'hmac', secretEnc: new Uint8Array(await s.keys.encrypt(scope, secret)) },
      },
    },
  });
  return { id, secret };
}

/** An API key with the given scopes, written the way the API-key service writes them. */
export async function createApiKey(prisma: PrismaService, tenantId: string, scopes: string[]): Promise<string> {
  const material = generateApiKey();
  await prisma.apiKey.create({
    data: { id: newId('key'), tenantId, name: `test ${scopes.join(',')}`, keyHash: new Uint8Array(material.hash), keyPrefix: material.prefix, scopes, allowedCidrs: [] },
  });
  return material.key;
}

/**
 * An endpoint of the tenant's hidden operational application (created if missing): it receives
 * the tenant's operational webhooks. `filterTypes` empty = every event type.
 */
export async function createOperationalEndpoint(
  s: Services,
  scope: TenantScope,
  overrides: { url: string; secret?: string; filterTypes?: string[]; maxInFlight?: number },
): Promise<{ id: string; appId: string; secret: string }> {
  let app = await s.prisma.application.findFirst({ where: { tenantId: scope.tenantId, kind: 'operational' }, select: { id: true } });
  app ??= await s.prisma.application.create({ data: { id: newId('app'), tenantId: scope.tenantId, name: 'Operational webhooks', kind: 'operational' }, select: { id: true } });
  const endpoint = await createEndpoint(s, scope, app.id, { url: overrides.url, secret: overrides.secret, filterTypes: overrides.filterTypes });
  return { ...endpoint, appId: app.id };
}
