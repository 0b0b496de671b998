import { Inject, Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { NotFoundError, TenantKeysService, TenantUnitOfWork, ValidationError, type TenantTx, type ValidationIssue } from '@herald/tenancy';
import { OperationalEndpointService } from '@herald/app-config';
import { checkWebhookUrl } from '@herald/netguard';
import { TenantSettingsRepository, type TenantSettingsChange, type TenantSettingsRow } from './tenant-settings.repository';
import type { TenantSettingsOut, TenantSettingsPatch } from './tenant-settings.schemas';

const REVEALED = 'tenant.operational_webhook_secret.revealed';

/**
 * The tenant's own settings. `operationalWebhookUrl` is the tenant's operational endpoint
 * `tenant-settings` (OperationalEndpointService): its secret is generated when a URL is first
 * set, stored encrypted with the tenant's data key, kept when the URL changes or is cleared,
 * and shown only to keys with scope `all` — each showing audited (a `read` key gets null).
 */
@Injectable()
export class TenantSettingsService {
  constructor(
    private readonly uow: TenantUnitOfWork,
    private readonly settings: TenantSettingsRepository,
    private readonly operational: OperationalEndpointService,
    private readonly keys: TenantKeysService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async get(ctx: RequestContext): Promise<TenantSettingsOut> {
    const row = await this.settings.find(ctx.scope);
    if (!row) throw new NotFoundError('Tenant settings');
    const ops = await this.operational.settingsEndpoint(ctx.scope);
    if (!mayReveal(ctx) || !ops?.secretEnc) return settingsOut(row, ops?.url ?? null, null);
    const secret = await this.keys.decryptString(ctx.scope, ops.secretEnc);
    await this.uow.run(ctx.scope, (tx) => tx.audit(ctx.audit, { action: REVEALED, target: { type: 'tenant', id: ctx.scope.tenantId } }));
    return settingsOut(row, ops.url, secret);
  }

  async update(ctx: RequestContext, patch: TenantSettingsPatch): Promise<TenantSettingsOut> {
    const url = this.validate(patch);
    const out = await this.uow.run(ctx.scope, async (tx) => {
      const current = await this.settings.findForUpdate(tx);
      if (!current) throw new NotFoundError('Tenant settings');
      const change: TenantSettingsChange = {};
      const fields: string[] = [];
      const set = <K extends keyof TenantSettingsRow>(field: K, value: TenantSettingsRow[K] | undefined): void => {
        if (value === undefined || value === current[field]) return;
        change[field] = value;
        fields.push(field);
      };
      set('payloadRetentionDays', patch.payloadRetentionDays);
      set('attemptRetentionDays', patch.attemptRetentionDays);
      set('metadataRetentionDays', patch.metadataRetentionDays);
      set('throttleRate', patch.throttleRate);
      set('sendSvixHeaders', patch.sendSvixHeaders);

      let generated: string | null = null;
      const ops = await this.operational.settingsEndpoint(ctx.scope, tx);
      if (url !== undefined && url !== (ops?.url ?? null)) {
        generated = (await this.operational.setSettingsUrl(tx, url)).generatedSecret;
        fields.push('operationalWebhookUrl');
        if (generated) fields.push('operationalWebhookSecret');
      }
      if (Object.keys(change).length > 0) await this.settings.update(tx, change);
      if (fields.length > 0) {
        await tx.audit(ctx.audit, { action: 'tenant.settings.updated', target: { type: 'tenant', id: ctx.scope.tenantId }, details: { fields } });
      }
      const next: TenantSettingsRow = { ...current, ...change };
      const now = await this.operational.settingsEndpoint(ctx.scope, tx);
      return settingsOut(next, now?.url ?? null, generated ?? (await this.reveal(tx, ctx, now?.secretEnc ?? null)));
    });
    this.operational.committed(ctx.scope);
    return out;
  }

  /** The stored secret for a key that may see it, audited; null otherwise. */
  private async reveal(tx: TenantTx, ctx: RequestContext, secretEnc: Uint8Array | null): Promise<string | null> {
    if (!mayReveal(ctx) || !secretEnc) return null;
    const secret = await this.keys.decryptString(ctx.scope, secretEnc);
    await tx.audit(ctx.audit, { action: REVEALED, target: { type: 'tenant', id: ctx.scope.tenantId } });
    return secret;
  }

  /** Checks what zod cannot (operator limits, the address policy); returns the normalised URL. */
  private validate(patch: TenantSettingsPatch): string | null | undefined {
    const issues: ValidationIssue[] = [];
    const max = this.config.retention.defaultPayloadRetentionDays;
    if (patch.payloadRetentionDays !== undefined && patch.payloadRetentionDays > max) {
      issues.push({ loc: ['body', 'payloadRetentionDays'], msg: `must be at most ${max} days (the operator's maximum)`, type: 'value_error.number.too_big' });
    }
    let url: string | null | undefined = patch.operationalWebhookUrl;
    if (typeof url === 'string') {
      const verdict = checkWebhookUrl(url, { httpsOnly: this.config.delivery.httpsOnly, allowedCidrs: this.config.delivery.allowedCidrs });
      if (verdict.ok) url = verdict.url.toString();
      else issues.push({ loc: ['body', 'operationalWebhookUrl'], msg: verdict.reason, type: 'value_error.url' });
    }
    if (issues.length > 0) throw new ValidationError(issues);
    return url;
  }
}

function mayReveal(ctx: RequestContext): boolean {
  return ctx.principal.kind === 'api_key' && ctx.principal.scopes.includes('all');
}

function settingsOut(row: TenantSettingsRow, operationalWebhookUrl: string | null, secret: string | null): TenantSettingsOut {
  return {
    payloadRetentionDays: row.payloadRetentionDays,
    attemptRetentionDays: row.attemptRetentionDays,
    metadataRetentionDays: row.metadataRetentionDays,
    operationalWebhookUrl,
    operationalWebhookSecret: secret,
    throttleRate: row.throttleRate,
    sendSvixHeaders: row.sendSvixHeaders,
  };
}
