import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { tenantScope, type TenantScope } from '@herald/core';
import { EndpointContextRepository } from './endpoint-context.repository';
import { EndpointHealthRepository, type DisabledEndpoint } from './endpoint-health.repository';
import { OperationalWebhookService } from './operational-webhook.service';

const CHECK_BATCH = 200;

/**
 * Disables endpoints that only fail: at once on 410 Gone, and when failing_since (the start
 * of an unbroken run of failed attempts) is older than
 * HERALD_ENDPOINT_FAILURE_DISABLE_AFTER_HOURS. Each disable is audited and announced with an
 * `endpoint.disabled` operational webhook.
 */
@Injectable()
export class EndpointHealthService {
  private readonly logger = new Logger('EndpointHealth');

  constructor(
    private readonly repository: EndpointHealthRepository,
    private readonly endpoints: EndpointContextRepository,
    private readonly opWebhooks: OperationalWebhookService,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async disable(scope: TenantScope, endpoint: { id: string }, reason: string): Promise<void> {
    const disabled = await this.repository.disable(scope, endpoint.id, reason);
    if (disabled) await this.announce(scope, disabled);
  }

  /** One pass of the periodic check; returns how many endpoints it disabled. */
  async disableLongFailing(now = new Date()): Promise<number> {
    const hours = this.config.delivery.failureDisableAfterHours;
    const cutoff = new Date(now.getTime() - hours * 3_600_000);
    let count = 0;
    for (const candidate of await this.repository.findFailingSince(cutoff, CHECK_BATCH)) {
      const scope = tenantScope(candidate.tenantId);
      const disabled = await this.repository.disable(scope, candidate.id, `every attempt failed for more than ${hours} hours`, cutoff);
      if (!disabled) continue;
      count += 1;
      await this.announce(scope, disabled);
    }
    return count;
  }

  private async announce(scope: TenantScope, disabled: DisabledEndpoint): Promise<void> {
    this.endpoints.evict(scope, disabled.id);
    this.logger.warn(`disabled endpoint ${disabled.id} of tenant ${scope.tenantId}`);
    await this.opWebhooks.emit(scope, 'endpoint.disabled', {
      appId: disabled.appId,
      appUid: disabled.appUid,
      endpointId: disabled.id,
      endpointUid: disabled.uid,
      failSince: (disabled.failingSince ?? new Date()).toISOString(),
    });
  }
}
