import { Inject, Injectable, Logger } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '@herald/config';
import { OperatorDb, TenantUnitOfWork, type TenantScope, type TenantTx } from '@herald/tenancy';
import { OperationalEvents, type OperationalEventRow } from '@herald/deliveries';
import { EndpointContextRepository } from './endpoint-context.repository';
import { EndpointHealthRepository, type DisabledEndpoint } from './endpoint-health.repository';

const CHECK_BATCH = 200;

/**
 * Disables endpoints that only fail: at once on 410 Gone, and when failing_since (the start
 * of an unbroken run of failed attempts) is older than
 * HERALD_ENDPOINT_FAILURE_DISABLE_AFTER_HOURS — circuit breaker or not: a probe that fails
 * keeps the run going. Each disable is audited and announced with an `endpoint.disabled`
 * operational webhook, committed with it.
 */
@Injectable()
export class EndpointHealthService {
  private readonly logger = new Logger('EndpointHealth');

  constructor(
    private readonly repository: EndpointHealthRepository,
    private readonly endpoints: EndpointContextRepository,
    private readonly opEvents: OperationalEvents,
    private readonly operator: OperatorDb,
    private readonly uow: TenantUnitOfWork,
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
  ) {}

  async disable(scope: TenantScope, endpoint: { id: string }, reason: string): Promise<void> {
    const done = await this.disableAndAnnounce(scope, endpoint.id, reason, undefined);
    if (done) this.after(scope, done.disabled, done.events);
  }

  /** One pass of the periodic check; returns how many endpoints it disabled. */
  async disableLongFailing(now = new Date()): Promise<number> {
    const hours = this.config.delivery.failureDisableAfterHours;
    const cutoff = new Date(now.getTime() - hours * 3_600_000);
    let count = 0;
    for (const candidate of await this.repository.findFailingSince(cutoff, CHECK_BATCH)) {
      // A cross-tenant sweep: each endpoint found is handled for its own tenant.
      const scope = this.operator.scopeFor(candidate.tenantId);
      const done = await this.disableAndAnnounce(scope, candidate.id, `every attempt failed for more than ${hours} hours`, cutoff);
      if (!done) continue;
      count += 1;
      this.after(scope, done.disabled, done.events);
    }
    return count;
  }

  /** The disable, its audit entry and its announcement: one tenant unit of work. */
  private disableAndAnnounce(scope: TenantScope, endpointId: string, reason: string, failingBefore: Date | undefined): Promise<{ disabled: DisabledEndpoint; events: OperationalEventRow[] } | null> {
    return this.uow.run(scope, async (tx) => {
      const disabled = await this.repository.disable(tx, endpointId, reason, failingBefore);
      return disabled ? { disabled, events: await this.announce(tx, disabled) } : null;
    });
  }

  private async announce(tx: TenantTx, disabled: DisabledEndpoint): Promise<OperationalEventRow[]> {
    if (disabled.operational) return [];
    const row = await this.opEvents.prepare(tx.scope, 'endpoint.disabled', {
      appId: disabled.appId,
      appUid: disabled.appUid,
      endpointId: disabled.id,
      endpointUid: disabled.uid,
      failSince: (disabled.failingSince ?? new Date()).toISOString(),
    });
    if (!row) return [];
    await this.opEvents.insertForTenant(tx, [row]);
    return [row];
  }

  private after(scope: TenantScope, disabled: DisabledEndpoint, events: OperationalEventRow[]): void {
    this.endpoints.evict(scope, disabled.id);
    this.opEvents.wake(events);
    this.logger.warn(`disabled endpoint ${disabled.id} of tenant ${scope.tenantId}`);
  }
}
