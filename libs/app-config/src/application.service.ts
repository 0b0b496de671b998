import { Injectable } from '@nestjs/common';
import { planPage, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { ConflictError, NotFoundError, type TenantTx, TenantUnitOfWork, ValidationError } from '@herald/tenancy';
import { newId } from '@herald/db';
import { AppAccessService } from './app-access.service';
import { AppPortalRepository } from './app-portal.repository';
import { ApplicationRepository, type ApplicationData, type ApplicationRow } from './application.repository';
import type { ApplicationIn, ApplicationListQuery, ApplicationPatch } from './application.schemas';
import { toApplicationOut } from './management.mappers';
import type { ApplicationOut } from './management.responses';
import { requestedRateLimit } from './management.schemas';

const APP_ID_SHAPE = /^app_[0-9A-Za-z]{27}$/;

/** True for a path value shaped like an application id (as opposed to a uid). */
export function looksLikeAppId(value: string): boolean {
  return APP_ID_SHAPE.test(value);
}

/** A response whose status depends on what happened (created 201, or found/updated 200). */
export interface Outcome<T> {
  status: 200 | 201;
  body: T;
}

@Injectable()
export class ApplicationService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly apps: ApplicationRepository,
    private readonly access: AppAccessService,
    private readonly portalKeys: AppPortalRepository,
  ) {}

  async list(ctx: RequestContext, query: ApplicationListQuery): Promise<ListResponse<ApplicationOut>> {
    // Svix lists applications oldest first unless asked otherwise.
    const plan = planPage(query, 'ascending');
    const rows = await this.apps.list(ctx.scope, plan, {
      excludeWithoutEndpoints: query.exclude_apps_with_no_endpoints,
      excludeWithDisabledEndpoints: query.exclude_apps_with_disabled_endpoints,
    });
    return toListResponse(rows, plan, (r) => r.id, toApplicationOut);
  }

  async get(ctx: RequestContext, appIdOrUid: string): Promise<ApplicationOut> {
    return toApplicationOut(await this.access.resolve(ctx, appIdOrUid));
  }

  /** POST /app; with `get_if_exists`, an application with the same uid is returned (200) instead. */
  async create(ctx: RequestContext, input: ApplicationIn, getIfExists: boolean): Promise<Outcome<ApplicationOut>> {
    if (getIfExists && input.uid) {
      const existing = await this.apps.find(ctx.scope, input.uid);
      if (existing && existing.uid === input.uid) return { status: 200, body: toApplicationOut(existing) };
    }
    try {
      return { status: 201, body: toApplicationOut(await this.uow.run(ctx.scope, (tx) => this.insert(tx, ctx, newApplicationData(input, input.uid ?? null)))) };
    } catch (err) {
      // Two get-or-creates of one uid raced: the loser returns the winner's application.
      if (getIfExists && input.uid && err instanceof ConflictError) {
        const existing = await this.apps.find(ctx.scope, input.uid);
        if (existing) return { status: 200, body: toApplicationOut(existing) };
      }
      throw err;
    }
  }

  /**
   * Svix creates the application alongside a message when the body describes it (its uid is the
   * path's). A concurrent request may have created it first: that one audited it.
   */
  async createFromBody(ctx: RequestContext, uid: string, input: ApplicationIn, via: string): Promise<void> {
    await this.uow.run(ctx.scope, async (tx) => {
      const data = { ...newApplicationData(input, uid), uid };
      const id = await this.apps.createIfAbsent(tx, newId('app'), data);
      if (id) await tx.audit(ctx.audit, { action: 'application.created', target: { type: 'application', id }, details: { name: data.name, uid, via } });
    });
  }

  /** Inserts an application and its audit entry inside the caller's transaction. */
  async insert(tx: TenantTx, ctx: RequestContext, data: ApplicationData): Promise<ApplicationRow> {
    const row = await this.apps.create(tx, newId('app'), data);
    await tx.audit(ctx.audit, { action: 'application.created', target: { type: 'application', id: row.id }, details: { uid: row.uid } });
    return row;
  }

  /** PUT /app/{app_id}: replaces the application, or creates it (uid = the path) when missing. */
  async upsert(ctx: RequestContext, appIdOrUid: string, input: ApplicationIn): Promise<Outcome<ApplicationOut>> {
    const existing = await this.apps.find(ctx.scope, appIdOrUid);
    if (!existing) {
      // A path shaped like an application id names one that is not the caller's (or gone):
      // 404, as everywhere else — only a uid creates.
      if (looksLikeAppId(appIdOrUid)) throw new NotFoundError('Application');
      const row = await this.uow.run(ctx.scope, (tx) => this.insert(tx, ctx, newApplicationData(input, input.uid ?? appIdOrUid)));
      return { status: 201, body: toApplicationOut(row) };
    }
    // A PUT replaces the whole application: without `uid` it has none afterwards (as in Svix).
    const data: ApplicationData = {
      name: input.name,
      uid: input.uid ?? null,
      throttleRate: requestedRateLimit(input) ?? null,
      metadata: input.metadata ?? {},
    };
    return { status: 200, body: toApplicationOut(await this.updateRow(ctx, existing.id, data)) };
  }

  async patch(ctx: RequestContext, appIdOrUid: string, input: ApplicationPatch): Promise<ApplicationOut> {
    const app = await this.access.resolve(ctx, appIdOrUid);
    const data: Partial<ApplicationData> = {};
    if (input.name !== undefined) data.name = input.name;
    if (input.uid !== undefined) data.uid = input.uid;
    const rate = requestedRateLimit(input);
    if (rate !== undefined) data.throttleRate = rate;
    if (input.metadata !== undefined) data.metadata = input.metadata;
    return toApplicationOut(await this.updateRow(ctx, app.id, data));
  }

  async delete(ctx: RequestContext, appIdOrUid: string): Promise<void> {
    const app = await this.access.resolve(ctx, appIdOrUid);
    await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.apps.delete(tx, app.id))) throw new NotFoundError('Application');
      // Its portal tokens would reach nothing; revoke them so they stop authenticating at all.
      const revokedPortalTokens = await this.portalKeys.revokeForApp(tx, app.id);
      await tx.audit(ctx.audit, {
        action: 'application.deleted',
        target: { type: 'application', id: app.id },
        details: { uid: app.uid, revokedPortalTokens },
      });
    });
  }

  private async updateRow(ctx: RequestContext, id: string, data: Partial<ApplicationData>): Promise<ApplicationRow> {
    return this.uow.run(ctx.scope, async (tx) => {
      const row = await this.apps.update(tx, id, data);
      await tx.audit(ctx.audit, {
        action: 'application.updated',
        target: { type: 'application', id },
        details: { fields: Object.keys(data).sort() },
      });
      return row;
    });
  }
}

export function newApplicationData(input: ApplicationIn, uid: string | null): ApplicationData {
  return { name: input.name, uid, throttleRate: requestedRateLimit(input) ?? null, metadata: input.metadata ?? {} };
}

/**
 * An application created from another request's body (message create, app-portal access) must
 * carry the path's uid, as Svix requires: otherwise the next request to the same path would
 * not find it.
 */
export function assertSameUid(pathUid: string, bodyUid: string | null | undefined): void {
  if (bodyUid == null) {
    throw ValidationError.single(['body', 'application', 'uid'], 'must be given, and equal the uid in the path, to create the application', 'application_uid_missing');
  }
  if (bodyUid !== pathUid) {
    throw ValidationError.single(['body', 'application', 'uid'], 'must equal the uid in the path', 'application_uid_mismatch');
  }
}
