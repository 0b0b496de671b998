import { Injectable } from '@nestjs/common';
import { OperatorOverviewRepository } from './operator-overview.repository';
import { MAX_FAILING_ENDPOINTS, type OperatorOverviewOut } from './operator-overview.schemas';

/** What the operator console shows besides health: queue depth and failing endpoints. */
@Injectable()
export class OperatorOverviewService {
  constructor(private readonly overview: OperatorOverviewRepository) {}

  async get(): Promise<OperatorOverviewOut> {
    const [deliveries, failing] = await Promise.all([this.overview.deliveryBacklog(), this.overview.failingEndpoints(MAX_FAILING_ENDPOINTS)]);
    return {
      deliveries,
      failingEndpoints: failing.map((row) => ({ ...row, failingSince: row.failingSince.toISOString() })),
    };
  }
}
