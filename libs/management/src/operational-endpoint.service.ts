import { Injectable } from '@nestjs/common';
import { TenantKeysService, type Db, type TenantScope } from '@herald/core';
import { newId, PrismaService } from '@herald/db';
import { OperationalEvents } from '@herald/deliveries';
import { ApplicationRepository } from './application.repository';
import { generateSecret } from './endpoint-secret.rules';
import { EndpointRepository } from './endpoint.repository';

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
 */
@Injectable()
export class OperationalEndpointService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly apps: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly keys: TenantKeysService,
    private readonly events: OperationalEvents,
  ) {}

  async settingsEndpoint(scope: TenantScope, db: Db = this.prisma): Promise<SettingsEndpoint | null> {
    const app = await this.apps.operationalApp(db, scope, false);
    if (!app) return null;
    const endpoint = await this.endpoints.findWithReason(db, scope, app.id, SETTINGS_ENDPOINT_UID);
    if (!endpoint) return null;
    const secret = await this.endpoints.currentSecret(scope, endpoint.id, db);
    const cleared = endpoint.disabled && endpoint.disabledReason === CLEARED_REASON;
    return { url: cleared ? null : endpoint.url, secretEnc: secret ? new Uint8Array(secret.secretEnc) : null };
  }

  /**
   * Sets or clears the settings URL inside the caller's transaction. The first URL creates the
   * endpoint with a new `whsec_` secret (returned, to be shown once); a new URL keeps the
   * secret and starts the circuit breaker afresh; clearing disables the endpoint (the secret
   * stays for the next URL). Call `committed(scope)` after the transaction.
   */
  async setSettingsUrl(tx: Db, scope: TenantScope, url: string | null): Promise<{ generatedSecret: string | null }> {
    const app = await this.apps.operationalApp(tx, scope, url !== null);
    if (!app) return { generatedSecret: null };
    const existing = await this.endpoints.findWithReason(tx, scope, app.id, SETTINGS_ENDPOINT_UID);
    if (!existing) {
      if (url === null) return { generatedSecret: null };
      const secret = generateSecret('hmac');
      await this.endpoints.create(
        tx,
        scope,
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
      await this.endpoints.update(tx, scope, existing.id, { disabled: true, disabledReason: CLEARED_REASON });
    } else {
      await this.endpoints.update(tx, scope, existing.id, { url, disabled: false, disabledReason: null, failingSince: null }, { freshCircuit: true });
    }
    return { generatedSecret: null };
  }

  /** After the settings transaction committed: emission uses the new endpoint at once in this process. */
  committed(scope: TenantScope): void {
    this.events.evict(scope);
  }
}
