import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { AuditService, ForbiddenError, generateApiKey, NotFoundError } from '@herald/core';
import { newId, PrismaService } from '@herald/db';
import { AppPortalRepository } from './app-portal.repository';
import { DEFAULT_PORTAL_TOKEN_SECONDS, type AppPortalAccessIn } from './app-portal.schemas';
import { ApplicationRepository, type ApplicationRow } from './application.repository';
import { ApplicationService, looksLikeAppId, newApplicationData } from './application.service';

export interface AppPortalAccessOut {
  url: string;
  token: string;
}

/**
 * App-portal access: a short-lived key bound to one application (`api_keys.app_id`). Such a
 * key reaches only routes of that application (AccessGuard + AppAccessService); a read-only
 * one gets scope `read`, any other `all`.
 */
@Injectable()
export class AppPortalService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly apps: ApplicationRepository,
    private readonly applications: ApplicationService,
    private readonly portalKeys: AppPortalRepository,
    private readonly audit: AuditService,
  ) {}

  async createAccess(ctx: RequestContext, appIdOrUid: string, input: AppPortalAccessIn, baseUrl: string): Promise<AppPortalAccessOut> {
    // A portal token must not mint further tokens (the guard lets it through: the route has {app_id}).
    if (ctx.principal.kind !== 'api_key') throw new ForbiddenError('App-portal access needs a tenant API key');
    const existing = await this.apps.find(ctx.scope, appIdOrUid);
    if (!existing && (!input.application || looksLikeAppId(appIdOrUid))) throw new NotFoundError('Application');
    const scopes = readOnly(input) ? ['read'] : ['all'];
    const expiresAt = new Date(Date.now() + (input.expiry ?? DEFAULT_PORTAL_TOKEN_SECONDS) * 1000);
    const material = generateApiKey();
    const keyId = newId('key');
    await this.prisma.$transaction(async (tx) => {
      let app: ApplicationRow | null = existing;
      // Svix: `application` creates the app when the path names none (else it is ignored).
      if (!app && input.application) app = await this.applications.insert(tx, ctx, newApplicationData(input.application, input.application.uid ?? appIdOrUid));
      if (!app) throw new NotFoundError('Application');
      await this.portalKeys.create(tx, ctx.scope, { id: keyId, appId: app.id, name: 'app-portal', keyHash: material.hash, keyPrefix: material.prefix, scopes, expiresAt });
      await this.audit.record(tx, ctx.scope, ctx.audit, {
        action: 'app_portal.token_created',
        target: { type: 'application', id: app.id },
        details: { keyId, scopes, expiresAt: expiresAt.toISOString() },
      });
    });
    // The token travels in the fragment: browsers never send it to a server, so it stays out of
    // access logs, proxies and Referer headers.
    return { url: `${baseUrl}/app-portal#token=${encodeURIComponent(material.key)}`, token: material.key };
  }
}

/**
 * `readOnly` (deprecated in the client) or `capabilities` without `ManageEndpoint` make a
 * read-only token. Herald's scopes are coarser than Svix's capabilities, so a token never gets
 * more than it asked for: anything short of managing endpoints is read-only.
 */
function readOnly(input: AppPortalAccessIn): boolean {
  if (input.readOnly) return true;
  return input.capabilities != null && !input.capabilities.includes('ManageEndpoint');
}
