import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { NotFoundError } from '@herald/tenancy';
import { ApplicationRepository, type ApplicationRow } from './application.repository';

/**
 * Resolves `{app_id}` (an id or a uid) inside the caller's tenant. Who may do what to it was
 * decided before the handler ran, by AccessGuard and the route's declared rule (app-portal
 * tokens arrive here with `{app_id}` already rewritten to their own application's id).
 */
@Injectable()
export class AppAccessService {
  constructor(private readonly apps: ApplicationRepository) {}

  async resolve(ctx: RequestContext, appIdOrUid: string): Promise<ApplicationRow> {
    const app = await this.apps.find(ctx.scope, appIdOrUid);
    if (!app) throw new NotFoundError('Application');
    return app;
  }
}
