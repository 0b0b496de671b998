import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { RequestContext } from '@herald/api-core';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { PrismaService, type Prisma } from '@herald/db';
import { AuditService, NotFoundError, TenantKeysService, ValidationError, type ValidationIssue } from '@herald/core';
import { checkWebhookUrl } from '@herald/netguard';
import { TenantSettingsRepository, type TenantSettingsChange, type TenantSettingsRow } from './tenant-settings.repository';
import type { TenantSettingsOut, TenantSettingsPatch } from './tenant-settings.schemas';

const REVEALED = 'tenant.operational_webhook_secret.revealed';

/**
 * The tenant's own settings. The operational-webhook secret is generated when a URL is first
 * set, stored encrypted with the tenant's data key, kept when the URL changes or is cleared,
 * and shown only to keys with scope `all` — each showing audited (a `read` key gets null).
 */
@Injectable()
export class TenantSettingsService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly settings: TenantSettingsRepository,
    private readonly keys: TenantKeysService,
    private readonly audit: AuditService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async get(ctx: RequestContext): Promise<TenantSettingsOut> {
    const row = await this.settings.find(ctx.scope);
    if (!row) throw new NotFoundError('Tenant settings');
    if (!mayReveal(ctx) || !row.operationalWebhookSecret) return settingsOut(row, null);
    const secret = await this.keys.decryptString(ctx.scope, row.operationalWebhookSecret);
    await this.audit.recordNow(ctx.scope, ctx.audit, { action: REVEALED, target: { type: 'tenant', id: ctx.scope.tenantId } });
    return settingsOut(row, secret);
  }

  async update(ctx: RequestContext, patch: TenantSettingsPatch): Promise<TenantSettingsOut> {
    const url = this.validate(patch);
    return this.prisma.$transaction(async (tx) => {
      const current = await this.settings.findForUpdate(tx, ctx.scope);
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
      set('operationalWebhookUrl', url);
      set('throttleRate', patch.throttleRate);
      set('sendSvixHeaders', patch.sendSvixHeaders);

      let generated: string | null = null;
      if (change.operationalWebhookUrl && !current.operationalWebhookSecret) {
        generated = `whsec_${randomBytes(24).toString('base64')}`;
        set('operationalWebhookSecret', new Uint8Array(await this.keys.encrypt(ctx.scope, generated)));
      }
      if (fields.length > 0) {
        await this.settings.update(tx, ctx.scope, change);
        await this.audit.record(tx, ctx.scope, ctx.audit, { action: 'tenant.settings.updated', target: { type: 'tenant', id: ctx.scope.tenantId }, details: { fields } });
      }
      const next: TenantSettingsRow = { ...current, ...change };
      return settingsOut(next, generated ?? (await this.reveal(tx, ctx, next)));
    });
  }

  /** The stored secret for a key that may see it, audited; null otherwise. */
  private async reveal(tx: Prisma.TransactionClient, ctx: RequestContext, row: TenantSettingsRow): Promise<string | null> {
    if (!mayReveal(ctx) || !row.operationalWebhookSecret) return null;
    const secret = await this.keys.decryptString(ctx.scope, row.operationalWebhookSecret);
    await this.audit.record(tx, ctx.scope, ctx.audit, { action: REVEALED, target: { type: 'tenant', id: ctx.scope.tenantId } });
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

function settingsOut(row: TenantSettingsRow, secret: string | null): TenantSettingsOut {
  return {
    payloadRetentionDays: row.payloadRetentionDays,
    attemptRetentionDays: row.attemptRetentionDays,
    metadataRetentionDays: row.metadataRetentionDays,
    operationalWebhookUrl: row.operationalWebhookUrl,
    operationalWebhookSecret: secret,
    throttleRate: row.throttleRate,
    sendSvixHeaders: row.sendSvixHeaders,
  };
}
