import { Inject, Injectable } from '@nestjs/common';
import { planPage, toListResponse, type ListResponse, type RequestContext } from '@herald/api-core';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { NotFoundError, TenantKeysService, type TenantScope, type TenantTx, TenantUnitOfWork, ValidationError, type ValidationIssue } from '@herald/tenancy';
import { newId } from '@herald/db';
import { checkWebhookUrl } from '@herald/netguard';
import { AppAccessService } from './app-access.service';
import type { Outcome } from './application.service';
import { headerIssues, isSensitiveHeader, MAX_ENDPOINT_HEADERS, normalizeHeaderName } from './endpoint-header.rules';
import { generateSecret, parseSecretInput, type NewSecret } from './endpoint-secret.rules';
import { EndpointRepository, type EndpointData, type EndpointRow, type StoredHeader, type StoredSecret } from './endpoint.repository';
import type {
  EndpointHeadersIn,
  EndpointHeadersPatchIn,
  EndpointIn,
  EndpointListQuery,
  EndpointPatch,
  EndpointSecretRotateIn,
  EndpointStatsQuery,
  EndpointUpdate,
} from './endpoint.schemas';
import { EventTypeRepository } from './event-type.repository';
import { toEndpointOut } from './management.mappers';
import type { EndpointHeadersOut, EndpointOut, EndpointSecretOut, EndpointStatsOut } from './management.responses';
import { requestedRateLimit } from './management.schemas';
import { OPERATIONAL_EVENT_TYPES, OperationalEvents, type OperationalEventRow } from '@herald/deliveries';

/** A rotated-out secret keeps signing this long unless the request says otherwise (Svix: 24 h). */
const DEFAULT_GRACE_SECONDS = 86_400;
/** Rotated-out secrets kept (while unexpired) besides the current one. */
const MAX_OLD_SECRETS = 10;
const MANUAL_DISABLE_REASON = 'manual';
const ENDPOINT_ID_SHAPE = /^ep_[0-9A-Za-z]{27}$/;

/** The application an endpoint belongs to, as operational webhooks name it. */
type AppRef = { id: string; uid: string | null; operational?: boolean };

/**
 * Which application's endpoints a call manages: a customer application by id or uid (resolved
 * for the caller), or the tenant's hidden operational application, already resolved by
 * OperationalEndpointService. Its endpoints filter operational event types, and changing them
 * announces nothing (operational webhooks never report on themselves).
 */
export type EndpointOwner = string | { id: string; uid: null; operational: true };

type EventFilterInput = { eventTypes?: string[] | null; filterTypes?: string[] | null };

@Injectable()
export class EndpointService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly endpoints: EndpointRepository,
    private readonly eventTypes: EventTypeRepository,
    private readonly access: AppAccessService,
    private readonly keys: TenantKeysService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly operationalEvents: OperationalEvents,
  ) {}

  async list(ctx: RequestContext, owner: EndpointOwner, query: EndpointListQuery): Promise<ListResponse<EndpointOut>> {
    const app = await this.ownerApp(ctx, owner);
    // Svix lists endpoints newest first unless asked otherwise.
    const plan = planPage(query, 'descending');
    const rows = await this.endpoints.list(ctx.scope, app.id, plan);
    return toListResponse(rows, plan, (r) => r.id, toEndpointOut);
  }

  async get(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string): Promise<EndpointOut> {
    return toEndpointOut((await this.resolve(ctx, owner, endpointIdOrUid)).endpoint);
  }

  async create(ctx: RequestContext, owner: EndpointOwner, input: EndpointIn): Promise<EndpointOut> {
    const app = await this.ownerApp(ctx, owner);
    return this.insert(ctx, app, input, input.uid ?? null);
  }

  /** PUT: replaces the endpoint, or creates it (uid = the path) when missing. */
  async upsert(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string, input: EndpointUpdate): Promise<Outcome<EndpointOut>> {
    const app = await this.ownerApp(ctx, owner);
    const existing = await this.endpoints.find(ctx.scope, app.id, endpointIdOrUid);
    if (!existing) {
      // A path shaped like an endpoint id names one that is not here: 404; only a uid creates.
      if (ENDPOINT_ID_SHAPE.test(endpointIdOrUid)) throw new NotFoundError('Endpoint');
      return { status: 201, body: await this.insert(ctx, app, input, input.uid ?? endpointIdOrUid) };
    }
    const data: Partial<EndpointData> = {
      url: this.checkedUrl(input.url),
      description: input.description ?? '',
      throttleRate: requestedRateLimit(input) ?? null,
      filterTypes: await this.checkedFilter(ctx.scope, app, input),
      channels: input.channels ?? [],
      metadata: input.metadata ?? {},
      maxInFlight: input.maxInFlight ?? null,
      ...disabledFields(existing, input.disabled ?? false),
    };
    // Without `uid`/`version` a PUT keeps them: the uid is how clients address the endpoint.
    if (input.uid !== undefined) data.uid = input.uid;
    if (input.version != null) data.version = input.version;
    return { status: 200, body: toEndpointOut(await this.updateRow(ctx, app, existing, data, null)) };
  }

  async patch(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string, input: EndpointPatch): Promise<EndpointOut> {
    const { app, endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const data: Partial<EndpointData> = {};
    if (input.url !== undefined) data.url = this.checkedUrl(input.url);
    if (input.uid !== undefined) data.uid = input.uid;
    if (input.description !== undefined) data.description = input.description;
    if (input.version != null) data.version = input.version;
    const rate = requestedRateLimit(input);
    if (rate !== undefined) data.throttleRate = rate;
    if (input.eventTypes !== undefined || input.filterTypes !== undefined) data.filterTypes = await this.checkedFilter(ctx.scope, app, input);
    if (input.channels !== undefined) data.channels = input.channels ?? [];
    if (input.metadata !== undefined) data.metadata = input.metadata;
    if (input.maxInFlight !== undefined) data.maxInFlight = input.maxInFlight ?? null;
    if (input.disabled !== undefined) Object.assign(data, disabledFields(endpoint, input.disabled));
    // The svix client can set a secret through PATCH: a rotation with the default grace period.
    const secret = input.secret != null ? this.checkedSecret(input.secret, ['body', 'secret']) : null;
    return toEndpointOut(await this.updateRow(ctx, app, endpoint, data, secret));
  }

  async delete(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string): Promise<void> {
    const { app, endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const events = await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.endpoints.delete(tx, endpoint.id))) throw new NotFoundError('Endpoint');
      await tx.audit(ctx.audit, { action: 'endpoint.deleted', target: { type: 'endpoint', id: endpoint.id }, details: { appId: app.id } });
      return this.announce(tx, 'endpoint.deleted', app, endpoint);
    });
    this.operationalEvents.wake(events);
  }

  // -------------------------------------------------------------------------------------------
  // Secrets

  /** Reveals the current secret; every reveal is audit-logged before the secret is returned. */
  async getSecret(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string): Promise<EndpointSecretOut> {
    const { app, endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const current = await this.endpoints.currentSecret(ctx.scope, endpoint.id);
    if (!current) throw new NotFoundError('Endpoint secret');
    const key = await this.keys.decryptString(ctx.scope, current.secretEnc);
    await this.uow.run(ctx.scope, (tx) => tx.audit(ctx.audit, { action: 'endpoint.secret.revealed', target: { type: 'endpoint', id: endpoint.id }, details: { appId: app.id } }));
    return current.publicKey ? { key, publicKey: current.publicKey } : { key };
  }

  async rotateSecret(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string, input: EndpointSecretRotateIn): Promise<void> {
    const { app, endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const given = input.key != null ? this.checkedSecret(input.key, ['body', 'key']) : null;
    const grace = input.gracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const events = await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.endpoints.lock(tx, endpoint.id))) throw new NotFoundError('Endpoint');
      // Without a key, the new secret is of the current one's kind.
      const next = given ?? generateSecret((await this.endpoints.currentSecret(ctx.scope, endpoint.id, tx))?.kind === 'ed25519' ? 'ed25519' : 'hmac');
      await this.endpoints.rotateSecret(tx, endpoint.id, await this.sealSecret(ctx.scope, next), new Date(Date.now() + grace * 1000), MAX_OLD_SECRETS);
      await tx.audit(ctx.audit, {
        action: 'endpoint.secret.rotated',
        target: { type: 'endpoint', id: endpoint.id },
        details: { appId: app.id, kind: next.kind, gracePeriodSeconds: grace },
      });
      // A new secret changes the endpoint for its receiver: Svix reports it as endpoint.updated.
      return this.announce(tx, 'endpoint.updated', app, endpoint);
    });
    this.operationalEvents.wake(events);
  }

  // -------------------------------------------------------------------------------------------
  // Headers

  /** Values of sensitive headers are never returned; their names are listed in `sensitive`. */
  async getHeaders(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string): Promise<EndpointHeadersOut> {
    const { endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const headers: Record<string, string> = {};
    const sensitive: string[] = [];
    for (const h of await this.endpoints.headers(ctx.scope, endpoint.id)) {
      if (h.sensitive) sensitive.push(h.name);
      else headers[h.name] = await this.keys.decryptString(ctx.scope, h.valueEnc);
    }
    return { headers, sensitive };
  }

  async replaceHeaders(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string, input: EndpointHeadersIn): Promise<void> {
    const { endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const rows = await this.checkedHeaders(ctx.scope, input.headers, ['body', 'headers']);
    await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.endpoints.lock(tx, endpoint.id))) throw new NotFoundError('Endpoint');
      await this.endpoints.deleteAllHeaders(tx, endpoint.id);
      await this.endpoints.writeHeaders(tx, endpoint.id, rows, []);
      await this.recordHeaders(tx, ctx, endpoint.id, rows.map((h) => h.name), []);
    });
  }

  /** Merges: a string sets a header, `null` (or a name in `deleteHeaders`) removes it. */
  async patchHeaders(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string, input: EndpointHeadersPatchIn): Promise<void> {
    const { endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    const changes: Record<string, string | null> = { ...input.headers };
    const issues: ValidationIssue[] = [];
    for (const name of input.deleteHeaders ?? []) {
      const setHere = Object.keys(input.headers).some((n) => normalizeHeaderName(n) === normalizeHeaderName(name) && input.headers[n] !== null);
      if (setHere) issues.push({ loc: ['body', 'deleteHeaders', name], msg: 'a header cannot be set and deleted at once', type: 'value_error' });
      else changes[name] = null;
    }
    issues.push(...headerIssues(changes, ['body', 'headers']));
    if (issues.length > 0) throw new ValidationError(issues);
    const upserts = await this.sealHeaders(ctx.scope, changes);
    const deletes = Object.entries(changes)
      .filter(([, v]) => v === null)
      .map(([n]) => n);
    await this.uow.run(ctx.scope, async (tx) => {
      if (!(await this.endpoints.lock(tx, endpoint.id))) throw new NotFoundError('Endpoint');
      // Names compare case-insensitively: `X-Foo` replaces or deletes a stored `x-foo`.
      const names = new Set((await this.endpoints.headers(ctx.scope, endpoint.id, tx)).map((h) => normalizeHeaderName(h.name)));
      for (const n of deletes) names.delete(normalizeHeaderName(n));
      for (const h of upserts) names.add(normalizeHeaderName(h.name));
      if (names.size > MAX_ENDPOINT_HEADERS) throw ValidationError.single(['body', 'headers'], `an endpoint has at most ${MAX_ENDPOINT_HEADERS} custom headers`);
      await this.endpoints.writeHeaders(tx, endpoint.id, upserts, deletes);
      await this.recordHeaders(tx, ctx, endpoint.id, upserts.map((h) => h.name), deletes);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Stats

  async stats(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string, query: EndpointStatsQuery): Promise<EndpointStatsOut> {
    const { endpoint } = await this.resolve(ctx, owner, endpointIdOrUid);
    if (query.since && query.until && query.since.getTime() > query.until.getTime()) {
      throw ValidationError.single(['query', 'until'], 'until must not be before since');
    }
    const counts = await this.endpoints.deliveryCounts(ctx.scope, endpoint.id, query.since, query.until);
    return {
      success: counts['success'] ?? 0,
      pending: counts['pending'] ?? 0,
      sending: counts['sending'] ?? 0,
      fail: counts['failed'] ?? 0,
      canceled: counts['skipped'] ?? 0,
    };
  }

  // -------------------------------------------------------------------------------------------

  private async ownerApp(ctx: RequestContext, owner: EndpointOwner): Promise<AppRef> {
    return typeof owner === 'string' ? this.access.resolve(ctx, owner) : owner;
  }

  private async resolve(ctx: RequestContext, owner: EndpointOwner, endpointIdOrUid: string): Promise<{ app: AppRef; endpoint: EndpointRow }> {
    const app = await this.ownerApp(ctx, owner);
    const endpoint = await this.endpoints.find(ctx.scope, app.id, endpointIdOrUid);
    if (!endpoint) throw new NotFoundError('Endpoint');
    return { app, endpoint };
  }

  private async insert(ctx: RequestContext, app: AppRef, input: EndpointIn | EndpointUpdate, uid: string | null): Promise<EndpointOut> {
    const appId = app.id;
    const data: EndpointData = {
      uid,
      url: this.checkedUrl(input.url),
      description: input.description ?? '',
      version: input.version ?? 1,
      throttleRate: requestedRateLimit(input) ?? null,
      disabled: input.disabled ?? false,
      disabledReason: input.disabled ? MANUAL_DISABLE_REASON : null,
      failingSince: null,
      filterTypes: await this.checkedFilter(ctx.scope, app, input),
      channels: input.channels ?? [],
      metadata: input.metadata ?? {},
      maxInFlight: input.maxInFlight ?? null,
    };
    const given = 'secret' in input && input.secret != null ? this.checkedSecret(input.secret, ['body', 'secret']) : null;
    const headers = 'headers' in input && input.headers ? await this.checkedHeaders(ctx.scope, input.headers, ['body', 'headers']) : [];
    const secret = await this.sealSecret(ctx.scope, given ?? generateSecret('hmac'));
    const { row, events } = await this.uow.run(ctx.scope, async (tx) => {
      const created = await this.endpoints.create(tx, newId('ep'), appId, data, secret, headers);
      await tx.audit(ctx.audit, {
        action: 'endpoint.created',
        target: { type: 'endpoint', id: created.id },
        details: { appId, secretKind: secret.kind, headers: headers.map((h) => h.name) },
      });
      return { row: created, events: await this.announce(tx, 'endpoint.created', app, created) };
    });
    this.operationalEvents.wake(events);
    return toEndpointOut(row);
  }

  private async updateRow(ctx: RequestContext, app: AppRef, existing: EndpointRow, data: Partial<EndpointData>, secret: NewSecret | null): Promise<EndpointRow> {
    const sealed = secret ? await this.sealSecret(ctx.scope, secret) : null;
    // A new URL or enabling again starts the circuit breaker afresh: the old failures were about something else.
    const freshCircuit = (data.url !== undefined && data.url !== existing.url) || (data.disabled === false && existing.disabled);
    const { updated, events } = await this.uow.run(ctx.scope, async (tx) => {
      const row = await this.endpoints.update(tx, existing.id, data, { freshCircuit });
      await tx.audit(ctx.audit, {
        action: 'endpoint.updated',
        target: { type: 'endpoint', id: existing.id },
        details: { appId: existing.appId, fields: Object.keys(data).sort() },
      });
      // The UPDATE above holds the endpoint's row lock: rotations of this endpoint wait for it.
      if (sealed) {
        await this.endpoints.rotateSecret(tx, existing.id, sealed, new Date(Date.now() + DEFAULT_GRACE_SECONDS * 1000), MAX_OLD_SECRETS);
        await tx.audit(ctx.audit, {
          action: 'endpoint.secret.rotated',
          target: { type: 'endpoint', id: existing.id },
          details: { appId: existing.appId, kind: sealed.kind, gracePeriodSeconds: DEFAULT_GRACE_SECONDS },
        });
      }
      return { updated: row, events: await this.announce(tx, 'endpoint.updated', app, row) };
    });
    this.operationalEvents.wake(events);
    return updated;
  }

  /** The tenant's `endpoint.*` operational webhook, committed with the change it reports. */
  private async announce(
    tx: TenantTx,
    type: 'endpoint.created' | 'endpoint.updated' | 'endpoint.deleted',
    app: AppRef,
    endpoint: { id: string; uid: string | null },
  ): Promise<OperationalEventRow[]> {
    if (app.operational) return [];
    const row = await this.operationalEvents.prepare(tx.scope, type, { appId: app.id, appUid: app.uid, endpointId: endpoint.id, endpointUid: endpoint.uid });
    if (!row) return [];
    await this.operationalEvents.insertForTenant(tx, [row]);
    return [row];
  }

  /** The write-time half of the SSRF policy; the dispatcher checks resolved addresses again. */
  private checkedUrl(raw: string): string {
    const verdict = checkWebhookUrl(raw, { httpsOnly: this.config.delivery.httpsOnly, allowedCidrs: this.config.delivery.allowedCidrs });
    if (!verdict.ok) throw ValidationError.single(['body', 'url'], verdict.reason, 'value_error.url');
    return verdict.url.toString();
  }

  /** The event filter (either spelling); every type must exist and not be archived (as Svix checks). */
  private async checkedFilter(scope: TenantScope, app: AppRef, input: EventFilterInput): Promise<string[]> {
    const field = input.filterTypes !== undefined ? 'filterTypes' : 'eventTypes';
    const names = input.filterTypes ?? input.eventTypes ?? [];
    // Operational endpoints filter Herald's own event types, not the tenant's catalog.
    const active = app.operational ? new Set<string>(OPERATIONAL_EVENT_TYPES) : await this.eventTypes.activeNames(scope, names);
    const issues = names
      .map((name, i) => ({ name, i }))
      .filter(({ name }) => !active.has(name))
      .map(({ name, i }) => ({
        loc: ['body', field, i],
        msg: app.operational ? `${name} is not an operational event type (${OPERATIONAL_EVENT_TYPES.join(', ')})` : `event type ${name} does not exist or is archived`,
        type: 'value_error.event_type',
      }));
    if (issues.length > 0) throw new ValidationError(issues);
    return names;
  }

  private checkedSecret(raw: string, loc: (string | number)[]): NewSecret {
    const parsed = parseSecretInput(raw);
    if (!parsed.ok) throw ValidationError.single(loc, parsed.reason, 'value_error.secret');
    return parsed.value;
  }

  /** Secrets are stored only encrypted with the tenant's data key. */
  private async sealSecret(scope: TenantScope, secret: NewSecret): Promise<StoredSecret> {
    return { id: newId('sec'), kind: secret.kind, secretEnc: await this.keys.encrypt(scope, secret.secret), publicKey: secret.publicKey };
  }

  private async checkedHeaders(scope: TenantScope, headers: Record<string, string>, loc: (string | number)[]): Promise<StoredHeader[]> {
    const issues = headerIssues(headers, loc);
    if (Object.keys(headers).length > MAX_ENDPOINT_HEADERS) issues.push({ loc, msg: `an endpoint has at most ${MAX_ENDPOINT_HEADERS} custom headers`, type: 'value_error' });
    if (issues.length > 0) throw new ValidationError(issues);
    return this.sealHeaders(scope, headers);
  }

  /** Header values are stored only encrypted; names as given (Svix keeps their capitalization). */
  private async sealHeaders(scope: TenantScope, headers: Record<string, string | null>): Promise<StoredHeader[]> {
    const out: StoredHeader[] = [];
    for (const [name, value] of Object.entries(headers)) {
      if (value === null) continue;
      out.push({ name, valueEnc: await this.keys.encrypt(scope, value), sensitive: isSensitiveHeader(name) });
    }
    return out;
  }

  private async recordHeaders(tx: TenantTx, ctx: RequestContext, endpointId: string, set: string[], removed: string[]): Promise<void> {
    await tx.audit(ctx.audit, {
      action: 'endpoint.headers.updated',
      target: { type: 'endpoint', id: endpointId },
      details: { set: [...set].sort(), removed: [...removed].sort() },
    });
  }
}

/** Enabling clears the failure history (else the health check would disable it again at once). */
function disabledFields(existing: EndpointRow, disabled: boolean): Partial<EndpointData> {
  if (disabled === existing.disabled) return { disabled };
  return disabled ? { disabled, disabledReason: MANUAL_DISABLE_REASON } : { disabled, disabledReason: null, failingSince: null };
}
