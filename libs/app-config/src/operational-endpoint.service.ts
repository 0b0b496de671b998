import { Injectable } from '@nestjs/common';
import type { ListResponse, RequestContext } from '@herald/api-core';
import { NotFoundError, TenantKeysService, TenantUnitOfWork, type TenantScope, type TenantTx } from '@herald/tenancy';
import { newId } from '@herald/db';
import { OperationalEvents } from '@herald/deliveries';
import { ApplicationRepository } from './application.repository';
import { generateSecret } from './endpoint-secret.rules';
import { EndpointRepository } from './endpoint.repository';
import { EndpointService, type EndpointOwner } from './endpoint.service';
import type { EndpointHeadersIn, EndpointHeadersPatchIn } from './endpoint.schemas';
import type { EndpointHeadersOut, EndpointSecretOut } from './management.responses';
import {
  toOperationalEndpointOut,
  type OperationalEndpointIn,
  type OperationalEndpointListQuery,
  type OperationalEndpointOut,
  type OperationalEndpointSecretIn,
  type OperationalEndpointUpdate,
} from './operational-endpoint.schemas';

/** The operational endpoint that mirrors the tenant settings' `operationalWebhookUrl`. */
export const SETTINGS_ENDPOINT_UID = 'tenant-settings';
/** Why that endpoint is disabled when the URL was cleared (its secret is kept for the next URL). */
const CLEARED_REASON = 'operationalWebhookUrl cleared in the tenant settings';

export interface SettingsEndpoint {
  /** null when cleared. */
  url: string | null;
  /** The current secret, sealed with the tenant's key. */
  secretEnc: Uint8Array | null;
}

/**
 * Endpoints of the tenant's hidden operational application, which receive its operational
 * webhooks (docs/decisions/0010-dispatcher-v2.md). The tenant settings' single URL is the
 * endpoint with uid `tenant-settings`; deliveries to it use the same pipeline as messages.
 * The svix client's `/operational-webhook/endpoint` API manages all of them (the settings one
 * included) through EndpointService, so URL checks, secrets, headers and audit are the same.
 */
@Injectable()
export class OperationalEndpointService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly apps: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly keys: TenantKeysService,
    private readonly events: OperationalEvents,
    private readonly endpointService: EndpointService,
  ) {}

  // -------------------------------------------------------------------------------------------
  // The operational-webhook endpoint API

  async list(ctx: RequestContext, query: OperationalEndpointListQuery): Promise<ListResponse<OperationalEndpointOut>> {
    const owner = await this.owner(ctx.scope);
    if (!owner) return { data: [], iterator: null, prevIterator: null, done: true };
    const page = await this.endpointService.list(ctx, owner, query);
    return { ...page, data: page.data.map(toOperationalEndpointOut) };
  }

  async get(ctx: RequestContext, endpointIdOrUid: string): Promise<OperationalEndpointOut> {
    return toOperationalEndpointOut(await this.endpointService.get(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid));
  }

  /**
   * The tenant's first operational endpoint creates the hidden application; if the endpoint is
   * refused, that application goes again (a refused request changes nothing).
   */
  async create(ctx: RequestContext, input: OperationalEndpointIn): Promise<OperationalEndpointOut> {
    const existing = await this.owner(ctx.scope);
    const owner = existing ?? (await this.owner(ctx.scope, true));
    if (!owner) throw new NotFoundError('Operational application');
    try {
      return toOperationalEndpointOut(await this.endpointService.create(ctx, owner, input));
    } catch (err) {
      if (!existing) await this.uow.run(ctx.scope, (tx) => this.apps.deleteOperationalAppIfEmpty(tx, owner.id));
      throw err;
    } finally {
      this.events.evict(ctx.scope);
    }
  }

  /** PUT replaces an existing endpoint (Svix: no upsert on this API). */
  async update(ctx: RequestContext, endpointIdOrUid: string, input: OperationalEndpointUpdate): Promise<OperationalEndpointOut> {
    const owner = await this.existingOwner(ctx.scope);
    const current = await this.endpointService.get(ctx, owner, endpointIdOrUid);
    try {
      // By id: a new `uid` in the body must not make the upsert create a second endpoint.
      return toOperationalEndpointOut((await this.endpointService.upsert(ctx, owner, current.id, input)).body);
    } finally {
      this.events.evict(ctx.scope);
    }
  }

  async delete(ctx: RequestContext, endpointIdOrUid: string): Promise<void> {
    try {
      await this.endpointService.delete(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid);
    } finally {
      this.events.evict(ctx.scope);
    }
  }

  async getSecret(ctx: RequestContext, endpointIdOrUid: string): Promise<EndpointSecretOut> {
    return this.endpointService.getSecret(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid);
  }

  /** As for application endpoints, the old secret keeps signing for the default grace period. */
  async rotateSecret(ctx: RequestContext, endpointIdOrUid: string, input: OperationalEndpointSecretIn): Promise<void> {
    await this.endpointService.rotateSecret(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid, { key: input.key });
  }

  async getHeaders(ctx: RequestContext, endpointIdOrUid: string): Promise<EndpointHeadersOut> {
    return this.endpointService.getHeaders(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid);
  }

  async replaceHeaders(ctx: RequestContext, endpointIdOrUid: string, input: EndpointHeadersIn): Promise<void> {
    await this.endpointService.replaceHeaders(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid, input);
  }

  async patchHeaders(ctx: RequestContext, endpointIdOrUid: string, input: EndpointHeadersPatchIn): Promise<void> {
    await this.endpointService.patchHeaders(ctx, await this.existingOwner(ctx.scope), endpointIdOrUid, input);
  }

  private async owner(scope: TenantScope, create = false): Promise<Exclude<EndpointOwner, string> | null> {
    const app = create ? await this.uow.run(scope, (tx) => this.apps.operationalApp(tx, true)) : await this.apps.findOperationalApp(scope);
    return app ? { id: app.id, uid: null, operational: true } : null;
  }

  /** No operational application yet: no endpoint of it can be named (404). */
  private async existingOwner(scope: TenantScope): Promise<Exclude<EndpointOwner, string>> {
    const owner = await this.owner(scope);
    if (!owner) throw new NotFoundError('Endpoint');
    return owner;
  }

  // -------------------------------------------------------------------------------------------
  // The tenant settings' operationalWebhookUrl

  async settingsEndpoint(scope: TenantScope, tx?: TenantTx): Promise<SettingsEndpoint | null> {
    const app = tx ? await this.apps.operationalApp(tx, false) : await this.apps.findOperationalApp(scope);
    if (!app) return null;
    const endpoint = await this.endpoints.findWithReason(scope, app.id, SETTINGS_ENDPOINT_UID, tx);
    if (!endpoint) return null;
    const secret = await this.endpoints.currentSecret(scope, endpoint.id, tx);
    const cleared = endpoint.disabled && endpoint.disabledReason === CLEARED_REASON;
    return { url: cleared ? null : endpoint.url, secretEnc: secret ? new Uint8Array(secret.secretEnc) : null };
  }

  /**
   * Sets or clears the settings URL inside the caller's transaction. The first URL creates the
   * endpoint with a new `whsec_` secret (returned, to be shown once); a new URL keeps the
   * secret and starts the circuit breaker afresh; clearing disables the endpoint (the secret
   * stays for the next URL). Call `committed(scope)` after the transaction.
   */
  async setSettingsUrl(tx: TenantTx, url: string | null): Promise<{ generatedSecret: string | null }> {
    const { scope } = tx;
    const app = await this.apps.operationalApp(tx, url !== null);
    if (!app) return { generatedSecret: null };
    const existing = await this.endpoints.findWithReason(scope, app.id, SETTINGS_ENDPOINT_UID, tx);
    if (!existing) {
      if (url === null) return { generatedSecret: null };
      const secret = generateSecret('hmac');
      await this.endpoints.create(
        tx,
        newId('ep'),
        app.id,
        {
          uid: SETTINGS_ENDPOINT_UID,
          url,
          description: 'From the tenant settings (operationalWebhookUrl)',
          version: 1,
          throttleRate: null,
          disabled: false,
          disabledReason: null,
          failingSince: null,
          filterTypes: [],
          channels: [],
          metadata: {},
          maxInFlight: null,
        },
        { id: newId('sec'), kind: secret.kind, secretEnc: await this.keys.encrypt(scope, secret.secret), publicKey: null },
        [],
      );
      return { generatedSecret: secret.secret };
    }
    if (url === null) {
      await this.endpoints.update(tx, existing.id, { disabled: true, disabledReason: CLEARED_REASON });
    } else {
      await this.endpoints.update(tx, existing.id, { url, disabled: false, disabledReason: null, failingSince: null }, { freshCircuit: true });
    }
    return { generatedSecret: null };
  }

  /** After the settings transaction committed: emission uses the new endpoint at once in this process. */
  committed(scope: TenantScope): void {
    this.events.evict(scope);
  }
}
