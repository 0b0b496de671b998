import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { ForbiddenError, NotFoundError } from '@herald/core';
import { AppPortalRepository } from './app-portal.repository';
import { ApplicationRepository, type ApplicationRow } from './application.repository';

/**
 * What a route with `{app_id}` does to the application:
 * - `read`: reads of the app and its endpoints;
 * - `write`: changes to its endpoints (headers, secrets…);
 * - `secret`: revealing an endpoint secret;
 * - `manage`: changing or deleting the application itself, issuing portal tokens.
 */
export type AppNeed = 'read' | 'write' | 'secret' | 'manage';

/**
 * The one place that resolves `{app_id}` (an id or a uid) inside the caller's tenant and
 * decides what an app-portal token may do there. API keys were already checked against the
 * route's access by the global guard; app-portal tokens reach their own application only
 * (anything else answers 404, like something that does not exist), never manage it, and
 * change its endpoints only when not read-only.
 */
@Injectable()
export class AppAccessService {
  constructor(
    private readonly apps: ApplicationRepository,
    private readonly portalKeys: AppPortalRepository,
  ) {}

  async resolve(ctx: RequestContext, appIdOrUid: string, need: AppNeed): Promise<ApplicationRow> {
    const app = await this.apps.find(ctx.scope, appIdOrUid);
    if (!app) throw new NotFoundError('Application');
    await this.assertAllowed(ctx, app.id, need);
    return app;
  }

  async assertAllowed(ctx: RequestContext, appId: string, need: AppNeed): Promise<void> {
    const principal = ctx.principal;
    if (principal.kind !== 'app_portal') return;
    if (principal.appId !== appId) throw new NotFoundError('Application');
    if (need === 'read') return;
    if (need === 'manage') throw new ForbiddenError('App-portal tokens cannot change the application itself');
    const scopes = await this.portalKeys.scopesOf(ctx.scope, principal.keyId);
    if (!scopes?.includes('all')) throw new ForbiddenError('This app-portal token is read-only');
  }

  /** For routes without an application (event types…): app-portal tokens may only read. */
  assertNotPortalWrite(ctx: RequestContext): void {
    if (ctx.principal.kind === 'app_portal') throw new ForbiddenError('App-portal tokens cannot change this');
  }
}
