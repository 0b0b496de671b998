import { Injectable } from '@nestjs/common';
import type { PortalCapability, Principal, RequestContext } from '@herald/api-core';
import { ForbiddenError, generateApiKey, NotFoundError, TenantUnitOfWork, UnauthorizedError } from '@herald/tenancy';
import { newId } from '@herald/db';
import { AppPortalRepository } from './app-portal.repository';
import { DEFAULT_PORTAL_TOKEN_SECONDS, type AppPortalAccessIn, type ApplicationTokenExpireIn } from './app-portal.schemas';
import { ApplicationRepository, type ApplicationRow } from './application.repository';
import { ApplicationService, assertSameUid, looksLikeAppId, newApplicationData } from './application.service';
import type { AppPortalAccessOut, SessionOut } from './management.responses';

/** What a token without explicit capabilities may do: everything a customer may. */
const FULL_CAPABILITIES: PortalCapability[] = ['ViewBase', 'ViewEndpointSecret', 'ManageEndpointSecret', 'CreateAttempts', 'ManageEndpoint'];

/**
 * App-portal access: a short-lived key bound to one application (`api_keys.app_id`) carrying
 * Svix capabilities. AccessGuard lets such a key through only to routes of its application
 * that name a capability it carries.
 */
@Injectable()
export class AppPortalService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly apps: ApplicationRepository,
    private readonly applications: ApplicationService,
    private readonly portalKeys: AppPortalRepository,
  ) {}

  async createAccess(ctx: RequestContext, appIdOrUid: string, input: AppPortalAccessIn, baseUrl: string): Promise<AppPortalAccessOut> {
    const existing = await this.apps.find(ctx.scope, appIdOrUid);
    if (!existing && (!input.application || looksLikeAppId(appIdOrUid))) throw new NotFoundError('Application');
    if (!existing && input.application) assertSameUid(appIdOrUid, input.application.uid);
    const capabilities = portalCapabilities(input);
    const expiresAt = new Date(Date.now() + (input.expiry ?? DEFAULT_PORTAL_TOKEN_SECONDS) * 1000);
    const material = generateApiKey();
    const keyId = newId('key');
    await this.uow.run(ctx.scope, async (tx) => {
      let app: ApplicationRow | null = existing;
      // Svix: `application` creates the app when the path names none (else it is ignored).
      if (!app && input.application) app = await this.applications.insert(tx, ctx, newApplicationData(input.application, appIdOrUid));
      if (!app) throw new NotFoundError('Application');
      await this.portalKeys.create(tx, {
        id: keyId,
        appId: app.id,
        name: 'app-portal',
        keyHash: material.hash,
        keyPrefix: material.prefix,
        capabilities,
        featureFlags: [...new Set(input.featureFlags ?? [])],
        sessionId: input.sessionId ?? null,
        expiresAt,
      });
      await tx.audit(ctx.audit, {
        action: 'app_portal.token_created',
        target: { type: 'application', id: app.id },
        details: { keyId, capabilities, expiresAt: expiresAt.toISOString() },
      });
    });
    // The token travels in the fragment: browsers never send it to a server, so it stays out of
    // access logs, proxies and Referer headers.
    return { url: `${baseUrl}/app-portal#token=${encodeURIComponent(material.key)}`, token: material.key };
  }

  /** POST /auth/logout: the calling portal token stops working at once. */
  async logout(ctx: RequestContext): Promise<void> {
    const principal = ctx.principal;
    if (principal.kind !== 'app_portal') throw new ForbiddenError('Only app-portal tokens can log out');
    await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.portalKeys.revoke(tx, principal.keyId, new Date()))) throw new UnauthorizedError('Invalid API key');
      await tx.audit(ctx.audit, {
        action: 'app_portal.token_revoked',
        target: { type: 'application', id: principal.appId },
        details: { keyId: principal.keyId },
      });
    });
  }

  /** POST /auth/app/{app_id}/expire-all: the app's portal tokens stop working after `expiry` seconds. */
  async expireAll(ctx: RequestContext, appIdOrUid: string, input: ApplicationTokenExpireIn): Promise<void> {
    const app = await this.apps.find(ctx.scope, appIdOrUid);
    if (!app) throw new NotFoundError('Application');
    const at = new Date(Date.now() + (input.expiry ?? 0) * 1000);
    await this.uow.run(ctx.scope, async (tx) => {
      const expired = await this.portalKeys.expireForApp(tx, app.id, at, input.sessionIds ?? null);
      await tx.audit(ctx.audit, {
        action: 'app_portal.tokens_expired',
        target: { type: 'application', id: app.id },
        details: { expiresAt: at.toISOString(), tokens: expired, sessionIds: input.sessionIds ?? null },
      });
    });
  }
}

export function sessionOf(p: Principal): SessionOut {
  switch (p.kind) {
    case 'operator':
      return { kind: 'operator', tenantId: null, appId: null, scopes: [], capabilities: [], expiresAt: null };
    case 'app_portal':
      return { kind: 'app_portal', tenantId: p.tenantId, appId: p.appId, scopes: [], capabilities: p.capabilities, expiresAt: p.expiresAt?.toISOString() ?? null };
    case 'api_key':
      return { kind: 'api_key', tenantId: p.tenantId, appId: null, scopes: p.scopes, capabilities: [], expiresAt: p.expiresAt?.toISOString() ?? null };
  }
}

/**
 * Svix's rules: explicit `capabilities` win; else `readOnly` (deprecated in the client) gives
 * a read-only token; else the token may do everything a customer may. Reading the app's own
 * data (ViewBase) comes with every token: without it a portal shows nothing.
 */
export function portalCapabilities(input: Pick<AppPortalAccessIn, 'capabilities' | 'readOnly'>): PortalCapability[] {
  const asked: PortalCapability[] = input.capabilities ?? (input.readOnly ? ['ViewBase'] : FULL_CAPABILITIES);
  return [...new Set<PortalCapability>(['ViewBase', ...asked])];
}
